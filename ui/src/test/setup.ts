import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// The first render of a page loads its modules (the Markdown and KaTeX stack is large): on a
// busy 2-core machine that can take longer than the library's 1 s default for `findBy*`.
configure({ asyncUtilTimeout: 5000 });

// jsdom does not implement scrolling; the router restores scroll position on navigation.
window.scrollTo = () => undefined;

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  window.sessionStorage.clear();
  document.documentElement.className = "";
});

import { fireEvent, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { NAV_ITEMS } from "./components/layout/nav-items";
import { demoSession } from "./lib/demo-data";
import { resetAuthForTests, signInForTest } from "./test/auth";
import { renderRoute } from "./test/render-route";

describe("router", () => {
  beforeEach(() => {
    resetAuthForTests();
    signInForTest(demoSession("demo-user"));
  });

  it.each(NAV_ITEMS.map((item) => [item.to, item.page, item.label] as const))(
    "renders %s with its page and heading",
    async (path, page, label) => {
      renderRoute(path);
      const root = await screen.findByTestId(`page-${page}`);
      expect(root).toBeInTheDocument();
      expect(screen.getByRole("heading", { level: 1, name: label })).toBeInTheDocument();
      expect(screen.getByTestId(`nav-${page}`)).toHaveAttribute("aria-current", "page");
    },
  );

  it("redirects / to /chat", async () => {
    const { router } = renderRoute("/");
    expect(await screen.findByTestId("page-chat")).toBeInTheDocument();
    await waitFor(() => expect(router.state.location.pathname).toBe("/chat"));
  });

  it("shows every sidebar link with its test id and the app name", async () => {
    renderRoute("/chat");
    await screen.findByTestId("page-chat");
    expect(screen.getByText("Loris Studio")).toBeInTheDocument();
    for (const item of NAV_ITEMS) {
      expect(screen.getByTestId(`nav-${item.page}`)).toHaveAttribute("href", item.to);
    }
  });

  it("shows a not-found page for unknown paths", async () => {
    renderRoute("/no-such-page");
    expect(await screen.findByTestId("page-not-found")).toBeInTheDocument();
  });

  it("keeps the chat composer disabled until a model is loaded", async () => {
    renderRoute("/chat");
    const composer = await screen.findByTestId("chat-composer");
    expect(composer).toBeDisabled();
    expect(composer).toHaveAttribute("placeholder", "Load a model to start chatting");
  });

  it("shows the signed-in user and a sign-out button in the sidebar", async () => {
    renderRoute("/chat");
    await screen.findByTestId("page-chat");
    expect(screen.getByTestId("signed-in-user")).toHaveTextContent("demo-user");
    expect(screen.getByTestId("sign-out")).toBeInTheDocument();
  });
});

describe("demo mode (plain browser)", () => {
  beforeEach(resetAuthForTests);

  it("needs no first run, accepts any login and labels itself as a demo", async () => {
    const { router } = renderRoute("/models");
    const submit = await screen.findByTestId("login-submit");
    expect(screen.getByTestId("login-demo-note")).toHaveTextContent("any username and password are accepted");
    expect(screen.getByText("Demo data")).toBeInTheDocument();
    fireEvent.change(screen.getByTestId("login-username"), { target: { value: "grace" } });
    fireEvent.change(screen.getByTestId("login-password"), { target: { value: "anything" } });
    fireEvent.click(submit);
    expect(await screen.findByTestId("page-models")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/models");
    expect(screen.getByTestId("signed-in-user")).toHaveTextContent("grace");
  });

  it("signs out to the login page without a return path", async () => {
    const { router } = renderRoute("/settings");
    fireEvent.change(await screen.findByTestId("login-username"), { target: { value: "grace" } });
    fireEvent.change(screen.getByTestId("login-password"), { target: { value: "x" } });
    fireEvent.click(screen.getByTestId("login-submit"));
    fireEvent.click(await screen.findByTestId("sign-out"));
    expect(await screen.findByTestId("page-login")).toBeInTheDocument();
    expect(router.state.location.search).toEqual({});
    expect(screen.queryByTestId("login-session-ended")).not.toBeInTheDocument();
  });
});

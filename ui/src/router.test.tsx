import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { NAV_ITEMS } from "./components/layout/nav-items";
import { renderRoute } from "./test/render-route";

describe("router", () => {
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
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { applyTheme, readPersistedPreference, resolveTheme, startThemeSync, THEME_STORAGE_KEY, useThemeStore } from "./theme";

function mockSystemDark(dark: boolean) {
  const listeners = new Set<() => void>();
  const media = {
    matches: dark,
    addEventListener: (_: string, cb: () => void) => listeners.add(cb),
    removeEventListener: (_: string, cb: () => void) => listeners.delete(cb),
  };
  vi.stubGlobal(
    "matchMedia",
    vi.fn(() => media),
  );
  return {
    change(next: boolean) {
      media.matches = next;
      listeners.forEach((cb) => cb());
    },
  };
}

describe("theme store", () => {
  let stop: (() => void) | undefined;

  beforeEach(() => {
    useThemeStore.setState({ preference: "system" });
  });

  afterEach(() => {
    stop?.();
    stop = undefined;
    vi.unstubAllGlobals();
  });

  it("resolves system against the OS setting", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
    expect(resolveTheme("light", true)).toBe("light");
  });

  it("toggles the dark class on <html>", () => {
    mockSystemDark(false);
    applyTheme("dark");
    expect(document.documentElement).toHaveClass("dark");
    applyTheme("light");
    expect(document.documentElement).not.toHaveClass("dark");
  });

  it("follows preference changes and OS changes while synced", () => {
    const os = mockSystemDark(false);
    stop = startThemeSync();
    expect(document.documentElement).not.toHaveClass("dark");

    os.change(true);
    expect(document.documentElement).toHaveClass("dark");

    useThemeStore.getState().setPreference("light");
    expect(document.documentElement).not.toHaveClass("dark");
    os.change(true);
    expect(document.documentElement).not.toHaveClass("dark");
  });

  it("persists the preference to localStorage outside Tauri", () => {
    useThemeStore.getState().setPreference("dark");
    const stored = JSON.parse(window.localStorage.getItem(THEME_STORAGE_KEY) ?? "{}") as {
      state?: { preference?: string };
    };
    expect(stored.state?.preference).toBe("dark");
    expect(readPersistedPreference()).toBe("dark");
  });

  it("ignores garbage in storage", () => {
    window.localStorage.setItem(THEME_STORAGE_KEY, "not json");
    expect(readPersistedPreference()).toBe("system");
    window.localStorage.setItem(THEME_STORAGE_KEY, JSON.stringify({ state: { preference: "purple" } }));
    expect(readPersistedPreference()).toBe("system");
  });
});

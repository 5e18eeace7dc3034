/** True inside the Tauri webview (the desktop app); false in a plain browser, `vite preview` and tests. */
export function isTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

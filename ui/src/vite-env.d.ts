/// <reference types="vite/client" />

interface Window {
  /** Present only inside the Tauri webview; its absence means "plain browser, use demo data". */
  __TAURI_INTERNALS__?: unknown;
}

/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Tauri loads the built UI from ui/dist and, in development, the dev server on 5173.
// https://v2.tauri.app/start/frontend/vite/
const tauriDevHost = process.env.TAURI_DEV_HOST;

export default defineConfig({
  plugins: [react(), tailwindcss()],
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_ENV_"],
  server: {
    port: 5173,
    strictPort: true,
    host: tauriDevHost ?? false,
    hmr: tauriDevHost ? { protocol: "ws", host: tauriDevHost, port: 5183 } : undefined,
  },
  preview: {
    port: 4173,
    strictPort: true,
  },
  build: {
    target: "es2021",
    outDir: "dist",
    // Never inline assets as data: URIs, so a strict CSP (no data: in img-src/font-src) holds.
    assetsInlineLimit: 0,
    sourcemap: !!process.env.TAURI_ENV_DEBUG,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    // Above the 5 s that `findBy*` may wait (src/test/setup.ts).
    testTimeout: 20000,
    css: false,
    restoreMocks: true,
    unstubGlobals: true,
  },
});

import { LazyStore } from "@tauri-apps/plugin-store";
import type { StateStorage } from "zustand/middleware";
import { isTauri } from "./runtime";

/** File (in the app data dir) that holds UI preferences when running inside Tauri. */
export const SETTINGS_STORE_FILE = "ui-settings.json";

function safeLocalStorage(): Storage | null {
  try {
    return typeof window !== "undefined" ? window.localStorage : null;
  } catch {
    return null;
  }
}

const localStorageBackend: StateStorage = {
  getItem: (name) => safeLocalStorage()?.getItem(name) ?? null,
  setItem: (name, value) => safeLocalStorage()?.setItem(name, value),
  removeItem: (name) => safeLocalStorage()?.removeItem(name),
};

/**
 * Inside Tauri the preference lives in @tauri-apps/plugin-store (the source of truth). It is
 * mirrored to localStorage only so the first paint can use it before the async store answers.
 */
function tauriStoreBackend(): StateStorage {
  const store = new LazyStore(SETTINGS_STORE_FILE, { autoSave: false, defaults: {} });
  return {
    getItem: async (name) => {
      const value = await store.get<string>(name);
      return value ?? localStorageBackend.getItem(name);
    },
    setItem: async (name, value) => {
      void localStorageBackend.setItem(name, value);
      await store.set(name, value);
      await store.save();
    },
    removeItem: async (name) => {
      void localStorageBackend.removeItem(name);
      await store.delete(name);
      await store.save();
    },
  };
}

/** Where persisted UI preferences go: the Tauri store in the app, localStorage elsewhere. */
export function createSettingsStorage(): StateStorage {
  return isTauri() ? tauriStoreBackend() : localStorageBackend;
}

/** Synchronous read of the localStorage copy, for first paint. */
export function readLocalSetting(name: string): string | null {
  const value = localStorageBackend.getItem(name);
  return typeof value === "string" ? value : null;
}

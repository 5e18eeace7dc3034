import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";

/**
 * Work in progress that must survive the session ending: the chat composer's text and the page
 * to return to after signing in again. Never cleared on sign-out; kept in sessionStorage so a
 * reload keeps it too (it stays on this machine either way).
 */
type DraftsStore = {
  chatComposer: string;
  /** In-app path (with search) to go back to after the next sign-in. */
  returnTo: string | null;
  setChatComposer: (text: string) => void;
  setReturnTo: (path: string | null) => void;
};

export const DRAFTS_STORAGE_KEY = "loris.drafts";

function safeSessionStorage(): Storage {
  try {
    return window.sessionStorage;
  } catch {
    const memory = new Map<string, string>();
    return {
      get length() {
        return memory.size;
      },
      clear: () => memory.clear(),
      getItem: (key) => memory.get(key) ?? null,
      key: (index) => Array.from(memory.keys())[index] ?? null,
      removeItem: (key) => void memory.delete(key),
      setItem: (key, value) => void memory.set(key, value),
    };
  }
}

export const useDraftsStore = create<DraftsStore>()(
  persist(
    (set) => ({
      chatComposer: "",
      returnTo: null,
      setChatComposer: (chatComposer) => set({ chatComposer }),
      setReturnTo: (returnTo) => set({ returnTo }),
    }),
    {
      name: DRAFTS_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(safeSessionStorage),
      partialize: (state) => ({ chatComposer: state.chatComposer, returnTo: state.returnTo }),
    },
  ),
);

import { useEffect } from "react";
import { create } from "zustand";
import type { AppInfo } from "../lib/types";
import { appInfo, type BackendError } from "../lib/backend";
import { toBackendError } from "../lib/backend-error";

type AppInfoState =
  | { status: "idle" | "loading"; info: null; error: null }
  | { status: "ready"; info: AppInfo; error: null }
  | { status: "error"; info: null; error: BackendError };

type AppInfoStore = AppInfoState & { load: (options?: { force?: boolean }) => Promise<void> };

/** App version, storage paths and hardware: fetched once, shared by the sidebar and Settings. */
export const useAppInfoStore = create<AppInfoStore>()((set, get) => ({
  status: "idle",
  info: null,
  error: null,
  load: async ({ force = false } = {}) => {
    const { status } = get();
    if (status === "loading" || (status === "ready" && !force)) return;
    set({ status: "loading", info: null, error: null });
    try {
      set({ status: "ready", info: await appInfo(), error: null });
    } catch (error) {
      set({ status: "error", info: null, error: toBackendError(error) });
    }
  },
}));

/** Subscribes a component to app info, fetching it on first use. */
export function useAppInfo(): AppInfoStore {
  const state = useAppInfoStore();
  const load = useAppInfoStore((s) => s.load);
  useEffect(() => {
    void load();
  }, [load]);
  return state;
}

import { create } from "zustand";
import type { JobRecord } from "../lib/types";
import { jobsList, onAppEvent, type BackendError } from "../lib/backend";
import { toBackendError } from "../lib/backend-error";

type JobsStore = {
  status: "idle" | "loading" | "ready" | "error";
  jobs: JobRecord[];
  error: BackendError | null;
  refresh: () => Promise<void>;
};

export const useJobsStore = create<JobsStore>()((set) => ({
  status: "idle",
  jobs: [],
  error: null,
  refresh: async () => {
    set((state) => ({ status: state.status === "ready" ? "ready" : "loading" }));
    try {
      set({ status: "ready", jobs: await jobsList(), error: null });
    } catch (error) {
      set({ status: "error", error: toBackendError(error) });
    }
  },
}));

/** Refreshes the job list whenever the backend reports something about a job. */
export function watchJobs(): () => void {
  let stop: (() => void) | null = null;
  let cancelled = false;
  void useJobsStore.getState().refresh();
  onAppEvent((event) => {
    if (event.jobId !== null) void useJobsStore.getState().refresh();
  })
    .then((unlisten) => {
      if (cancelled) unlisten();
      else stop = unlisten;
    })
    .catch(() => undefined);
  return () => {
    cancelled = true;
    stop?.();
  };
}

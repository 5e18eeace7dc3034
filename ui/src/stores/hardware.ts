import { useEffect } from "react";
import { create } from "zustand";
import type { HardwareReport, HardwareSample } from "../lib/types";
import { hardwareReport, hardwareWatchStart, hardwareWatchStop, onHardwareSample } from "../lib/backend";
import { toBackendError, type BackendError } from "../lib/backend-error";

type ReportState =
  | { status: "idle" | "loading"; report: null; error: null }
  | { status: "ready"; report: HardwareReport; error: null }
  | { status: "error"; report: null; error: BackendError };

type ReportStore = ReportState & { load: (options?: { force?: boolean }) => Promise<void> };

/** The full hardware report: fetched once, shared by the sidebar and the Settings panel. */
export const useHardwareReportStore = create<ReportStore>()((set, get) => ({
  status: "idle",
  report: null,
  error: null,
  load: async ({ force = false } = {}) => {
    const { status } = get();
    if (status === "loading" || (status === "ready" && !force)) return;
    // A forced reload keeps showing the old report until the new one arrives.
    if (status !== "ready") set({ status: "loading", report: null, error: null });
    try {
      set({ status: "ready", report: await hardwareReport(), error: null });
    } catch (error) {
      set({ status: "error", report: null, error: toBackendError(error) });
    }
  },
}));

/** Subscribes a component to the report, fetching it on first use. */
export function useHardwareReport(): ReportStore {
  const state = useHardwareReportStore();
  const load = useHardwareReportStore((s) => s.load);
  useEffect(() => {
    void load();
  }, [load]);
  return state;
}

/** How much history the live charts keep. */
export const SAMPLE_WINDOW_MS = 60_000;

type LiveStore = {
  /** Samples of the last minute, oldest first. */
  samples: HardwareSample[];
  /** True while at least one component watches. */
  live: boolean;
  error: BackendError | null;
};

export const useHardwareLiveStore = create<LiveStore>()(() => ({ samples: [], live: false, error: null }));

/** Keeps the samples newer than a minute before the latest one. */
export function appendSample(samples: HardwareSample[], sample: HardwareSample): HardwareSample[] {
  const since = sample.timestampMs - SAMPLE_WINDOW_MS;
  return [...samples.filter((s) => s.timestampMs > since && s.timestampMs < sample.timestampMs), sample];
}

/**
 * One name for this window: the backend counts watchers by name, so a window whose stop got
 * lost (its session ended first) is counted once when it watches again.
 */
const WATCHER_NAME = `window-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

let watchers = 0;
let run: { stopped: boolean; unlisten: (() => void) | null } | null = null;

function setError(error: unknown) {
  useHardwareLiveStore.setState({ error: toBackendError(error) });
}

function begin() {
  const current = { stopped: false, unlisten: null as (() => void) | null };
  run = current;
  useHardwareLiveStore.setState({ samples: [], live: true, error: null });
  onHardwareSample((sample) => {
    if (current.stopped) return;
    useHardwareLiveStore.setState((state) => ({ samples: appendSample(state.samples, sample) }));
  }).then(
    (unlisten) => {
      if (current.stopped) unlisten();
      else current.unlisten = unlisten;
    },
    setError,
  );
  hardwareWatchStart(WATCHER_NAME).catch(setError);
}

function end() {
  if (run) {
    run.stopped = true;
    run.unlisten?.();
    run = null;
  }
  useHardwareLiveStore.setState({ live: false });
  hardwareWatchStop(WATCHER_NAME).catch(() => undefined);
}

/**
 * Asks for live samples until the returned function is called. Components share one backend
 * watcher: the first one in starts it, the last one out stops it.
 */
export function watchHardware(): () => void {
  watchers += 1;
  if (watchers === 1) begin();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    watchers -= 1;
    if (watchers === 0) end();
  };
}

/** Live samples of the last minute while the calling component is mounted. */
export function useHardwareSamples(): LiveStore {
  useEffect(() => watchHardware(), []);
  return useHardwareLiveStore();
}

/** Forgets everything between tests. */
export function resetHardwareForTests() {
  watchers = 0;
  run = null;
  useHardwareReportStore.setState({ status: "idle", report: null, error: null });
  useHardwareLiveStore.setState({ samples: [], live: false, error: null });
}

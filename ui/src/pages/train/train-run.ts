import { create } from "zustand";
import type { AppEvent, JsonValue, TrainMetric } from "../../lib/types";

/** One training step as the engine reports it (`loris_train::StepMetrics`). */
export type StepMetrics = {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  tokensPerS: number;
  trainedTokens: number;
  elapsedS: number;
  etaS: number;
  memoryBytes: number | null;
};

export type LossPoint = { step: number; loss: number };

/** What a training job's `job.progress` event says. */
export type TrainProgress =
  | { runId: string; kind: "step"; metrics: StepMetrics }
  | { runId: string; kind: "eval"; step: number; loss: number }
  | { runId: string; kind: "checkpoint"; step: number; path: string };

/** The run this window started (or found running), followed step by step. */
export type LiveRun = {
  runId: string;
  jobId: string;
  /** `stopping`: stop-and-save was asked for; `cancelling`: cancel was. */
  status: "running" | "stopping" | "cancelling" | "finished";
  metrics: StepMetrics | null;
  train: LossPoint[];
  eval: LossPoint[];
  checkpoint: { step: number; path: string } | null;
  /** The job's final state and error, from `job.finished`. */
  finalState: string | null;
  error: string | null;
};

type Json = { [key: string]: JsonValue };

function record(value: JsonValue | undefined): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : null;
}

function num(value: JsonValue | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function str(value: JsonValue | undefined): string | null {
  return typeof value === "string" ? value : null;
}

function stepMetrics(value: JsonValue | undefined): StepMetrics | null {
  const m = record(value);
  if (!m) return null;
  const required = ["step", "totalSteps", "epoch", "loss", "learningRate", "gradNorm", "tokensPerS", "trainedTokens", "elapsedS", "etaS"] as const;
  const values: Partial<Record<(typeof required)[number], number>> = {};
  for (const key of required) {
    const v = num(m[key]);
    if (v === null) return null;
    values[key] = v;
  }
  return { ...(values as Omit<StepMetrics, "memoryBytes">), memoryBytes: num(m.memoryBytes) };
}

/** A `job.progress` event of a training job, or null for anything else. */
export function parseTrainProgress(event: AppEvent): TrainProgress | null {
  if (event.kind !== "job.progress") return null;
  const p = record(event.payload);
  const runId = str(p?.runId);
  if (!p || runId === null) return null;
  switch (p.kind) {
    case "step": {
      const metrics = stepMetrics(p.metrics);
      return metrics ? { runId, kind: "step", metrics } : null;
    }
    case "eval": {
      const step = num(p.step);
      const loss = num(p.loss);
      return step !== null && loss !== null ? { runId, kind: "eval", step, loss } : null;
    }
    case "checkpoint": {
      const step = num(p.step);
      const path = str(p.path);
      return step !== null && path !== null ? { runId, kind: "checkpoint", step, path } : null;
    }
    default:
      return null;
  }
}

/** Adds or replaces the point of `step`, keeping the points in step order. */
function withPoint(points: LossPoint[], point: LossPoint): LossPoint[] {
  const rest = points.filter((p) => p.step !== point.step);
  const next = [...rest, point];
  return rest.length === points.length && (points.at(-1)?.step ?? -Infinity) < point.step
    ? next
    : next.sort((a, b) => a.step - b.step);
}

export function newLiveRun(runId: string, jobId: string): LiveRun {
  return { runId, jobId, status: "running", metrics: null, train: [], eval: [], checkpoint: null, finalState: null, error: null };
}

/** The live run after one bus event; the same object when the event is not about it. */
export function applyTrainEvent(live: LiveRun, event: AppEvent): LiveRun {
  if (event.kind === "job.finished" && event.jobId === live.jobId) {
    const p = record(event.payload);
    return { ...live, status: "finished", finalState: str(p?.state) ?? "finished", error: str(p?.error) };
  }
  const progress = parseTrainProgress(event);
  if (!progress || progress.runId !== live.runId) return live;
  switch (progress.kind) {
    case "step":
      return {
        ...live,
        metrics: progress.metrics,
        train: withPoint(live.train, { step: progress.metrics.step, loss: progress.metrics.loss }),
      };
    case "eval":
      return { ...live, eval: withPoint(live.eval, { step: progress.step, loss: progress.loss }) };
    case "checkpoint":
      return { ...live, checkpoint: { step: progress.step, path: progress.path } };
  }
}

/** A stored curve split into its training and evaluation points. */
export function curves(metrics: TrainMetric[]): { train: LossPoint[]; eval: LossPoint[] } {
  const points = (kind: string) =>
    metrics
      .filter((m) => m.kind === kind && Number.isFinite(m.loss))
      .map((m) => ({ step: m.step, loss: m.loss }))
      .sort((a, b) => a.step - b.step);
  return { train: points("train"), eval: points("eval") };
}

type TrainRunStore = {
  live: LiveRun | null;
  setLive: (live: LiveRun | null) => void;
  apply: (event: AppEvent) => void;
  setStatus: (status: LiveRun["status"]) => void;
};

/** The followed run lives outside the page, so leaving the Train page and coming back keeps it. */
export const useTrainRunStore = create<TrainRunStore>()((set, get) => ({
  live: null,
  setLive: (live) => set({ live }),
  apply: (event) => {
    const live = get().live;
    if (!live) return;
    const next = applyTrainEvent(live, event);
    if (next !== live) set({ live: next });
  },
  setStatus: (status) => {
    const live = get().live;
    if (live && live.status !== "finished") set({ live: { ...live, status } });
  },
}));

export function resetTrainRunForTests(): void {
  useTrainRunStore.setState({ live: null });
}

import { create } from "zustand";
import type { TrainingEstimateRequest, TrainingMethod } from "../../lib/types";

/** The Train form's settings that change how much memory a run needs. */
export type TrainSettings = {
  modelPath: string;
  method: TrainingMethod;
  /** As typed: validated into numbers by `estimateRequest`. */
  batchSize: string;
  seqLen: string;
  loraRank: string;
  gradientCheckpointing: boolean;
};

type TrainSettingsStore = TrainSettings & {
  update: (changes: Partial<TrainSettings>) => void;
};

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  modelPath: "",
  method: "lora",
  batchSize: "2",
  seqLen: "2048",
  loraRank: "16",
  gradientCheckpointing: true,
};

export const useTrainSettingsStore = create<TrainSettingsStore>()((set) => ({
  ...DEFAULT_TRAIN_SETTINGS,
  update: (changes) => set(changes),
}));

const U32_MAX = 4_294_967_295;

/** A whole number from 1 up, as the backend's u32 arguments take; null otherwise. */
export function positiveInteger(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const value = Number(text.trim());
  return Number.isSafeInteger(value) && value >= 1 && value <= U32_MAX ? value : null;
}

/** What to ask the estimator, or null while the model or a number is missing. */
export function estimateRequest(settings: TrainSettings): TrainingEstimateRequest | null {
  const modelPath = settings.modelPath.trim();
  const batchSize = positiveInteger(settings.batchSize);
  const seqLen = positiveInteger(settings.seqLen);
  const loraRank = positiveInteger(settings.loraRank);
  if (!modelPath || batchSize === null || seqLen === null || loraRank === null) return null;
  return {
    modelPath,
    method: settings.method,
    batchSize,
    seqLen,
    loraRank,
    gradientCheckpointing: settings.gradientCheckpointing,
  };
}

import { create } from "zustand";
import type {
  LrSchedule,
  TrainDatasetFormat,
  TrainingEstimateRequest,
  TrainingMethod,
  TrainPreviewSettings,
  TrainSettings,
  TrainStartRequest,
} from "../../lib/types";

/**
 * The Train form as typed. Numbers stay text until a request is built, so a half-typed value
 * ("1e-", "") never turns into a wrong number; `startRequest` and `estimateRequest` validate.
 */
export type TrainFormState = {
  modelPath: string;
  datasetPath: string;
  /** Empty: the backend picks `<data dir>/training/<timestamp>`. */
  outputDir: string;
  /** `qlora` is estimated only: the engine trains LoRA and full fine-tuning. */
  method: TrainingMethod;
  datasetFormat: TrainDatasetFormat | "auto";
  loraRank: string;
  loraAlpha: string;
  loraDropout: string;
  /** Module names separated by commas or spaces. */
  loraTargets: string;
  learningRate: string;
  schedule: LrSchedule;
  warmupSteps: string;
  epochs: string;
  /** Empty: train for `epochs`. */
  maxSteps: string;
  batchSize: string;
  gradAccum: string;
  seqLen: string;
  seed: string;
  /** Empty: checkpoints only when stopped and at the end. */
  checkpointEvery: string;
  evalFraction: string;
  /** Empty: evaluate at the end only (when there is an eval split). */
  evalEvery: string;
  gradientCheckpointing: boolean;
  packing: boolean;
  responsesOnly: boolean;
};

/** The fields a start request is checked on, for error messages beside them. */
export type TrainField = keyof TrainFormState;

type TrainSettingsStore = TrainFormState & {
  update: (changes: Partial<TrainFormState>) => void;
};

export const DEFAULT_LORA_TARGETS = "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj";

/** The engine's defaults (`loris_train::TrainConfig::default`). */
export const DEFAULT_TRAIN_SETTINGS: TrainFormState = {
  modelPath: "",
  datasetPath: "",
  outputDir: "",
  method: "lora",
  datasetFormat: "auto",
  loraRank: "16",
  loraAlpha: "16",
  loraDropout: "0",
  loraTargets: DEFAULT_LORA_TARGETS,
  learningRate: "2e-4",
  schedule: "linear",
  warmupSteps: "5",
  epochs: "1",
  maxSteps: "",
  batchSize: "2",
  gradAccum: "4",
  seqLen: "2048",
  seed: "3407",
  checkpointEvery: "",
  evalFraction: "0",
  evalEvery: "",
  gradientCheckpointing: true,
  packing: true,
  responsesOnly: true,
};

/** Settings the form does not show; the engine's defaults. */
const WEIGHT_DECAY = 0.01;
const MAX_GRAD_NORM = 1.0;

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

/** A whole number from 0 up; null otherwise. */
export function wholeNumber(text: string): number | null {
  if (text.trim() === "0") return 0;
  return positiveInteger(text);
}

/** A finite decimal (`2e-4`, `0.05`); null otherwise. */
export function decimal(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "" || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** What to ask the estimator, or null while the model or a number is missing. */
export function estimateRequest(settings: TrainFormState): TrainingEstimateRequest | null {
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

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: Partial<Record<TrainField, string>> };

/**
 * The run's settings from the form, or a message per field that is not a valid value. The
 * backend checks ranges again (`train_invalid_config`); this catches what cannot even be sent.
 */
export function trainSettings(form: TrainFormState): Checked<TrainSettings> {
  const errors: Partial<Record<TrainField, string>> = {};
  const need = <T>(field: TrainField, value: T | null, message: string): T => {
    if (value === null) errors[field] = message;
    return value as T;
  };
  /** An optional interval: empty is none. */
  const optional = (field: "maxSteps" | "checkpointEvery" | "evalEvery"): number | null =>
    form[field].trim() === "" ? null : need(field, positiveInteger(form[field]), "A whole number from 1, or empty.");

  const whole = "A whole number from 1.";
  const rank = need("loraRank", positiveInteger(form.loraRank), whole);
  const alpha = need("loraAlpha", decimal(form.loraAlpha), "A number.");
  const dropout = need("loraDropout", decimal(form.loraDropout), "A number from 0 to below 1.");
  const targets = form.loraTargets
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (form.method !== "full" && targets.length === 0) errors.loraTargets = "Name at least one module.";
  const learningRate = need("learningRate", decimal(form.learningRate), "A number such as 2e-4.");
  const warmupSteps = need("warmupSteps", wholeNumber(form.warmupSteps), "A whole number from 0.");
  const epochs = need("epochs", decimal(form.epochs), "A number of passes, such as 1 or 0.5.");
  const maxSteps = optional("maxSteps");
  const batchSize = need("batchSize", positiveInteger(form.batchSize), whole);
  const gradAccum = need("gradAccum", positiveInteger(form.gradAccum), whole);
  const seqLen = need("seqLen", positiveInteger(form.seqLen), whole);
  const seed = need("seed", wholeNumber(form.seed), "A whole number from 0.");
  const checkpointEvery = optional("checkpointEvery");
  const evalFraction = need("evalFraction", decimal(form.evalFraction), "A fraction from 0 to below 1.");
  const evalEvery = optional("evalEvery");
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      method: form.method === "full" ? "full" : "lora",
      lora: { rank, alpha, dropout, rslora: false, targets },
      learningRate,
      schedule: form.schedule,
      warmupSteps,
      weightDecay: WEIGHT_DECAY,
      maxGradNorm: MAX_GRAD_NORM,
      batchSize,
      gradAccum,
      seqLen,
      epochs,
      maxSteps,
      seed,
      evalEvery,
      evalFraction,
      checkpointEvery,
      gradientCheckpointing: form.gradientCheckpointing,
      packing: form.packing,
      responsesOnly: form.responsesOnly,
    },
  };
}

function datasetSettings(form: TrainFormState): TrainStartRequest["dataset"] {
  return { format: form.datasetFormat === "auto" ? null : form.datasetFormat, mapping: {}, maxRows: null };
}

/** Paths both a run and a preview need. */
function paths(form: TrainFormState): Partial<Record<TrainField, string>> {
  const errors: Partial<Record<TrainField, string>> = {};
  if (form.modelPath.trim() === "") errors.modelPath = "Choose a model folder or GGUF file.";
  if (form.datasetPath.trim() === "") errors.datasetPath = "Give a JSONL, JSON, CSV or Parquet file.";
  return errors;
}

function merge<T>(pathErrors: Partial<Record<TrainField, string>>, settings: Checked<TrainSettings>, build: (s: TrainSettings) => T): Checked<T> {
  const errors = { ...pathErrors, ...(settings.ok ? {} : settings.errors) };
  if (!settings.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: build(settings.value) };
}

/** What the Start button sends, or why it cannot be sent. */
export function startRequest(form: TrainFormState): Checked<TrainStartRequest> {
  const errors = paths(form);
  if (form.method === "qlora") {
    errors.method = "QLoRA is estimated only: the engine trains LoRA (16-bit base) and full fine-tuning.";
  }
  return merge(errors, trainSettings(form), (settings) => ({
    modelPath: form.modelPath.trim(),
    datasetPath: form.datasetPath.trim(),
    outputDir: form.outputDir.trim() === "" ? null : form.outputDir.trim(),
    tokenizerPath: null,
    resumeFrom: null,
    settings,
    dataset: datasetSettings(form),
  }));
}

export type PreviewRequest = { model: string; dataset: string; settings: TrainPreviewSettings };

/** What the Preview button sends: the same settings, since they decide which tokens are trained. */
export function previewRequest(form: TrainFormState): Checked<PreviewRequest> {
  return merge(paths(form), trainSettings(form), (settings) => ({
    model: form.modelPath.trim(),
    dataset: form.datasetPath.trim(),
    settings: { settings, dataset: datasetSettings(form), tokenizerPath: null },
  }));
}

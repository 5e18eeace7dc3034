import { Eye, Play } from "lucide-react";
import { useEffect, useState } from "react";
import { FitBadge } from "../../components/FitBadge";
import { summarizeTraining } from "../../components/fit-summary";
import type { EstimateState } from "../../components/useEstimate";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import { modelsLocal } from "../../lib/backend";
import type { LocalModelInfo, TrainDatasetFormat, TrainingAssessment } from "../../lib/types";
import { HyperparameterFields } from "./HyperparameterFields";
import { MethodPicker } from "./MethodPicker";
import { useTrainSettingsStore, type TrainField } from "./train-settings";

const FORMATS: ReadonlyArray<{ value: TrainDatasetFormat | "auto"; label: string }> = [
  { value: "auto", label: "Detect from the columns" },
  { value: "messages", label: "Messages (OpenAI chat)" },
  { value: "sharegpt", label: "ShareGPT conversations" },
  { value: "alpaca", label: "Alpaca (instruction, input, output)" },
  { value: "text", label: "Raw text" },
];

/** Models on this machine, offered as suggestions for the model path; a path can still be typed. */
function useLocalModels(): LocalModelInfo[] {
  const [models, setModels] = useState<LocalModelInfo[]>([]);
  useEffect(() => {
    let live = true;
    modelsLocal().then(
      (list) => live && setModels(list),
      // Suggestions only: without them the field still takes a typed path.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return models;
}

function PathField({
  id,
  label,
  hint,
  value,
  error,
  placeholder,
  list,
  onChange,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  error?: string;
  placeholder: string;
  list?: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field id={id} label={label} hint={error ?? hint}>
      <input
        id={id}
        data-testid={id}
        value={value}
        list={list}
        aria-invalid={error !== undefined}
        onChange={(event) => onChange(event.target.value)}
        placeholder={placeholder}
        className={CONTROL_CLASS}
      />
    </Field>
  );
}

/** The training setup: paths, method and settings; the memory estimate follows every change. */
export function TrainForm({
  estimate,
  noDeviceReason,
  errors,
  busy,
  running,
  onStart,
  onPreview,
}: {
  estimate: EstimateState<TrainingAssessment>;
  noDeviceReason: string | null;
  /** Messages beside the fields that the last Start or Preview found wrong. */
  errors: Partial<Record<TrainField, string>>;
  busy: "starting" | "previewing" | null;
  /** A run this window follows is still going: one at a time. */
  running: boolean;
  onStart: () => void;
  onPreview: () => void;
}) {
  const settings = useTrainSettingsStore();
  const models = useLocalModels();

  return (
    <form
      data-testid="train-form"
      onSubmit={(event) => {
        event.preventDefault();
        onStart();
      }}
      className="space-y-6"
    >
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <PathField
          id="train-model"
          label="Base model"
          hint="A Hugging Face model folder or a GGUF file."
          value={settings.modelPath}
          error={errors.modelPath}
          placeholder="/path/to/model"
          list="train-model-options"
          onChange={(modelPath) => settings.update({ modelPath })}
        />
        <datalist id="train-model-options" data-testid="train-model-options">
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name}
            </option>
          ))}
        </datalist>
        <PathField
          id="train-dataset"
          label="Dataset"
          hint="A JSONL, JSON, CSV or Parquet file."
          value={settings.datasetPath}
          error={errors.datasetPath}
          placeholder="/path/to/data.jsonl"
          onChange={(datasetPath) => settings.update({ datasetPath })}
        />
        <Field id="train-dataset-format" label="Dataset format" hint="Chats are rendered with the model's own template.">
          <select
            id="train-dataset-format"
            data-testid="train-dataset-format"
            value={settings.datasetFormat}
            onChange={(event) => settings.update({ datasetFormat: event.target.value as TrainDatasetFormat | "auto" })}
            className={CONTROL_CLASS}
          >
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </Field>
        <PathField
          id="train-output"
          label="Output folder"
          hint="Checkpoints and the adapter; empty: a new folder under the data dir's training/."
          value={settings.outputDir}
          error={errors.outputDir}
          placeholder="automatic"
          onChange={(outputDir) => settings.update({ outputDir })}
        />
      </div>
      <div>
        <MethodPicker value={settings.method} onChange={(method) => settings.update({ method })} />
        {errors.method ? (
          <p data-testid="train-method-error" className="mt-1 text-xs text-rose-700 dark:text-rose-300">
            {errors.method}
          </p>
        ) : null}
      </div>
      <HyperparameterFields errors={errors} />
      <div className="flex flex-wrap items-center justify-end gap-3">
        {estimate.status !== "idle" ? (
          <span className="flex items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
            GPU memory
            <FitBadge
              testId="train-fit"
              loading={estimate.status === "loading"}
              error={estimate.status === "error" ? estimate.error : null}
              summary={estimate.status === "ready" ? summarizeTraining(estimate.value) : null}
              noDeviceReason={noDeviceReason}
            />
          </span>
        ) : null}
        <Button variant="secondary" onClick={onPreview} disabled={busy !== null}>
          <Eye aria-hidden className="size-4" />
          {busy === "previewing" ? "Reading the dataset…" : "Preview tokens"}
        </Button>
        <Button type="submit" disabled={busy !== null || running}>
          <Play aria-hidden className="size-4" />
          {busy === "starting" ? "Starting…" : "Start training"}
        </Button>
      </div>
    </form>
  );
}

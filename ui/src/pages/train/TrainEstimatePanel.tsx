import { Gauge } from "lucide-react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FitBadge } from "../../components/FitBadge";
import { summarizeTraining } from "../../components/fit-summary";
import type { EstimateState } from "../../components/useEstimate";
import { EmptyState } from "../../components/ui/EmptyState";
import { formatBytes } from "../../lib/format";
import type { Suggestion, TrainingAssessment } from "../../lib/types";
import { useTrainSettingsStore, type TrainFormState } from "./train-settings";

/** The settings change a suggestion stands for, when the form can make it in one click. */
function suggestionChange(suggestion: Suggestion): Partial<TrainFormState> | null {
  switch (suggestion.kind) {
    case "use_qlora":
      return { method: "qlora" };
    case "use_lora":
      return { method: "lora" };
    case "gradient_checkpointing":
      return { gradientCheckpointing: true };
    case "smaller_batch":
      return suggestion.value === null ? null : { batchSize: String(suggestion.value) };
    case "shorter_sequence":
      return suggestion.value === null ? null : { seqLen: String(suggestion.value) };
    default:
      return null;
  }
}

function Terms({ assessment }: { assessment: TrainingAssessment }) {
  const t = assessment.estimate.terms;
  const rows: Array<[string, number]> = [
    ["Weights", t.weightsBytes],
    ["LoRA adapters", t.loraAdapterBytes],
    ["Gradients", t.gradientsBytes],
    ["Optimizer", t.optimizerBytes],
    ["Activations", t.activationsBytes],
    ["Logits and loss", t.logitsBytes],
    ["Dequant scratch", t.dequantScratchBytes],
    ["Overhead", t.overheadBytes],
  ];
  return (
    <dl data-testid="train-estimate-terms" className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1 text-sm">
      {rows
        .filter(([, bytes]) => bytes > 0)
        .map(([label, bytes]) => (
          <div key={label} className="contents">
            <dt className="text-zinc-500 dark:text-zinc-400">{label}</dt>
            <dd className="text-right tabular-nums">{formatBytes(bytes)}</dd>
          </div>
        ))}
      <div className="contents font-semibold">
        <dt>Total</dt>
        <dd data-testid="train-estimate-total" className="text-right tabular-nums">
          {formatBytes(assessment.estimate.totalBytes)}
        </dd>
      </div>
    </dl>
  );
}

function Suggestions({ suggestions }: { suggestions: Suggestion[] }) {
  const update = useTrainSettingsStore((s) => s.update);
  if (suggestions.length === 0) return null;
  return (
    <div>
      <p className="text-sm font-medium">To make it fit</p>
      <ul data-testid="train-suggestions" className="mt-1 flex flex-col gap-1 text-sm">
        {suggestions.map((s) => {
          const change = suggestionChange(s);
          return (
            <li key={`${s.kind}-${s.description}`} className="flex items-start justify-between gap-2">
              <span>
                {s.description}{" "}
                <span className="text-zinc-500 dark:text-zinc-400">({formatBytes(s.requiredBytes)})</span>
              </span>
              {change ? (
                <button
                  type="button"
                  onClick={() => update(change)}
                  className="shrink-0 text-xs font-medium text-indigo-600 underline-offset-2 hover:underline dark:text-indigo-400"
                >
                  Apply
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** The training run's memory, term by term, the verdict per GPU and what would make it fit. */
export function TrainEstimatePanel({
  estimate,
  noDeviceReason,
}: {
  estimate: EstimateState<TrainingAssessment>;
  noDeviceReason: string | null;
}) {
  if (estimate.status === "idle") {
    return (
      <EmptyState icon={Gauge} title="No estimate yet">
        Pick a model and a method to see how much GPU memory the run needs.
      </EmptyState>
    );
  }
  if (estimate.status === "error") return <ErrorNotice error={estimate.error} />;
  if (estimate.status === "loading") {
    return <FitBadge testId="train-estimate-fit" loading />;
  }
  const assessment = estimate.value;
  const summary = summarizeTraining(assessment);
  return (
    <div data-testid="train-estimate" className="flex flex-col gap-4">
      <div className="flex items-center justify-between gap-2">
        <span className="text-sm">
          {assessment.estimate.model.modelType} · {formatBytes(assessment.estimate.totalBytes)}
        </span>
        <FitBadge testId="train-estimate-fit" summary={summary} noDeviceReason={noDeviceReason} />
      </div>
      {assessment.devices.length === 0 ? (
        <p data-testid="train-no-gpu" className="text-sm text-zinc-600 dark:text-zinc-400">
          No GPU to judge the run on{noDeviceReason ? `: ${noDeviceReason}` : "."}
        </p>
      ) : null}
      <Terms assessment={assessment} />
      <Suggestions suggestions={assessment.suggestions} />
      {assessment.estimate.notes.map((note) => (
        <p key={note} className="text-xs text-zinc-500 dark:text-zinc-400">
          {note}
        </p>
      ))}
    </div>
  );
}

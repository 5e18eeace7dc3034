import { Play } from "lucide-react";
import { FitBadge } from "../../components/FitBadge";
import type { EstimateState } from "../../components/useEstimate";
import { summarizeTraining } from "../../components/fit-summary";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import type { TrainingAssessment } from "../../lib/types";
import { HyperparameterFields } from "./HyperparameterFields";
import { MethodPicker } from "./MethodPicker";
import { useTrainSettingsStore } from "./train-settings";

/**
 * The training setup. Every setting can be edited and the memory estimate follows it; starting
 * a run stays disabled: the engine is not part of this build.
 */
export function TrainForm({
  estimate,
  noDeviceReason,
}: {
  estimate: EstimateState<TrainingAssessment>;
  noDeviceReason: string | null;
}) {
  const modelPath = useTrainSettingsStore((s) => s.modelPath);
  const method = useTrainSettingsStore((s) => s.method);
  const update = useTrainSettingsStore((s) => s.update);

  return (
    <form data-testid="train-form" onSubmit={(event) => event.preventDefault()} className="space-y-6">
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <Field id="train-model" label="Base model" hint="A model folder or its config.json (Hugging Face layout).">
          <input
            id="train-model"
            data-testid="train-model"
            value={modelPath}
            onChange={(event) => update({ modelPath: event.target.value })}
            placeholder="/path/to/model"
            className={CONTROL_CLASS}
          />
        </Field>
        <Field id="train-dataset" label="Dataset" hint="JSONL or Parquet, or the output of a data recipe.">
          <select id="train-dataset" className={CONTROL_CLASS} defaultValue="" disabled>
            <option value="">No datasets</option>
          </select>
        </Field>
      </div>
      <MethodPicker value={method} onChange={(next) => update({ method: next })} />
      <HyperparameterFields />
      <div className="flex items-center justify-end gap-3">
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
        <Button type="submit" disabled>
          <Play aria-hidden className="size-4" />
          Start training
        </Button>
      </div>
    </form>
  );
}

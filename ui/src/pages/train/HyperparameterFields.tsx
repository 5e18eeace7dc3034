import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import { positiveInteger, useTrainSettingsStore, type TrainSettings } from "./train-settings";

/** Settings the memory estimate depends on: controlled, validated as whole numbers. */
const SIZED = [
  { id: "batch-size", key: "batchSize", label: "Batch size", hint: "Examples per step, per device." },
  { id: "max-seq-len", key: "seqLen", label: "Max sequence length", hint: "Longer examples are truncated." },
  { id: "lora-rank", key: "loraRank", label: "LoRA rank", hint: "Adapter size; higher learns more." },
] as const satisfies ReadonlyArray<{ id: string; key: keyof TrainSettings; label: string; hint: string }>;

/** Settings that do not change the memory estimate. */
const OTHERS = [
  { id: "learning-rate", label: "Learning rate", value: "2e-4", hint: "Step size for each update." },
  { id: "epochs", label: "Epochs", value: "3", hint: "Passes over the dataset." },
  { id: "grad-accum", label: "Gradient accumulation", value: "4", hint: "Steps summed before an update." },
  { id: "lora-alpha", label: "LoRA alpha", value: "32", hint: "Adapter scaling, often 2 × rank." },
  { id: "warmup-steps", label: "Warmup steps", value: "10", hint: "Steps to ramp the learning rate up." },
] as const;

export function HyperparameterFields() {
  const settings = useTrainSettingsStore();

  return (
    <fieldset>
      <legend className="text-sm font-medium">Hyperparameters</legend>
      <div className="mt-1.5 grid grid-cols-2 gap-4 lg:grid-cols-4">
        {SIZED.map((param) => {
          const value = settings[param.key];
          const invalid = positiveInteger(value) === null;
          return (
            <Field key={param.id} id={param.id} label={param.label} hint={invalid ? "Enter a whole number from 1." : param.hint}>
              <input
                id={param.id}
                name={param.id}
                data-testid={param.id}
                value={value}
                aria-invalid={invalid}
                onChange={(event) => settings.update({ [param.key]: event.target.value })}
                inputMode="numeric"
                className={CONTROL_CLASS}
              />
            </Field>
          );
        })}
        {OTHERS.map((param) => (
          <Field key={param.id} id={param.id} label={param.label} hint={param.hint}>
            <input id={param.id} name={param.id} defaultValue={param.value} inputMode="decimal" className={CONTROL_CLASS} />
          </Field>
        ))}
      </div>
      <label className="mt-4 flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          data-testid="gradient-checkpointing"
          checked={settings.gradientCheckpointing}
          onChange={(event) => settings.update({ gradientCheckpointing: event.target.checked })}
        />
        <span className="font-medium">Gradient checkpointing</span>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">Recomputes activations: less memory, a bit slower.</span>
      </label>
    </fieldset>
  );
}

import type { ReactNode } from "react";
import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import type { LrSchedule } from "../../lib/types";
import { positiveInteger, useTrainSettingsStore, type TrainField, type TrainFormState } from "./train-settings";

type TextKey = {
  [K in keyof TrainFormState]: TrainFormState[K] extends string ? K : never;
}[keyof TrainFormState];

type FieldSpec = { id: string; key: TextKey; label: string; hint: string; decimal?: boolean; placeholder?: string };

/** Settings the memory estimate depends on: checked as whole numbers while typing. */
const SIZED = new Set<TextKey>(["batchSize", "seqLen", "loraRank"]);

const LORA: FieldSpec[] = [
  { id: "lora-rank", key: "loraRank", label: "LoRA rank", hint: "Adapter size; higher learns more." },
  { id: "lora-alpha", key: "loraAlpha", label: "LoRA alpha", hint: "Adapter scaling; often equal to or 2 × rank.", decimal: true },
  { id: "lora-dropout", key: "loraDropout", label: "LoRA dropout", hint: "From 0 to below 1; 0 is usual.", decimal: true },
];

const OPTIMIZATION: FieldSpec[] = [
  { id: "learning-rate", key: "learningRate", label: "Learning rate", hint: "Peak step size, such as 2e-4.", decimal: true },
  { id: "warmup-steps", key: "warmupSteps", label: "Warmup steps", hint: "Steps to ramp the learning rate up." },
  { id: "epochs", key: "epochs", label: "Epochs", hint: "Passes over the dataset.", decimal: true },
  { id: "max-steps", key: "maxSteps", label: "Max steps", hint: "Overrides epochs when set.", placeholder: "none" },
  { id: "batch-size", key: "batchSize", label: "Batch size", hint: "Sequences per micro-batch." },
  { id: "grad-accum", key: "gradAccum", label: "Gradient accumulation", hint: "Micro-batches summed per update." },
  { id: "max-seq-len", key: "seqLen", label: "Max sequence length", hint: "Tokens per sequence; longer rows are cut." },
  { id: "seed", key: "seed", label: "Seed", hint: "Decides the shuffle, the split and LoRA's start." },
];

const EVALUATION: FieldSpec[] = [
  { id: "checkpoint-every", key: "checkpointEvery", label: "Checkpoint every", hint: "Steps; empty: at stop and end.", placeholder: "none" },
  { id: "eval-fraction", key: "evalFraction", label: "Eval fraction", hint: "Rows held out, from 0 to below 1.", decimal: true },
  { id: "eval-every", key: "evalEvery", label: "Eval every", hint: "Steps; empty: at the end.", placeholder: "none" },
];

const TOGGLES: Array<{ id: string; key: "gradientCheckpointing" | "packing" | "responsesOnly"; label: string; hint: string }> = [
  { id: "gradient-checkpointing", key: "gradientCheckpointing", label: "Gradient checkpointing", hint: "Recomputes activations: less memory, a bit slower." },
  { id: "packing", key: "packing", label: "Packing", hint: "Several short rows per sequence: fewer steps." },
  { id: "responses-only", key: "responsesOnly", label: "Train on responses only", hint: "Only assistant turns are learned; prompts are context." },
];

const SCHEDULES: ReadonlyArray<{ value: LrSchedule; label: string }> = [
  { value: "linear", label: "Linear decay" },
  { value: "cosine", label: "Cosine decay" },
  { value: "constant", label: "Constant" },
];

function TextField({ spec, errors }: { spec: FieldSpec; errors: Partial<Record<TrainField, string>> }) {
  const value = useTrainSettingsStore((s) => s[spec.key]);
  const update = useTrainSettingsStore((s) => s.update);
  // Sized fields are checked as typed, since the estimate waits on them; the rest on Start.
  const typedError = SIZED.has(spec.key) && positiveInteger(value) === null ? "Enter a whole number from 1." : null;
  const error = errors[spec.key] ?? typedError;
  return (
    <Field id={spec.id} label={spec.label} hint={error ?? spec.hint}>
      <input
        id={spec.id}
        name={spec.id}
        data-testid={spec.id}
        value={value}
        placeholder={spec.placeholder}
        aria-invalid={error !== null}
        onChange={(event) => update({ [spec.key]: event.target.value })}
        inputMode={spec.decimal ? "decimal" : "numeric"}
        className={CONTROL_CLASS}
      />
    </Field>
  );
}

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset>
      <legend className="text-sm font-medium">{title}</legend>
      <div className="mt-1.5 grid grid-cols-2 gap-4 lg:grid-cols-4">{children}</div>
    </fieldset>
  );
}

/** Every setting of a run, as text until Start checks it; errors from that check sit beside their field. */
export function HyperparameterFields({ errors = {} }: { errors?: Partial<Record<TrainField, string>> }) {
  const settings = useTrainSettingsStore();
  const lora = settings.method !== "full";
  return (
    <div className="flex flex-col gap-6">
      {lora ? (
        <Group title="LoRA">
          {LORA.map((spec) => (
            <TextField key={spec.id} spec={spec} errors={errors} />
          ))}
          <Field id="lora-targets" label="Target modules" hint={errors.loraTargets ?? "Module names, separated by commas."}>
            <input
              id="lora-targets"
              data-testid="lora-targets"
              value={settings.loraTargets}
              aria-invalid={errors.loraTargets !== undefined}
              onChange={(event) => settings.update({ loraTargets: event.target.value })}
              className={CONTROL_CLASS}
            />
          </Field>
        </Group>
      ) : null}
      <Group title="Hyperparameters">
        {OPTIMIZATION.slice(0, 1).map((spec) => (
          <TextField key={spec.id} spec={spec} errors={errors} />
        ))}
        <Field id="schedule" label="Schedule" hint="How the learning rate falls after warmup.">
          <select
            id="schedule"
            data-testid="schedule"
            value={settings.schedule}
            onChange={(event) => settings.update({ schedule: event.target.value as LrSchedule })}
            className={CONTROL_CLASS}
          >
            {SCHEDULES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        {OPTIMIZATION.slice(1).map((spec) => (
          <TextField key={spec.id} spec={spec} errors={errors} />
        ))}
      </Group>
      <Group title="Checkpoints and evaluation">
        {EVALUATION.map((spec) => (
          <TextField key={spec.id} spec={spec} errors={errors} />
        ))}
      </Group>
      <div className="flex flex-col gap-2">
        {TOGGLES.map((toggle) => (
          <label key={toggle.id} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              data-testid={toggle.id}
              checked={settings[toggle.key]}
              onChange={(event) => settings.update({ [toggle.key]: event.target.checked })}
            />
            <span className="font-medium">{toggle.label}</span>
            <span className="text-xs text-zinc-500 dark:text-zinc-400">{toggle.hint}</span>
          </label>
        ))}
      </div>
    </div>
  );
}

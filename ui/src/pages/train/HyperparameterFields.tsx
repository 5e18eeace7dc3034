import { CONTROL_CLASS, Field } from "../../components/ui/Field";

const HYPERPARAMETERS = [
  { id: "learning-rate", label: "Learning rate", value: "2e-4", hint: "Step size for each update." },
  { id: "epochs", label: "Epochs", value: "3", hint: "Passes over the dataset." },
  { id: "batch-size", label: "Batch size", value: "2", hint: "Examples per step, per device." },
  { id: "grad-accum", label: "Gradient accumulation", value: "4", hint: "Steps summed before an update." },
  { id: "max-seq-len", label: "Max sequence length", value: "2048", hint: "Longer examples are truncated." },
  { id: "lora-rank", label: "LoRA rank", value: "16", hint: "Adapter size; higher learns more." },
  { id: "lora-alpha", label: "LoRA alpha", value: "32", hint: "Adapter scaling, often 2 × rank." },
  { id: "warmup-steps", label: "Warmup steps", value: "10", hint: "Steps to ramp the learning rate up." },
] as const;

export function HyperparameterFields() {
  return (
    <fieldset>
      <legend className="text-sm font-medium">Hyperparameters</legend>
      <div className="mt-1.5 grid grid-cols-2 gap-4 lg:grid-cols-4">
        {HYPERPARAMETERS.map((param) => (
          <Field key={param.id} id={param.id} label={param.label} hint={param.hint}>
            <input id={param.id} name={param.id} defaultValue={param.value} inputMode="decimal" className={CONTROL_CLASS} />
          </Field>
        ))}
      </div>
    </fieldset>
  );
}

import { cx } from "../../components/ui/cx";
import type { TrainingMethod } from "../../lib/types";

const METHODS: ReadonlyArray<{ value: TrainingMethod; label: string; detail: string }> = [
  { value: "lora", label: "LoRA", detail: "Small adapter on a 16-bit model. The usual choice." },
  { value: "qlora", label: "QLoRA", detail: "Adapter on a 4-bit model. Least GPU memory; estimate only for now." },
  { value: "full", label: "Full", detail: "Updates every weight. Needs the most memory." },
];

export function MethodPicker({ value, onChange }: { value: TrainingMethod; onChange: (method: TrainingMethod) => void }) {
  return (
    <fieldset>
      <legend className="text-sm font-medium">Method</legend>
      <div className="mt-1.5 grid grid-cols-3 gap-2">
        {METHODS.map((method) => (
          <label
            key={method.value}
            className={cx(
              "flex cursor-pointer flex-col gap-0.5 rounded-md border p-3 text-sm",
              method.value === value
                ? "border-indigo-500 bg-indigo-50/60 dark:bg-indigo-500/10"
                : "border-zinc-300 dark:border-zinc-700",
            )}
          >
            <span className="flex items-center gap-2 font-medium">
              <input
                type="radio"
                name="method"
                value={method.value}
                data-testid={`method-${method.value}`}
                checked={method.value === value}
                onChange={() => onChange(method.value)}
              />
              {method.label}
            </span>
            <span className="text-xs text-zinc-500 dark:text-zinc-400">{method.detail}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

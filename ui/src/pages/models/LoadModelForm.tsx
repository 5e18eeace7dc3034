import { Play } from "lucide-react";
import { useState, type FormEvent } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS } from "../../components/ui/Field";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { Dequantize } from "../../lib/types";
import { useModelsStore } from "../../stores/models";

const DEQUANTIZE_CHOICES: { value: Dequantize; label: string }[] = [
  { value: "auto", label: "Auto (f32 for small models)" },
  { value: "on", label: "On: f32 weights, faster on a CPU" },
  { value: "off", label: "Off: keep the quantized weights" },
];

function isDequantize(value: string): value is Dequantize {
  return DEQUANTIZE_CHOICES.some((choice) => choice.value === value);
}

/** Loads a model by its path; progress shows in the list above while it reads the weights. */
export function LoadModelForm() {
  const load = useModelsStore((s) => s.load);
  const [path, setPath] = useState("");
  const [id, setId] = useState("");
  const [dequantize, setDequantize] = useState<Dequantize>("auto");
  const [adapter, setAdapter] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = path.trim();
    if (!trimmed) return;
    setBusy(true);
    setError(null);
    load(trimmed, id.trim() || null, dequantize, adapter.trim() || null).then(
      () => {
        setBusy(false);
        setPath("");
        setId("");
        setAdapter("");
      },
      (caught: unknown) => {
        setBusy(false);
        setError(toBackendError(caught));
      },
    );
  };

  return (
    <form data-testid="load-model-form" onSubmit={submit} className="flex flex-col gap-3">
      <div className="grid gap-3 sm:grid-cols-[2fr_1fr_1fr]">
        <div className="flex min-w-0 flex-col gap-1.5">
          <label htmlFor="load-model-path" className="text-sm font-medium">
            Model path
          </label>
          <input
            id="load-model-path"
            data-testid="load-model-path"
            value={path}
            onChange={(event) => setPath(event.target.value)}
            placeholder="/path/to/model.gguf or a model folder"
            className={CONTROL_CLASS}
          />
        </div>
        <div className="flex min-w-0 flex-col gap-1.5">
          <label htmlFor="load-model-id" className="text-sm font-medium">
            Name (optional)
          </label>
          <input
            id="load-model-id"
            data-testid="load-model-id"
            value={id}
            onChange={(event) => setId(event.target.value)}
            placeholder="the file or folder name"
            className={CONTROL_CLASS}
          />
        </div>
        <div className="flex min-w-0 flex-col gap-1.5">
          <label htmlFor="load-model-dequantize" className="text-sm font-medium">
            Dequantize
          </label>
          <select
            id="load-model-dequantize"
            data-testid="load-model-dequantize"
            value={dequantize}
            onChange={(event) => {
              if (isDequantize(event.target.value)) setDequantize(event.target.value);
            }}
            className={CONTROL_CLASS}
          >
            {DEQUANTIZE_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="flex min-w-0 flex-col gap-1.5">
        <label htmlFor="load-model-adapter" className="text-sm font-medium">
          LoRA adapter (optional)
        </label>
        <input
          id="load-model-adapter"
          data-testid="load-model-adapter"
          value={adapter}
          onChange={(event) => setAdapter(event.target.value)}
          placeholder="a folder with adapter_config.json, e.g. from the Train page"
          className={CONTROL_CLASS}
        />
      </div>
      <div>
        <Button type="submit" disabled={busy || !path.trim()} data-testid="load-model-submit">
          <Play aria-hidden className="size-4" />
          {busy ? "Loading…" : "Load"}
        </Button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
    </form>
  );
}

import { Cpu, LoaderCircle } from "lucide-react";
import { useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Badge } from "../../components/ui/Badge";
import { Button } from "../../components/ui/Button";
import { EmptyState } from "../../components/ui/EmptyState";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { LoadedModelInfo } from "../../lib/types";
import { useModelsStore, type LoadProgress } from "../../stores/models";
import { formatParameters } from "./format-parameters";

/** One load in progress, with a bar fed by the backend's progress events. */
export function LoadProgressBar({ id, progress }: { id: string; progress: LoadProgress }) {
  const percent = Math.round(progress.fraction * 100);
  return (
    <div data-testid="model-load-progress" data-model-id={id} className="flex flex-col gap-1">
      <div className="flex items-center justify-between gap-2 text-sm">
        <span className="flex items-center gap-2 font-medium">
          <LoaderCircle aria-hidden className="size-4 animate-spin text-indigo-500" />
          Loading {id}
        </span>
        <span className="tabular-nums text-zinc-500">{percent}%</span>
      </div>
      <div
        role="progressbar"
        aria-label={`Loading ${id}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        className="h-2 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800"
      >
        <div className="h-full rounded-full bg-indigo-500 transition-[width]" style={{ width: `${percent}%` }} />
      </div>
      {progress.path ? (
        <p className="truncate font-mono text-xs text-zinc-500" title={progress.path}>
          {progress.path}
        </p>
      ) : null}
    </div>
  );
}

function LoadedRow({ model }: { model: LoadedModelInfo }) {
  const unload = useModelsStore((s) => s.unload);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);

  const onUnload = () => {
    setBusy(true);
    setError(null);
    unload(model.id).then(
      () => setBusy(false),
      (caught: unknown) => {
        setBusy(false);
        setError(toBackendError(caught));
      },
    );
  };

  return (
    <li data-testid="loaded-model" data-model-id={model.id} className="flex flex-col gap-2 py-3">
      <div className="flex items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium">{model.id}</span>
            <Badge tone="success">Ready</Badge>
            <Badge>{model.architecture}</Badge>
            <Badge>{model.dequantized ? `${model.quantization} → f32` : model.quantization}</Badge>
          </div>
          <p className="mt-0.5 text-xs text-zinc-500">
            {formatParameters(model.parameters)} parameters · {model.contextLength.toLocaleString("en-US")} tokens of
            context
            {model.hasChatTemplate ? "" : " · no chat template"}
          </p>
          <p className="truncate font-mono text-xs text-zinc-500" title={model.path}>
            {model.path}
          </p>
        </div>
        <Button variant="secondary" onClick={onUnload} disabled={busy} aria-label={`Unload ${model.id}`}>
          Unload
        </Button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
    </li>
  );
}

/** The models ready to chat with, the loads in progress and the loads that failed. */
export function LoadedModels() {
  const loaded = useModelsStore((s) => s.loaded);
  const loading = useModelsStore((s) => s.loading);
  const failures = useModelsStore((s) => s.failures);
  const error = useModelsStore((s) => s.error);
  const refresh = useModelsStore((s) => s.refresh);
  const inProgress = Object.entries(loading);
  const failed = Object.entries(failures);

  return (
    <div data-testid="loaded-models" className="flex flex-col gap-3">
      {error ? <ErrorNotice error={error} onRetry={() => void refresh()} /> : null}
      {inProgress.map(([id, progress]) => (
        <LoadProgressBar key={id} id={id} progress={progress} />
      ))}
      {failed.map(([id, failure]) => (
        <div key={id} data-testid="model-load-failed" data-model-id={id}>
          <ErrorNotice error={toBackendError({ code: failure.code, message: `${id}: ${failure.message}` })} />
        </div>
      ))}
      {loaded.length === 0 && inProgress.length === 0 ? (
        <EmptyState icon={Cpu} title="No model loaded">
          Load a GGUF file or a Hugging Face model folder to chat with it here and through the LAN API.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {loaded.map((model) => (
            <LoadedRow key={model.id} model={model} />
          ))}
        </ul>
      )}
    </div>
  );
}

import { Sparkles } from "lucide-react";
import { useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui/Button";
import { starterModel } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { StarterModel } from "../../lib/types";
import { useChatStore } from "../../stores/chat";
import { useModelsStore } from "../../stores/models";

/**
 * Which loaded model answers. With none loaded it offers the starter model, loaded
 * dequantized (f32): its reference answers were measured that way, and at 135M parameters
 * the f32 weights are small.
 */
export function ModelPicker() {
  const loaded = useModelsStore((s) => s.loaded);
  const modelId = useChatStore((s) => s.modelId);
  const setModel = useChatStore((s) => s.setModel);

  // The first loaded model answers until the user picks another; an unloaded pick is dropped.
  useEffect(() => {
    if (modelId !== null && loaded.some((m) => m.id === modelId)) return;
    setModel(loaded[0]?.id ?? null);
  }, [loaded, modelId, setModel]);

  if (loaded.length === 0) return <StarterLoader />;
  return (
    <label className="flex items-center gap-2 text-xs text-zinc-500">
      Model
      <select
        data-testid="chat-model-picker"
        value={modelId ?? ""}
        onChange={(event) => setModel(event.target.value)}
        className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
      >
        {loaded.map((m) => (
          <option key={m.id} value={m.id}>
            {m.id}
          </option>
        ))}
      </select>
    </label>
  );
}

function StarterLoader() {
  const [starter, setStarter] = useState<StarterModel | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const load = useModelsStore((s) => s.load);
  const progress = useModelsStore((s) => (starter ? s.loading[starter.id] : undefined));

  useEffect(() => {
    let live = true;
    starterModel().then(
      (found) => {
        if (live) setStarter(found);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);

  if (!starter) {
    return (
      <span
        data-testid="chat-no-model"
        className="rounded-md border border-dashed border-zinc-300 px-2.5 py-1 text-xs text-zinc-500 dark:border-zinc-700"
      >
        No model loaded
      </span>
    );
  }
  const onLoad = () => {
    setError(null);
    load(starter.path, starter.id, "on").catch((caught: unknown) => setError(toBackendError(caught)));
  };
  return (
    <div className="flex flex-col items-end gap-1">
      <Button
        variant="secondary"
        onClick={onLoad}
        disabled={progress !== undefined}
        data-testid="chat-load-starter"
        title={starter.path}
      >
        <Sparkles aria-hidden className="size-4" />
        {progress ? "Loading the starter model…" : "Load the starter model"}
      </Button>
      {progress ? (
        <progress
          data-testid="chat-load-progress"
          className="h-1.5 w-48"
          max={1}
          value={progress.fraction}
          aria-label="Loading the starter model"
        />
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}

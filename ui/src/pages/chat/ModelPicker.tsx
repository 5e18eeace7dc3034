import { HardDrive } from "lucide-react";
import { useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui/Button";
import { modelsLocal } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { Dequantize, LocalModelInfo, LocalModelSource } from "../../lib/types";
import { useChatStore } from "../../stores/chat";
import { useModelsStore } from "../../stores/models";
import { loadIdFor } from "./local-models";

const SOURCE_LABEL: Record<LocalModelSource, string> = {
  starter: "Starter model",
  folder: "Models folders",
  hf_cache: "Hugging Face cache",
};

/**
 * The starter model is loaded dequantized (f32): its reference answers were measured that
 * way, and at 135M parameters the f32 weights are small. Others: the engine's choice.
 */
function dequantizeFor(model: LocalModelInfo): Dequantize {
  return model.source === "starter" ? "on" : "auto";
}

/**
 * Which loaded model answers, and the models on this machine that can be loaded (the starter
 * model, the models folders from Settings, the Hugging Face cache), with the load's progress.
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

  return (
    <div className="flex items-center gap-2">
      {loaded.length > 0 ? (
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
      ) : null}
      <LocalModelLoader />
    </div>
  );
}

function LocalModelLoader() {
  const [models, setModels] = useState<LocalModelInfo[] | null>(null);
  const [path, setPath] = useState("");
  const [error, setError] = useState<BackendError | null>(null);
  const loaded = useModelsStore((s) => s.loaded);
  const load = useModelsStore((s) => s.load);
  const loading = useModelsStore((s) => s.loading);

  useEffect(() => {
    let live = true;
    modelsLocal().then(
      (found) => {
        if (!live) return;
        setModels(found);
        setPath((current) => current || (found[0]?.path ?? ""));
      },
      (caught: unknown) => {
        if (live) setError(toBackendError(caught));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const notLoaded = (models ?? []).filter((m) => !loaded.some((l) => l.id === loadIdFor(m)));
  const picked = notLoaded.find((m) => m.path === path) ?? notLoaded[0] ?? null;
  const progress = picked ? loading[loadIdFor(picked)] : undefined;

  if (models !== null && models.length === 0 && loaded.length === 0) {
    return (
      <span
        data-testid="chat-no-model"
        title="Add a models folder in Settings, or download a model to the Hugging Face cache"
        className="rounded-md border border-dashed border-zinc-300 px-2.5 py-1 text-xs text-zinc-500 dark:border-zinc-700"
      >
        No model loaded
      </span>
    );
  }
  if (picked === null) return error ? <ErrorNotice error={error} /> : null;

  const onLoad = () => {
    setError(null);
    load(picked.path, loadIdFor(picked), dequantizeFor(picked)).catch((caught: unknown) =>
      setError(toBackendError(caught)),
    );
  };
  const sources = (["starter", "folder", "hf_cache"] as const).filter((s) => notLoaded.some((m) => m.source === s));
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex items-center gap-1">
        <select
          aria-label="Model on this computer"
          data-testid="chat-local-models"
          value={picked.path}
          onChange={(event) => setPath(event.target.value)}
          className="max-w-56 rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        >
          {sources.map((source) => (
            <optgroup key={source} label={SOURCE_LABEL[source]}>
              {notLoaded
                .filter((m) => m.source === source)
                .map((m) => (
                  <option key={m.path} value={m.path} title={m.path}>
                    {m.name}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
        <Button
          variant="secondary"
          onClick={onLoad}
          disabled={progress !== undefined}
          data-testid="chat-load-local"
          title={picked.path}
        >
          <HardDrive aria-hidden className="size-4" />
          {progress ? "Loading…" : "Load"}
        </Button>
      </div>
      {progress ? (
        <progress
          data-testid="chat-load-progress"
          className="h-1.5 w-48"
          max={1}
          value={progress.fraction}
          aria-label={`Loading ${picked.name}`}
        />
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}

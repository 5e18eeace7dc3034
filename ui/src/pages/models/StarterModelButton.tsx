import { Sparkles } from "lucide-react";
import { useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui/Button";
import { starterModel } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { StarterModel } from "../../lib/types";
import { useModelsStore } from "../../stores/models";

/**
 * "Load the starter model" when SmolLM2-135M-Instruct is on this machine: a small model to try
 * chat and the LAN API with. Shows nothing when it is not there.
 */
export function StarterModelButton() {
  const [starter, setStarter] = useState<StarterModel | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const load = useModelsStore((s) => s.load);
  const isLoaded = useModelsStore((s) => (starter ? s.loaded.some((m) => m.id === starter.id) : false));
  const isLoading = useModelsStore((s) => (starter ? starter.id in s.loading : false));

  useEffect(() => {
    let live = true;
    // Where the starter model is is a convenience: a failure to look leaves the button out.
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

  if (!starter) return null;

  const onLoad = () => {
    setBusy(true);
    setError(null);
    load(starter.path, starter.id, "auto").then(
      () => setBusy(false),
      (caught: unknown) => {
        setBusy(false);
        setError(toBackendError(caught));
      },
    );
  };

  return (
    <div data-testid="starter-model" className="flex flex-col gap-2">
      <div className="flex items-center gap-3">
        <Button
          variant="secondary"
          onClick={onLoad}
          disabled={busy || isLoaded || isLoading}
          data-testid="load-starter-model"
          title={starter.path}
        >
          <Sparkles aria-hidden className="size-4" />
          {isLoaded ? "Starter model loaded" : "Load the starter model"}
        </Button>
        <span className="text-xs text-zinc-500">{starter.id}, Q4_1 GGUF (about 90 MB)</span>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}

import { useCallback, useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useEstimate } from "../../components/useEstimate";
import { PageHeader } from "../../components/ui/PageHeader";
import { Section } from "../../components/ui/Section";
import { estimateTraining, onAppEvent, trainCancel, trainMetrics, trainPreview, trainRuns, trainStart, trainStop } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { TrainPreviewRow } from "../../lib/types";
import { useHardwareReport } from "../../stores/hardware";
import { RunHistory } from "./RunHistory";
import { RunProgress } from "./RunProgress";
import { TokenPreview } from "./TokenPreview";
import { TrainEstimatePanel } from "./TrainEstimatePanel";
import { TrainForm } from "./TrainForm";
import { curves, newLiveRun, useTrainRunStore } from "./train-run";
import { estimateRequest, previewRequest, startRequest, useTrainSettingsStore, type TrainField } from "./train-settings";

/** Typing in a field waits this long before the estimate is asked for again. */
const ESTIMATE_DEBOUNCE_MS = 400;

/** Rows the preview shows: enough to see the template, few enough to read. */
const PREVIEW_ROWS = 5;

/**
 * Follows the backend's bus for the run on screen; a run still going when the page opens with
 * nothing followed (a reload, another window) is picked up from the history.
 */
function useLiveRun(onRunEnded: () => void) {
  const apply = useTrainRunStore((s) => s.apply);
  useEffect(() => {
    let stop: (() => void) | null = null;
    let cancelled = false;
    onAppEvent((event) => {
      const live = useTrainRunStore.getState().live;
      apply(event);
      if (event.kind === "job.finished" && live && event.jobId === live.jobId) onRunEnded();
    })
      .then((unlisten) => {
        if (cancelled) unlisten();
        else stop = unlisten;
      })
      .catch(() => undefined);
    if (useTrainRunStore.getState().live === null) {
      void adoptRunningRun();
    }
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [apply, onRunEnded]);
}

async function adoptRunningRun(): Promise<void> {
  try {
    const running = (await trainRuns()).find((r) => r.state === "running" && r.jobId !== null);
    if (!running?.jobId || useTrainRunStore.getState().live !== null) return;
    const stored = curves(await trainMetrics(running.id));
    if (useTrainRunStore.getState().live !== null) return;
    useTrainRunStore.getState().setLive({ ...newLiveRun(running.id, running.jobId), ...stored });
  } catch {
    // The history panel shows the same list and its error.
  }
}

export function TrainPage() {
  const settings = useTrainSettingsStore();
  const estimate = useEstimate(estimateRequest(settings), estimateTraining, ESTIMATE_DEBOUNCE_MS);
  const { report } = useHardwareReport();
  const noDeviceReason = report?.gpuUnavailableReason ?? null;
  const live = useTrainRunStore((s) => s.live);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<TrainField, string>>>({});
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState<"starting" | "previewing" | null>(null);
  const [preview, setPreview] = useState<TrainPreviewRow[] | null>(null);
  const [historyVersion, setHistoryVersion] = useState(0);
  const onRunEnded = useCallback(() => setHistoryVersion((v) => v + 1), []);
  useLiveRun(onRunEnded);

  async function start() {
    const checked = startRequest(useTrainSettingsStore.getState());
    setError(null);
    if (!checked.ok) {
      setFieldErrors(checked.errors);
      return;
    }
    setFieldErrors({});
    setBusy("starting");
    try {
      const started = await trainStart(checked.value);
      useTrainRunStore.getState().setLive(newLiveRun(started.runId, started.jobId));
      setHistoryVersion((v) => v + 1);
    } catch (e) {
      setError(toBackendError(e));
    } finally {
      setBusy(null);
    }
  }

  async function showPreview() {
    const checked = previewRequest(useTrainSettingsStore.getState());
    setError(null);
    if (!checked.ok) {
      setFieldErrors(checked.errors);
      return;
    }
    setFieldErrors({});
    setBusy("previewing");
    try {
      const { model, dataset, settings: options } = checked.value;
      setPreview(await trainPreview(model, dataset, options, PREVIEW_ROWS));
    } catch (e) {
      setPreview(null);
      setError(toBackendError(e));
    } finally {
      setBusy(null);
    }
  }

  async function control(action: "stop" | "cancel") {
    const current = useTrainRunStore.getState().live;
    if (!current) return;
    setError(null);
    try {
      if (action === "stop") {
        useTrainRunStore.getState().setStatus("stopping");
        await trainStop(current.jobId);
      } else {
        useTrainRunStore.getState().setStatus("cancelling");
        await trainCancel(current.jobId);
      }
    } catch (e) {
      useTrainRunStore.getState().setStatus("running");
      setError(toBackendError(e));
    }
  }

  return (
    <div data-testid="page-train">
      <PageHeader title="Train" description="Fine-tune a local model on your own data with LoRA or full fine-tuning." />
      <div className="space-y-6 px-8 py-6">
        {error ? <ErrorNotice error={error} /> : null}
        <div className="grid grid-cols-1 gap-6 2xl:grid-cols-[1fr_24rem]">
          <div className="flex flex-col gap-6">
            {live ? (
              <Section title="Current run" testId="train-current-run">
                <RunProgress live={live} onStop={() => void control("stop")} onCancel={() => void control("cancel")} />
              </Section>
            ) : null}
            <Section title="New training run" description="Choose a model and a dataset, then a method.">
              <TrainForm
                estimate={estimate}
                noDeviceReason={noDeviceReason}
                errors={fieldErrors}
                busy={busy}
                running={live !== null && live.status !== "finished"}
                onStart={() => void start()}
                onPreview={() => void showPreview()}
              />
            </Section>
            {preview ? (
              <Section title="Token preview" description="The first rows as training sees them.">
                <TokenPreview rows={preview} />
              </Section>
            ) : null}
          </div>
          <div className="grid grid-cols-1 content-start gap-6 md:grid-cols-2 2xl:grid-cols-1">
            <Section title="VRAM estimate">
              <TrainEstimatePanel estimate={estimate} noDeviceReason={noDeviceReason} />
            </Section>
            <Section title="History">
              <RunHistory version={historyVersion} />
            </Section>
          </div>
        </div>
      </div>
    </div>
  );
}

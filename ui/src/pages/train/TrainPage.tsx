import { History, Info } from "lucide-react";
import { useEstimate } from "../../components/useEstimate";
import { EmptyState } from "../../components/ui/EmptyState";
import { PageHeader } from "../../components/ui/PageHeader";
import { Section } from "../../components/ui/Section";
import { estimateTraining } from "../../lib/backend";
import { useHardwareReport } from "../../stores/hardware";
import { TrainEstimatePanel } from "./TrainEstimatePanel";
import { TrainForm } from "./TrainForm";
import { estimateRequest, useTrainSettingsStore } from "./train-settings";

/** Typing in a field waits this long before the estimate is asked for again. */
const ESTIMATE_DEBOUNCE_MS = 400;

function EngineUnavailableNote() {
  return (
    <div
      role="note"
      data-testid="train-unavailable"
      className="flex items-start gap-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-500/30 dark:bg-amber-500/10 dark:text-amber-200"
    >
      <Info aria-hidden className="mt-0.5 size-4 shrink-0" />
      <p>
        <span className="font-medium">Training engine not available in this build.</span> The form below shows what
        you will set up, and the memory estimate already follows your settings. Starting a run unlocks once the engine
        ships.
      </p>
    </div>
  );
}

export function TrainPage() {
  const settings = useTrainSettingsStore();
  const estimate = useEstimate(estimateRequest(settings), estimateTraining, ESTIMATE_DEBOUNCE_MS);
  const { report } = useHardwareReport();
  const noDeviceReason = report?.gpuUnavailableReason ?? null;
  return (
    <div data-testid="page-train">
      <PageHeader
        title="Train"
        description="Fine-tune a local model on your own data with LoRA, QLoRA or full fine-tuning."
      />
      <div className="space-y-6 px-8 py-6">
        <EngineUnavailableNote />
        <div className="grid grid-cols-1 gap-6 2xl:grid-cols-[1fr_22rem]">
          <Section title="New training run" description="Choose a model and a dataset, then a method.">
            <TrainForm estimate={estimate} noDeviceReason={noDeviceReason} />
          </Section>
          <div className="grid grid-cols-1 content-start gap-6 md:grid-cols-2 2xl:grid-cols-1">
            <Section title="VRAM estimate">
              <TrainEstimatePanel estimate={estimate} noDeviceReason={noDeviceReason} />
            </Section>
            <Section title="History">
              <EmptyState icon={History} title="No training runs">
                Finished runs, with their loss charts and adapters, are listed here.
              </EmptyState>
            </Section>
          </div>
        </div>
      </div>
    </div>
  );
}

import { Gauge, History, Info } from "lucide-react";
import { EmptyState } from "../../components/ui/EmptyState";
import { PageHeader } from "../../components/ui/PageHeader";
import { Section } from "../../components/ui/Section";
import { TrainForm } from "./TrainForm";

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
        you will set up; it unlocks once the engine ships.
      </p>
    </div>
  );
}

export function TrainPage() {
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
            <TrainForm />
          </Section>
          <div className="grid grid-cols-1 content-start gap-6 md:grid-cols-2 2xl:grid-cols-1">
            <Section title="VRAM estimate">
              <EmptyState icon={Gauge} title="No estimate yet">
                Pick a model and a method to see how much GPU memory the run needs.
              </EmptyState>
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

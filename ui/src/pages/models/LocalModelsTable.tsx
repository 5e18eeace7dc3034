import { HardDrive, X } from "lucide-react";
import { FitBadge } from "../../components/FitBadge";
import { summarizeInference } from "../../components/fit-summary";
import { useEstimate } from "../../components/useEstimate";
import { EmptyState } from "../../components/ui/EmptyState";
import { estimateInference } from "../../lib/backend";
import { formatBytes } from "../../lib/format";
import type { InferenceAssessment } from "../../lib/types";
import { useHardwareReport } from "../../stores/hardware";
import { DEFAULT_CONTEXT_LEN, type LocalModel } from "./checked-models";
import { formatParameters } from "./format-parameters";

const COLUMNS = ["Name", "Format", "Parameters", "Size on disk", "Fits (4K context)", ""] as const;

type ServingRequest = { path: string; contextLen: number };

function fetchServingEstimate(request: ServingRequest): Promise<InferenceAssessment> {
  return estimateInference(request.path, request.contextLen);
}

function ModelRow({ model, onRemove }: { model: LocalModel; onRemove?: (path: string) => void }) {
  const estimate = useEstimate({ path: model.path, contextLen: DEFAULT_CONTEXT_LEN }, fetchServingEstimate);
  const { report } = useHardwareReport();
  const summary = estimate.status === "ready" ? estimate.value.estimate.model : null;
  const fileBytes = summary?.gguf?.fileBytes ?? null;

  return (
    <tr data-testid="local-model-row" className="border-t border-zinc-100 align-top dark:border-zinc-800">
      <td className="py-2 pr-4">
        <div className="font-medium">{model.name}</div>
        <div className="max-w-xs truncate font-mono text-xs text-zinc-500" title={model.path}>
          {model.path}
        </div>
      </td>
      <td className="py-2 pr-4">{model.format}</td>
      <td className="py-2 pr-4 tabular-nums">{summary ? formatParameters(summary.parameters) : "—"}</td>
      <td className="py-2 pr-4 tabular-nums">{fileBytes !== null ? formatBytes(fileBytes) : "—"}</td>
      <td className="py-2 pr-4">
        <FitBadge
          testId="model-fit"
          loading={estimate.status === "loading"}
          error={estimate.status === "error" ? estimate.error : null}
          summary={estimate.status === "ready" ? summarizeInference(estimate.value) : null}
          noDeviceReason={report?.gpuUnavailableReason}
        />
      </td>
      <td className="py-2 text-right">
        {onRemove ? (
          <button
            type="button"
            aria-label={`Remove ${model.name}`}
            onClick={() => onRemove(model.path)}
            className="rounded p-1 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
          >
            <X aria-hidden className="size-4" />
          </button>
        ) : null}
      </td>
    </tr>
  );
}

/** Local models, each with a badge saying whether it fits this machine's memory. */
export function LocalModelsTable({ models, onRemove }: { models: LocalModel[]; onRemove?: (path: string) => void }) {
  return (
    <table data-testid="local-models-table" className="w-full text-left text-sm">
      <thead className="text-xs uppercase tracking-wide text-zinc-500">
        <tr>
          {COLUMNS.map((column, i) => (
            <th key={i} scope="col" className="pb-2 pr-4 font-medium">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {models.length === 0 ? (
          <tr className="border-t border-zinc-100 dark:border-zinc-800">
            <td colSpan={COLUMNS.length}>
              <EmptyState icon={HardDrive} title="No local models yet">
                Add a folder that holds Hugging Face model folders (config.json, *.safetensors, tokenizer files) or
                GGUF files, or check one model by its path below. Each model gets a badge saying whether it fits in
                your GPU memory.
              </EmptyState>
            </td>
          </tr>
        ) : (
          models.map((model) => <ModelRow key={model.path} model={model} onRemove={onRemove} />)
        )}
      </tbody>
    </table>
  );
}

import { Cpu, Gauge } from "lucide-react";
import type { HardwareReport, HardwareSample } from "../../lib/types";
import { useHardwareLiveStore, useHardwareReport } from "../../stores/hardware";
import { formatUsage } from "../hardware/format";

type Line = { gpu: string; ram: string; title: string };

/** GPU memory and RAM, from the newest live sample when a page is watching, else the report. */
function statusLine(report: HardwareReport, sample: HardwareSample | null): Line {
  const ram = sample
    ? formatUsage(sample.ramUsedBytes, sample.ramTotalBytes)
    : formatUsage(report.memory.totalBytes - report.memory.availableBytes, report.memory.totalBytes);
  if (report.gpus.length === 0) {
    return { gpu: "CPU only", ram, title: report.gpuUnavailableReason ?? "CPU only" };
  }
  let used = 0;
  let total = 0;
  for (const gpu of report.gpus) {
    const live = sample?.gpus.find((g) => g.index === gpu.index);
    used += live?.memoryUsedBytes ?? gpu.memoryUsedBytes;
    total += live?.memoryTotalBytes ?? gpu.memoryTotalBytes;
  }
  const count = report.gpus.length > 1 ? ` (${report.gpus.length} GPUs)` : "";
  return {
    gpu: `GPU ${formatUsage(used, total)}${count}`,
    ram,
    title: report.gpus.map((gpu) => `cuda:${gpu.cudaIndex} ${gpu.name}`).join("\n"),
  };
}

/** The foot of the sidebar: GPU memory used / total (or "CPU only") and RAM. */
export function HardwareStatus() {
  const { status, report, error } = useHardwareReport();
  const sample = useHardwareLiveStore((s) => s.samples.at(-1) ?? null);

  let content = <span className="truncate">Detecting hardware…</span>;
  let title: string | undefined;
  if (status === "ready") {
    const line = statusLine(report, sample);
    title = line.title;
    content = (
      <span className="flex min-w-0 flex-col">
        <span data-testid="hardware-status-gpu">
          {line.gpu}
        </span>
        <span data-testid="hardware-status-ram">
          RAM {line.ram}
        </span>
      </span>
    );
  } else if (status === "error") {
    content = <span className="truncate">Hardware unknown</span>;
    title = `${error.code}: ${error.message}`;
  }
  const Icon = status === "ready" && report.gpus.length > 0 ? Gauge : Cpu;

  return (
    <div
      data-testid="hardware-status"
      title={title}
      className="flex min-w-0 items-center gap-2 px-3 text-xs text-zinc-500 dark:text-zinc-400"
    >
      <Icon aria-hidden className="size-3.5 shrink-0" />
      {content}
    </div>
  );
}

import { Cpu, RefreshCw } from "lucide-react";
import { DemoBadge } from "../../components/DemoBadge";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Sparkline } from "../../components/hardware/Sparkline";
import { UsageBar } from "../../components/hardware/UsageBar";
import { formatPercent, formatUsage } from "../../components/hardware/format";
import { InfoList, type InfoRow } from "../../components/ui/InfoList";
import { Section } from "../../components/ui/Section";
import type { HardwareReport, HardwareSample } from "../../lib/types";
import { useHardwareReport, useHardwareSamples } from "../../stores/hardware";
import { GpuCard } from "./GpuCard";

function cores(report: HardwareReport): string {
  const threads = `${report.cpu.logicalCores} threads`;
  return report.cpu.physicalCores === null ? threads : `${report.cpu.physicalCores} cores · ${threads}`;
}

function systemRows(report: HardwareReport, sample: HardwareSample | null): InfoRow[] {
  const ramUsed = sample ? sample.ramUsedBytes : report.memory.totalBytes - report.memory.availableBytes;
  const ramTotal = sample ? sample.ramTotalBytes : report.memory.totalBytes;
  const rows: InfoRow[] = [
    { label: "CPU", value: report.cpu.model, testId: "hw-cpu" },
    { label: "Cores", value: cores(report), testId: "hw-cores" },
    {
      label: "Memory",
      value: (
        <span className="flex flex-col gap-1">
          <span data-testid="hw-ram">{formatUsage(ramUsed, ramTotal)} used</span>
          <UsageBar used={ramUsed} total={ramTotal} label="Memory used" />
        </span>
      ),
    },
  ];
  if (report.disk) {
    const disk = report.disk;
    rows.push({
      label: "Disk (data folder)",
      value: (
        <span className="flex flex-col gap-1">
          <span data-testid="hw-disk">
            {formatUsage(disk.totalBytes - disk.freeBytes, disk.totalBytes)} used · {disk.mountPoint} ({disk.fileSystem})
          </span>
          <UsageBar used={disk.totalBytes - disk.freeBytes} total={disk.totalBytes} label="Disk used" />
        </span>
      ),
    });
  }
  rows.push({ label: "Operating system", value: report.os, testId: "hw-os" });
  if (report.cudaVisibleDevices !== null) {
    rows.push({ label: "CUDA_VISIBLE_DEVICES", value: report.cudaVisibleDevices || "(empty)", mono: true, testId: "hw-cuda-visible" });
  }
  return rows;
}

function CpuOnly({ reason }: { reason: string | null }) {
  return (
    <div
      data-testid="hw-cpu-only"
      className="flex items-start gap-3 rounded-md border border-zinc-200 bg-zinc-50 p-3 text-sm dark:border-zinc-800 dark:bg-zinc-950"
    >
      <Cpu aria-hidden className="mt-0.5 size-4 shrink-0 text-zinc-500" />
      <div className="min-w-0">
        <p className="font-medium">CPU only</p>
        <p data-testid="hw-cpu-only-reason" className="mt-0.5 break-words text-zinc-600 dark:text-zinc-400">
          {reason ?? "No GPU was found."}
        </p>
        <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">Models run on the CPU, more slowly.</p>
      </div>
    </div>
  );
}

function SystemCharts({ samples }: { samples: HardwareSample[] }) {
  const latest = samples.at(-1) ?? null;
  const ramTotal = latest?.ramTotalBytes ?? 0;
  return (
    <div data-testid="hw-live" className="grid grid-cols-1 gap-3 sm:grid-cols-2">
      <Sparkline
        label="CPU usage"
        points={samples.map((s) => ({ timestampMs: s.timestampMs, value: s.cpuUsagePercent }))}
        max={100}
        current={formatPercent(latest?.cpuUsagePercent)}
        testId="hw-cpu-chart"
      />
      <Sparkline
        label="RAM used"
        points={samples.map((s) => ({ timestampMs: s.timestampMs, value: s.ramUsedBytes }))}
        max={ramTotal}
        current={latest ? formatUsage(latest.ramUsedBytes, latest.ramTotalBytes) : "—"}
        testId="hw-ram-chart"
      />
    </div>
  );
}

/** Every GPU, CPU, RAM and disk, with live charts of the last minute while the panel is open. */
export function HardwareSection() {
  const { status, report, error, load } = useHardwareReport();
  const { samples, error: liveError } = useHardwareSamples();
  const latest = samples.at(-1) ?? null;

  return (
    <Section
      title="Hardware"
      description="What Loris Studio found on this machine. Live readings update every second while this page is open."
      aside={
        <div className="flex items-center gap-2">
          <DemoBadge />
          <button
            type="button"
            data-testid="hw-refresh"
            onClick={() => void load({ force: true })}
            className="inline-flex items-center gap-1 rounded-md px-2 py-1 text-xs font-medium whitespace-nowrap text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
          >
            <RefreshCw aria-hidden className="size-3.5" />
            Detect again
          </button>
        </div>
      }
      testId="settings-hardware"
    >
      {status === "ready" ? (
        <div className="flex flex-col gap-4">
          {report.gpus.length === 0 ? (
            <CpuOnly reason={report.gpuUnavailableReason} />
          ) : (
            report.gpus.map((gpu) => (
              <GpuCard key={gpu.uuid || gpu.index} gpu={gpu} driver={report.nvidiaDriver} samples={samples} />
            ))
          )}
          {report.warnings.map((warning) => (
            <p key={warning} data-testid="hw-warning" className="text-xs text-amber-700 dark:text-amber-300">
              {warning}
            </p>
          ))}
          <InfoList rows={systemRows(report, latest)} />
          <SystemCharts samples={samples} />
          {liveError ? <ErrorNotice error={liveError} /> : null}
        </div>
      ) : null}
      {status === "error" ? <ErrorNotice error={error} onRetry={() => void load({ force: true })} /> : null}
      {status === "idle" || status === "loading" ? <p className="text-sm text-zinc-500">Detecting hardware…</p> : null}
    </Section>
  );
}

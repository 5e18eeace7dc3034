import { Sparkline, type SparkPoint } from "../../components/hardware/Sparkline";
import { UsageBar } from "../../components/hardware/UsageBar";
import { formatPercent, formatPower, formatTemperature, formatUsage } from "../../components/hardware/format";
import type { Gpu, GpuSample, HardwareSample, NvidiaDriver } from "../../lib/types";

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="flex flex-col">
      <span className="text-xs text-zinc-500 dark:text-zinc-400">{label}</span>
      <span data-testid={testId} className="text-sm font-medium tabular-nums">
        {value}
      </span>
    </div>
  );
}

function series(samples: HardwareSample[], index: number, pick: (g: GpuSample) => number | null): SparkPoint[] {
  return samples.map((s) => {
    const gpu = s.gpus.find((g) => g.index === index);
    return { timestampMs: s.timestampMs, value: gpu ? pick(gpu) : null };
  });
}

/** One GPU: identity, memory bar, the latest readings and the last minute of them. */
export function GpuCard({
  gpu,
  driver,
  samples,
}: {
  gpu: Gpu;
  driver: NvidiaDriver | null;
  samples: HardwareSample[];
}) {
  const live = samples.at(-1)?.gpus.find((g) => g.index === gpu.index);
  const used = live?.memoryUsedBytes ?? gpu.memoryUsedBytes;
  const total = live?.memoryTotalBytes ?? gpu.memoryTotalBytes;
  const utilization = live ? live.utilizationPercent : gpu.utilizationPercent;
  const temperature = live ? live.temperatureC : gpu.temperatureC;
  const power = live ? live.powerDrawWatts : gpu.powerDrawWatts;
  const id = `hw-gpu-${gpu.cudaIndex}`;

  return (
    <article data-testid={id} className="rounded-md border border-zinc-200 p-4 dark:border-zinc-800">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 data-testid={`${id}-name`} className="text-sm font-semibold">
          {gpu.name}
        </h3>
        <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">
          cuda:{gpu.cudaIndex} · NVML #{gpu.index}
          {gpu.pciBusId ? ` · ${gpu.pciBusId}` : ""}
        </span>
      </header>
      <div className="mt-3 flex flex-col gap-1">
        <div className="flex justify-between text-xs">
          <span className="text-zinc-500 dark:text-zinc-400">VRAM</span>
          <span data-testid={`${id}-vram`} className="tabular-nums">
            {formatUsage(used, total)}
          </span>
        </div>
        <UsageBar used={used} total={total} label={`${gpu.name} memory used`} />
      </div>
      <div className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-4">
        <Stat label="Utilization" value={formatPercent(utilization)} testId={`${id}-util`} />
        <Stat label="Temperature" value={formatTemperature(temperature)} testId={`${id}-temp`} />
        <Stat label="Power" value={formatPower(power, gpu.powerLimitWatts)} testId={`${id}-power`} />
        <Stat label="Compute capability" value={gpu.computeCapability ?? "—"} testId={`${id}-cc`} />
      </div>
      <p data-testid={`${id}-driver`} className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
        Driver {driver?.driverVersion ?? "unknown"} · CUDA {driver?.cudaVersion ?? "unknown"}
      </p>
      <div className="mt-3 grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Sparkline
          label="GPU utilization"
          points={series(samples, gpu.index, (g) => g.utilizationPercent)}
          max={100}
          current={formatPercent(utilization)}
          testId={`${id}-util-chart`}
        />
        <Sparkline
          label="VRAM used"
          points={series(samples, gpu.index, (g) => g.memoryUsedBytes)}
          max={total}
          current={formatUsage(used, total)}
          testId={`${id}-vram-chart`}
        />
      </div>
    </article>
  );
}

import { ErrorNotice } from "../../components/ErrorNotice";
import { InfoList, type InfoRow } from "../../components/ui/InfoList";
import { Section } from "../../components/ui/Section";
import type { HardwareSummary } from "../../lib/types";
import { formatBytes, formatCores } from "../../lib/format";
import { useAppInfo } from "../../stores/app-info";

function hardwareRows(hardware: HardwareSummary): InfoRow[] {
  const gpus =
    hardware.gpus.length === 0
      ? "None detected: models run on the CPU"
      : hardware.gpus.map((gpu) => `${gpu.name} (${formatBytes(gpu.vramTotalBytes)})`).join(", ");
  const rows: InfoRow[] = [
    { label: "CPU", value: hardware.cpuModel, testId: "hw-cpu" },
    { label: "Cores", value: formatCores(hardware), testId: "hw-cores" },
    {
      label: "Memory",
      value: `${formatBytes(hardware.ramTotalBytes)} total · ${formatBytes(hardware.ramAvailableBytes)} available`,
      testId: "hw-ram",
    },
    { label: "GPU", value: gpus, testId: "hw-gpus" },
    { label: "Operating system", value: hardware.os, testId: "hw-os" },
  ];
  if (hardware.gpuNote) rows.push({ label: "GPU note", value: hardware.gpuNote, testId: "hw-gpu-note" });
  return rows;
}

export function HardwareSection() {
  const { status, info, error } = useAppInfo();

  return (
    <Section title="Hardware" description="What Loris Studio found on this machine." testId="settings-hardware">
      {status === "ready" ? <InfoList rows={hardwareRows(info.hardware)} /> : null}
      {status === "error" ? <ErrorNotice error={error} /> : null}
      {status === "idle" || status === "loading" ? <p className="text-sm text-zinc-500">Detecting hardware…</p> : null}
    </Section>
  );
}

import type { HardwareSummary } from "./types";

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** Binary sizes with the labels people expect for RAM and VRAM: 25769803776 -> "24 GB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "unknown";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = value >= 10 || unit === 0 ? 0 : 1;
  return `${value.toFixed(digits).replace(/\.0$/, "")} ${UNITS[unit]}`;
}

/** The sidebar's compact line, e.g. "CPU only · 24 GB RAM" or "RTX 4090 (24 GB) · 64 GB RAM". */
export function formatHardwareLine(hardware: HardwareSummary): string {
  const ram = `${formatBytes(hardware.ramTotalBytes)} RAM`;
  const [first, ...rest] = hardware.gpus;
  if (!first) return `CPU only · ${ram}`;
  const more = rest.length > 0 ? ` +${rest.length}` : "";
  return `${first.name} (${formatBytes(first.vramTotalBytes)})${more} · ${ram}`;
}

export function formatCores(hardware: HardwareSummary): string {
  const logical = `${hardware.logicalCores} threads`;
  return hardware.physicalCores === null ? logical : `${hardware.physicalCores} cores · ${logical}`;
}

export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A wait in whole seconds as m:ss, e.g. 42 -> "0:42", 75 -> "1:15". */
export function formatCountdown(totalSeconds: number): string {
  const seconds = Math.max(0, Math.ceil(totalSeconds));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

import { formatBytes } from "../lib/format";
import type { DeviceFit, Fit, InferenceAssessment, Suggestion, TrainingAssessment } from "../lib/types";

/** What a fit badge needs from an inference or training assessment. */
export type FitSummary = {
  /** The verdict on the device the run would use; null when there is no device to judge on. */
  fit: Fit | null;
  requiredBytes: number;
  /** The device the verdict is about. */
  target: DeviceFit | null;
  devices: DeviceFit[];
  suggestions: Suggestion[];
  notes: string[];
};

/** The picked device, else the one the verdict was given on (the largest). */
function targetDevice(devices: DeviceFit[], pick: string | null, fit: Fit | null): DeviceFit | null {
  return devices.find((d) => d.device.id === pick) ?? devices.find((d) => d.fit === fit) ?? null;
}

export function summarizeInference(assessment: InferenceAssessment): FitSummary {
  return {
    fit: assessment.fit,
    // What has to be on the device; a KV cache kept in RAM is not part of it.
    requiredBytes: assessment.estimate.deviceBytes,
    target: targetDevice(assessment.devices, assessment.pick, assessment.fit),
    devices: assessment.devices,
    suggestions: assessment.suggestions,
    notes: assessment.estimate.notes,
  };
}

export function summarizeTraining(assessment: TrainingAssessment): FitSummary {
  return {
    fit: assessment.fit,
    requiredBytes: assessment.estimate.totalBytes,
    target: targetDevice(assessment.devices, assessment.pick, assessment.fit),
    devices: assessment.devices,
    suggestions: assessment.suggestions,
    notes: assessment.estimate.notes,
  };
}

const VERDICT: Record<Fit, string> = { fits: "fits", tight: "tight", does_not_fit: "does not fit" };

function deviceLine(d: DeviceFit): string {
  const share = d.usagePercent === null ? "" : `${Math.round(d.usagePercent)}% of `;
  return `${d.device.name} (${d.device.id}): ${VERDICT[d.fit]}, ${share}${formatBytes(d.device.availableBytes)} available`;
}

/**
 * The badge's tooltip, one line each: what the run needs, the verdict on every device, and the
 * changes that would make it fit. `noDeviceReason` explains an empty device list.
 */
export function fitTooltipLines(summary: FitSummary, noDeviceReason?: string | null): string[] {
  const lines = [`Needs about ${formatBytes(summary.requiredBytes)}.`];
  if (summary.devices.length === 0) {
    lines.push(`No GPU to judge it on${noDeviceReason ? ` (${noDeviceReason})` : ""}.`);
  }
  for (const device of summary.devices) lines.push(deviceLine(device));
  if (summary.suggestions.length > 0) {
    lines.push("To make it fit:");
    for (const s of summary.suggestions.slice(0, 3)) {
      lines.push(`• ${s.description} (needs ${formatBytes(s.requiredBytes)}, ${VERDICT[s.fit]})`);
    }
  }
  return lines;
}

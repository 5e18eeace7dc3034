import type { JobState } from "../lib/types";
import { Badge, type BadgeTone } from "./ui/Badge";

const STATE: Record<JobState, { label: string; tone: BadgeTone }> = {
  queued: { label: "Queued", tone: "neutral" },
  running: { label: "Running", tone: "info" },
  completed: { label: "Completed", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
  cancelled: { label: "Cancelled", tone: "neutral" },
  interrupted: { label: "Interrupted", tone: "warning" },
};

export function JobStateBadge({ state }: { state: JobState }) {
  const { label, tone } = STATE[state] ?? { label: state, tone: "neutral" };
  return <Badge tone={tone}>{label}</Badge>;
}

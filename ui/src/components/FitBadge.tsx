import { CircleCheck, CircleHelp, CircleX, LoaderCircle, TriangleAlert } from "lucide-react";
import { useId } from "react";
import type { BackendError } from "../lib/backend-error";
import { fitTooltipLines, type FitSummary } from "./fit-summary";
import { Badge, type BadgeTone } from "./ui/Badge";

export type FitBadgeProps = {
  /** The estimate, once there is one. */
  summary?: FitSummary | null;
  loading?: boolean;
  error?: BackendError | null;
  /** Why there is no GPU to judge on ("CPU only: ..."), for the tooltip. */
  noDeviceReason?: string | null;
  testId?: string;
};

type Look = { label: string; tone: BadgeTone; icon: typeof CircleCheck; state: string };

function look({ summary, loading, error }: FitBadgeProps): Look {
  if (loading) return { label: "Estimating…", tone: "neutral", icon: LoaderCircle, state: "loading" };
  if (error) return { label: "Unknown", tone: "neutral", icon: CircleHelp, state: "error" };
  if (!summary) return { label: "—", tone: "neutral", icon: CircleHelp, state: "none" };
  const inRam = summary.target?.device.kind === "cpu" ? " in RAM" : "";
  switch (summary.fit) {
    case "fits":
      return { label: `Fits${inRam}`, tone: "success", icon: CircleCheck, state: "fits" };
    case "tight":
      return { label: `Tight${inRam}`, tone: "warning", icon: TriangleAlert, state: "tight" };
    case "does_not_fit":
      return { label: "Does not fit", tone: "danger", icon: CircleX, state: "does_not_fit" };
    default:
      return { label: "No GPU", tone: "neutral", icon: CircleHelp, state: "no_device" };
  }
}

/**
 * Fits / tight / does not fit, for a model or a training run, with the numbers and the
 * suggested changes in a tooltip (on hover and on keyboard focus).
 */
export function FitBadge(props: FitBadgeProps) {
  const tooltipId = useId();
  const { label, tone, icon: Icon, state } = look(props);
  const lines = props.error
    ? [`Could not estimate: ${props.error.message}`, `code: ${props.error.code}`]
    : props.summary
      ? fitTooltipLines(props.summary, props.noDeviceReason)
      : [];

  return (
    <span
      data-testid={props.testId}
      data-fit={state}
      tabIndex={lines.length > 0 ? 0 : undefined}
      aria-describedby={lines.length > 0 ? tooltipId : undefined}
      className="group relative inline-flex rounded-full focus-visible:outline-2 focus-visible:outline-indigo-500"
    >
      <Badge tone={tone}>
        <Icon aria-hidden className={state === "loading" ? "size-3 animate-spin" : "size-3"} />
        {label}
      </Badge>
      {lines.length > 0 ? (
        <span
          role="tooltip"
          id={tooltipId}
          className="pointer-events-none invisible absolute top-full right-0 z-20 mt-1 w-80 rounded-md border border-zinc-200 bg-white p-2 text-xs whitespace-normal text-zinc-700 opacity-0 shadow-lg transition-opacity group-hover:visible group-hover:opacity-100 group-focus-visible:visible group-focus-visible:opacity-100 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-200"
        >
          {lines.map((line, i) => (
            <span key={i} className="block">
              {line}
            </span>
          ))}
        </span>
      ) : null}
    </span>
  );
}

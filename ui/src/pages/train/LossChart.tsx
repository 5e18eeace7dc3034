import type { LossPoint } from "./train-run";
import { formatLoss } from "./train-format";

const WIDTH = 480;
const HEIGHT = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

type Scale = { x: (step: number) => number; y: (loss: number) => number };

function scale(points: LossPoint[], lastStep: number): { scale: Scale; min: number; max: number; steps: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    min = Math.min(min, p.loss);
    max = Math.max(max, p.loss);
  }
  // A flat curve still needs a band to sit in.
  if (max - min < 1e-9) {
    min -= 0.5;
    max += 0.5;
  }
  const steps = Math.max(lastStep, ...points.map((p) => p.step), 1);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  return {
    min,
    max,
    steps,
    scale: {
      x: (step) => PAD.left + (step / steps) * plotW,
      y: (loss) => PAD.top + (1 - (loss - min) / (max - min)) * plotH,
    },
  };
}

function path(points: LossPoint[], s: Scale): string {
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${s.x(p.step).toFixed(1)},${s.y(p.loss).toFixed(1)}`).join(" ");
}

/**
 * Training loss (a line) and evaluation loss (a dashed line with dots) against the step. The
 * x axis runs to `totalSteps` when known, so a run's curve grows into its space.
 */
export function LossChart({
  train,
  eval: evalPoints,
  totalSteps,
  testId = "loss-chart",
}: {
  train: LossPoint[];
  eval: LossPoint[];
  totalSteps?: number | null;
  testId?: string;
}) {
  const all = [...train, ...evalPoints];
  if (all.length === 0) {
    return (
      <p data-testid={testId} data-train-points={0} data-eval-points={0} className="text-sm text-zinc-500 dark:text-zinc-400">
        No loss recorded yet.
      </p>
    );
  }
  const { scale: s, min, max, steps } = scale(all, totalSteps ?? 0);
  return (
    <figure data-testid={testId} data-train-points={train.length} data-eval-points={evalPoints.length} className="flex flex-col gap-1">
      <svg
        role="img"
        aria-label={`Loss over ${steps} steps`}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-44 w-full rounded bg-zinc-50 dark:bg-zinc-950"
      >
        <line x1={PAD.left} y1={HEIGHT - PAD.bottom} x2={WIDTH - PAD.right} y2={HEIGHT - PAD.bottom} className="stroke-zinc-300 dark:stroke-zinc-700" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={HEIGHT - PAD.bottom} className="stroke-zinc-300 dark:stroke-zinc-700" />
        <text x={PAD.left - 4} y={PAD.top + 8} textAnchor="end" className="fill-zinc-500 text-[10px]">
          {formatLoss(max)}
        </text>
        <text x={PAD.left - 4} y={HEIGHT - PAD.bottom} textAnchor="end" className="fill-zinc-500 text-[10px]">
          {formatLoss(min)}
        </text>
        <text x={PAD.left} y={HEIGHT - 6} className="fill-zinc-500 text-[10px]">
          0
        </text>
        <text x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end" className="fill-zinc-500 text-[10px]">
          step {steps}
        </text>
        {train.length > 0 ? (
          <path data-testid={`${testId}-train`} d={path(train, s)} fill="none" strokeWidth={1.5} className="stroke-indigo-500" />
        ) : null}
        {evalPoints.length > 0 ? (
          <g data-testid={`${testId}-eval`}>
            <path d={path(evalPoints, s)} fill="none" strokeWidth={1.5} strokeDasharray="4 3" className="stroke-amber-500" />
            {evalPoints.map((p) => (
              <circle key={p.step} cx={s.x(p.step)} cy={s.y(p.loss)} r={2.5} className="fill-amber-500" />
            ))}
          </g>
        ) : null}
      </svg>
      <figcaption className="flex gap-4 text-xs text-zinc-500 dark:text-zinc-400">
        <span className="flex items-center gap-1">
          <span aria-hidden className="inline-block h-0.5 w-4 bg-indigo-500" /> Training loss
        </span>
        {evalPoints.length > 0 ? (
          <span className="flex items-center gap-1">
            <span aria-hidden className="inline-block h-0.5 w-4 bg-amber-500" /> Eval loss
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}

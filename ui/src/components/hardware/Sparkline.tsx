import { SAMPLE_WINDOW_MS } from "../../stores/hardware";

export type SparkPoint = { timestampMs: number; value: number | null };

const WIDTH = 120;
const HEIGHT = 32;

/** The filled area under the points, right-aligned to the newest one; gaps break the line. */
function areaPaths(points: SparkPoint[], max: number): string[] {
  const newest = points.at(-1)?.timestampMs ?? 0;
  const x = (t: number) => WIDTH - ((newest - t) / SAMPLE_WINDOW_MS) * WIDTH;
  const y = (v: number) => HEIGHT - (Math.min(Math.max(v, 0), max) / max) * HEIGHT;
  const runs: Array<Array<[number, number]>> = [[]];
  for (const point of points) {
    if (point.value === null || !Number.isFinite(point.value)) {
      if (runs.at(-1)?.length) runs.push([]);
      continue;
    }
    runs.at(-1)?.push([x(point.timestampMs), y(point.value)]);
  }
  return runs.flatMap((run) => {
    const [head] = run;
    if (!head) return [];
    // A single point is drawn as a thin bar so the first sample is visible at once.
    const coords: Array<[number, number]> = run.length === 1 ? [[head[0] - 1, head[1]], head] : run;
    const line = coords.map(([px, py]) => `${px.toFixed(2)},${py.toFixed(2)}`).join(" L");
    const first = (coords[0]?.[0] ?? 0).toFixed(2);
    const last = (coords.at(-1)?.[0] ?? 0).toFixed(2);
    return [`M${first},${HEIGHT} L${line} L${last},${HEIGHT} Z`];
  });
}

/**
 * The last minute of one quantity as a small filled chart. `max` is the top of the scale
 * (100 for percentages, the total for memory).
 */
export function Sparkline({
  label,
  points,
  max,
  current,
  testId,
}: {
  label: string;
  points: SparkPoint[];
  max: number;
  /** The newest value as text, shown beside the label. */
  current: string;
  testId?: string;
}) {
  const paths = max > 0 ? areaPaths(points, max) : [];
  return (
    <figure data-testid={testId} data-points={points.length} className="flex min-w-0 flex-col gap-1">
      <figcaption className="flex items-baseline justify-between gap-2 text-xs">
        <span className="text-zinc-500 dark:text-zinc-400">{label}</span>
        <span data-testid={testId ? `${testId}-value` : undefined} className="font-medium tabular-nums">
          {current}
        </span>
      </figcaption>
      <svg
        role="img"
        aria-label={`${label}, last minute`}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        className="h-10 w-full rounded bg-zinc-50 text-indigo-500 dark:bg-zinc-950 dark:text-indigo-400"
      >
        {paths.map((d, i) => (
          <path key={i} d={d} fill="currentColor" fillOpacity={0.25} stroke="currentColor" strokeWidth={1} vectorEffect="non-scaling-stroke" />
        ))}
      </svg>
    </figure>
  );
}

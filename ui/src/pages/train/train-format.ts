/** Seconds as h:mm:ss or m:ss: 75 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Losses to four decimals: differences late in a run are small. */
export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : "–";
}

/** Learning rates in scientific notation, as they are typed: 0.0002 -> "2.00e-4". */
export function formatLearningRate(lr: number): string {
  return Number.isFinite(lr) ? lr.toExponential(2).replace("e+", "e") : "–";
}

/** The last part of a path, for lists: "/models/smol/" -> "smol". */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== "");
  return parts.at(-1) ?? path;
}

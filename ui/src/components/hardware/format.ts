import { formatBytes } from "../../lib/format";

/** "3.2 GB / 24 GB". */
export function formatUsage(usedBytes: number, totalBytes: number): string {
  return `${formatBytes(usedBytes)} / ${formatBytes(totalBytes)}`;
}

/** Share of `total` in percent, 0-100; 0 when the total is unknown. */
export function percentOf(used: number, total: number): number {
  if (!Number.isFinite(used) || !Number.isFinite(total) || total <= 0) return 0;
  return Math.min(100, Math.max(0, (used / total) * 100));
}

/** "42%", or "—" when the driver did not say. */
export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value)}%`;
}

export function formatTemperature(celsius: number | null | undefined): string {
  return celsius === null || celsius === undefined ? "—" : `${Math.round(celsius)} °C`;
}

/** "215 W of 450 W", "215 W", or "—". */
export function formatPower(drawWatts: number | null | undefined, limitWatts?: number | null): string {
  if (drawWatts === null || drawWatts === undefined) return "—";
  const draw = `${Math.round(drawWatts)} W`;
  return limitWatts ? `${draw} of ${Math.round(limitWatts)} W` : draw;
}

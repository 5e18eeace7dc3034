/** "1.24 B", "494 M". */
export function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  if (count >= 1e6) return `${Math.round(count / 1e6)} M`;
  return String(count);
}

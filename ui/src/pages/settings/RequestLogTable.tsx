import type { ApiRequestEntry } from "../../lib/types";

function statusTone(status: number): string {
  if (status === 0) return "text-zinc-500";
  if (status < 400) return "text-emerald-700 dark:text-emerald-400";
  return "text-rose-700 dark:text-rose-400";
}

function formatTokens(entry: ApiRequestEntry): string {
  if (entry.promptTokens === null && entry.completionTokens === null) return "—";
  return `${entry.promptTokens ?? 0} → ${entry.completionTokens ?? 0}`;
}

/** The server's recent requests, newest first: nothing about their content or key. */
export function RequestLogTable({ entries }: { entries: ApiRequestEntry[] }) {
  if (entries.length === 0) {
    return <p className="text-sm text-zinc-500">No requests yet.</p>;
  }
  return (
    <table data-testid="lan-api-requests" className="w-full text-left text-sm">
      <thead className="text-xs uppercase tracking-wide text-zinc-500">
        <tr>
          <th scope="col" className="pb-2 pr-3 font-medium">Time</th>
          <th scope="col" className="pb-2 pr-3 font-medium">Request</th>
          <th scope="col" className="pb-2 pr-3 font-medium">Status</th>
          <th scope="col" className="pb-2 pr-3 font-medium">Tokens (in → out)</th>
          <th scope="col" className="pb-2 font-medium">Duration</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} data-testid="lan-api-request" className="border-t border-zinc-100 dark:border-zinc-800">
            <td className="py-1.5 pr-3 text-xs tabular-nums">{new Date(entry.atMs).toLocaleTimeString()}</td>
            <td className="py-1.5 pr-3 font-mono text-xs">
              {entry.method} {entry.path}
            </td>
            <td className={`py-1.5 pr-3 tabular-nums ${statusTone(entry.status)}`}>
              {entry.status === 0 ? "…" : entry.status}
            </td>
            <td className="py-1.5 pr-3 tabular-nums">{formatTokens(entry)}</td>
            <td className="py-1.5 tabular-nums">{entry.done ? `${Math.round(entry.durationMs)} ms` : "running"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

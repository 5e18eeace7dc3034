import { History } from "lucide-react";
import { useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Badge, type BadgeTone } from "../../components/ui/Badge";
import { cx } from "../../components/ui/cx";
import { EmptyState } from "../../components/ui/EmptyState";
import { trainMetrics, trainRuns } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import { formatTimestamp } from "../../lib/format";
import type { TrainRun } from "../../lib/types";
import { LossChart } from "./LossChart";
import { baseName } from "./train-format";
import { curves, type LossPoint } from "./train-run";

const TONES: Record<string, BadgeTone> = {
  running: "info",
  completed: "success",
  stopped: "success",
  cancelled: "neutral",
  failed: "danger",
  interrupted: "warning",
};

export function RunStateBadge({ state }: { state: string }) {
  return <Badge tone={TONES[state] ?? "neutral"}>{state}</Badge>;
}

type Curve = { status: "loading" } | { status: "ready"; train: LossPoint[]; eval: LossPoint[] } | { status: "error"; error: BackendError };

function RunDetail({ run }: { run: TrainRun }) {
  const [curve, setCurve] = useState<Curve>({ status: "loading" });
  useEffect(() => {
    let live = true;
    trainMetrics(run.id).then(
      (metrics) => live && setCurve({ status: "ready", ...curves(metrics) }),
      (error: unknown) => live && setCurve({ status: "error", error: toBackendError(error) }),
    );
    return () => {
      live = false;
    };
  }, [run.id, run.lastStep, run.state]);

  const rows: Array<[string, string | null, string]> = [
    ["Model", run.model, "model"],
    ["Dataset", run.dataset, "dataset"],
    ["Output", run.output, "output"],
    ["Adapter", run.adapter, "adapter"],
    ["Last checkpoint", run.lastCheckpoint, "checkpoint"],
  ];
  return (
    <div data-testid="train-run-detail" className="flex flex-col gap-3">
      <div className="flex items-center justify-between gap-2 text-sm">
        <RunStateBadge state={run.state} />
        <span data-testid="train-run-steps" className="tabular-nums text-zinc-600 dark:text-zinc-400">
          step {run.lastStep}
          {run.totalSteps !== null ? ` / ${run.totalSteps}` : ""}
        </span>
      </div>
      {curve.status === "error" ? <ErrorNotice error={curve.error} /> : null}
      {curve.status === "loading" ? <p className="text-sm text-zinc-500">Loading the curve…</p> : null}
      {curve.status === "ready" ? (
        <LossChart train={curve.train} eval={curve.eval} totalSteps={run.totalSteps} testId="train-history-chart" />
      ) : null}
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        {rows
          .filter(([, value]) => value)
          .map(([label, value, id]) => (
            <div key={label} className="contents">
              <dt className="text-zinc-500 dark:text-zinc-400">{label}</dt>
              <dd data-testid={`train-run-${id}`} className="break-all font-mono">
                {value}
              </dd>
            </div>
          ))}
      </dl>
      {run.error ? (
        <p data-testid="train-run-error" role="alert" className="break-words text-sm text-rose-700 dark:text-rose-300">
          {run.error}
        </p>
      ) : null}
    </div>
  );
}

type Runs = { status: "loading" } | { status: "ready"; runs: TrainRun[] } | { status: "error"; error: BackendError };

/**
 * Past and running runs, newest first. Selecting one draws its stored curve. `version` changes
 * when a run starts or ends, so the list is read again.
 */
export function RunHistory({ version, initialRunId }: { version: number; initialRunId?: string | null }) {
  const [runs, setRuns] = useState<Runs>({ status: "loading" });
  const [selected, setSelected] = useState<string | null>(initialRunId ?? null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    trainRuns().then(
      (list) => live && setRuns({ status: "ready", runs: list }),
      (error: unknown) => live && setRuns({ status: "error", error: toBackendError(error) }),
    );
    return () => {
      live = false;
    };
  }, [version, reload]);

  if (runs.status === "loading") return <p className="text-sm text-zinc-500">Loading runs…</p>;
  if (runs.status === "error") return <ErrorNotice error={runs.error} onRetry={() => setReload((n) => n + 1)} />;
  if (runs.runs.length === 0) {
    return (
      <EmptyState icon={History} title="No training runs">
        Finished runs, with their loss charts and adapters, are listed here.
      </EmptyState>
    );
  }
  const run = runs.runs.find((r) => r.id === selected) ?? null;
  return (
    <div className="flex flex-col gap-4">
      <ul data-testid="train-runs" className="flex flex-col gap-1">
        {runs.runs.map((r) => (
          <li key={r.id}>
            <button
              type="button"
              data-testid="train-run"
              data-run-id={r.id}
              aria-pressed={r.id === selected}
              onClick={() => setSelected(r.id === selected ? null : r.id)}
              className={cx(
                "flex w-full items-center justify-between gap-2 rounded-md px-2 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800",
                r.id === selected && "bg-zinc-100 dark:bg-zinc-800",
              )}
            >
              <span className="min-w-0">
                <span className="block truncate font-medium">{baseName(r.model)}</span>
                <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">
                  {baseName(r.dataset)} · {formatTimestamp(r.createdAt)}
                </span>
              </span>
              <RunStateBadge state={r.state} />
            </button>
          </li>
        ))}
      </ul>
      {/* Keyed by run: another run starts from "loading", not from the last curve. */}
      {run ? <RunDetail key={run.id} run={run} /> : null}
    </div>
  );
}

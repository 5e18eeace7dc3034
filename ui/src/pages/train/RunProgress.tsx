import { Ban, Save } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { formatBytes } from "../../lib/format";
import { LossChart } from "./LossChart";
import { formatDuration, formatLearningRate, formatLoss } from "./train-format";
import type { LiveRun } from "./train-run";

const STATUS: Record<LiveRun["status"], string> = {
  running: "Training",
  stopping: "Stopping after this step, then saving",
  cancelling: "Cancelling",
  finished: "Finished",
};

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="flex flex-col">
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd data-testid={testId} className="text-sm font-medium tabular-nums">
        {value}
      </dd>
    </div>
  );
}

/** The run being followed: its numbers, a progress bar and the loss so far; Stop & save and Cancel. */
export function RunProgress({
  live,
  onStop,
  onCancel,
}: {
  live: LiveRun;
  onStop: () => void;
  onCancel: () => void;
}) {
  const m = live.metrics;
  const fraction = m && m.totalSteps > 0 ? Math.min(1, m.step / m.totalSteps) : 0;
  const lastEval = live.eval.at(-1);
  const active = live.status === "running";
  return (
    <div data-testid="train-progress" data-status={live.status} className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm">
          <span data-testid="train-progress-status" className="font-medium">
            {live.status === "finished" ? `Finished: ${live.finalState ?? "done"}` : STATUS[live.status]}
          </span>{" "}
          <span className="font-mono text-xs text-zinc-500 dark:text-zinc-400">{live.runId}</span>
        </p>
        <div className="flex gap-2">
          <Button variant="secondary" onClick={onStop} disabled={!active}>
            <Save aria-hidden className="size-4" />
            Stop &amp; save
          </Button>
          <Button variant="ghost" onClick={onCancel} disabled={live.status === "finished" || live.status === "cancelling"}>
            <Ban aria-hidden className="size-4" />
            Cancel
          </Button>
        </div>
      </div>
      <div
        role="progressbar"
        aria-label="Training progress"
        aria-valuemin={0}
        aria-valuemax={m?.totalSteps ?? 0}
        aria-valuenow={m?.step ?? 0}
        className="h-2 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
      >
        <div className="h-full bg-indigo-500 transition-[width]" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <Stat label="Step" testId="train-stat-step" value={m ? `${m.step} / ${m.totalSteps}` : "–"} />
        <Stat label="Epoch" testId="train-stat-epoch" value={m ? m.epoch.toFixed(2) : "–"} />
        <Stat label="Loss" testId="train-stat-loss" value={m ? formatLoss(m.loss) : "–"} />
        <Stat label="Eval loss" testId="train-stat-eval-loss" value={lastEval ? formatLoss(lastEval.loss) : "–"} />
        <Stat label="Learning rate" testId="train-stat-lr" value={m ? formatLearningRate(m.learningRate) : "–"} />
        <Stat label="Grad norm" testId="train-stat-grad-norm" value={m ? m.gradNorm.toFixed(3) : "–"} />
        <Stat label="Tokens/s" testId="train-stat-tokens" value={m ? Math.round(m.tokensPerS).toLocaleString("en-US") : "–"} />
        <Stat
          label="Memory"
          testId="train-stat-memory"
          value={m && m.memoryBytes !== null ? formatBytes(m.memoryBytes) : "–"}
        />
        <Stat label="Elapsed" testId="train-stat-elapsed" value={m ? formatDuration(m.elapsedS) : "–"} />
        <Stat label="ETA" testId="train-stat-eta" value={m && active ? formatDuration(m.etaS) : "–"} />
      </dl>
      <LossChart train={live.train} eval={live.eval} totalSteps={m?.totalSteps ?? null} testId="train-live-chart" />
      {live.checkpoint ? (
        <p data-testid="train-checkpoint" className="break-all text-xs text-zinc-500 dark:text-zinc-400">
          Checkpoint at step {live.checkpoint.step}: <span className="font-mono">{live.checkpoint.path}</span>
        </p>
      ) : null}
      {live.error ? (
        <p data-testid="train-progress-error" role="alert" className="text-sm text-rose-700 dark:text-rose-300">
          {live.error}
        </p>
      ) : null}
    </div>
  );
}

import { ListChecks, RefreshCw } from "lucide-react";
import { useEffect } from "react";
import type { JobRecord } from "../lib/types";
import { formatTimestamp } from "../lib/format";
import { useJobsStore, watchJobs } from "../stores/jobs";
import { DemoBadge } from "./DemoBadge";
import { ErrorNotice } from "./ErrorNotice";
import { JobStateBadge } from "./JobStateBadge";
import { Button } from "./ui/Button";
import { EmptyState } from "./ui/EmptyState";
import { Section } from "./ui/Section";

function JobRow({ job }: { job: JobRecord }) {
  return (
    <tr data-testid={`job-${job.id}`} className="border-t border-zinc-100 dark:border-zinc-800">
      <td className="py-2 pr-4 font-medium">{job.kind}</td>
      <td className="py-2 pr-4">
        <JobStateBadge state={job.state} />
      </td>
      <td className="py-2 pr-4 text-zinc-600 dark:text-zinc-400">{formatTimestamp(job.updatedAt)}</td>
      <td className="py-2 font-mono text-xs text-zinc-500" title={job.error ?? undefined}>
        {job.error ?? job.id}
      </td>
    </tr>
  );
}

/** Long-running work (training, recipe runs, downloads, exports) and where each one stands. */
export function JobsPanel() {
  const { status, jobs, error, refresh } = useJobsStore();
  useEffect(() => watchJobs(), []);

  return (
    <Section
      title="Jobs"
      description="Training runs, recipe runs, downloads and exports, newest first."
      testId="jobs-panel"
      aside={
        <div className="flex items-center gap-2">
          <DemoBadge />
          <Button variant="ghost" onClick={() => void refresh()} aria-label="Refresh jobs">
            <RefreshCw aria-hidden className="size-4" />
          </Button>
        </div>
      }
    >
      {error ? <ErrorNotice error={error} onRetry={() => void refresh()} /> : null}
      {status === "loading" && jobs.length === 0 ? <p className="text-sm text-zinc-500">Loading jobs…</p> : null}
      {status === "ready" && jobs.length === 0 ? (
        <EmptyState icon={ListChecks} title="No jobs yet">
          Jobs appear here when you start a training run, run a recipe or download a model.
        </EmptyState>
      ) : null}
      {jobs.length > 0 ? (
        <table className="w-full text-left text-sm">
          <thead className="text-xs uppercase tracking-wide text-zinc-500">
            <tr>
              <th className="pb-2 font-medium">Kind</th>
              <th className="pb-2 font-medium">State</th>
              <th className="pb-2 font-medium">Updated</th>
              <th className="pb-2 font-medium">Detail</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <JobRow key={job.id} job={job} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}

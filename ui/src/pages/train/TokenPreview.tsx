import type { TrainPreviewRow } from "../../lib/types";
import { cx } from "../../components/ui/cx";

/** Shows whitespace-only and control tokens: a newline as "↵" plus the break itself. */
function visible(text: string): string {
  return text.replace(/\n/g, "↵\n");
}

export function TokenLegend() {
  return (
    <p data-testid="train-preview-legend" className="flex flex-wrap gap-4 text-xs text-zinc-600 dark:text-zinc-400">
      <span className="flex items-center gap-1.5">
        <span aria-hidden className="inline-block size-3 rounded-sm bg-emerald-200 ring-1 ring-emerald-500 dark:bg-emerald-500/30" />
        Trained: the model learns to predict these tokens
      </span>
      <span className="flex items-center gap-1.5">
        <span aria-hidden className="inline-block size-3 rounded-sm bg-zinc-100 ring-1 ring-zinc-300 dark:bg-zinc-800 dark:ring-zinc-600" />
        Context: read, not trained
      </span>
    </p>
  );
}

/** The dataset's first rows token by token, trained tokens highlighted, as training sees them. */
export function TokenPreview({ rows }: { rows: TrainPreviewRow[] }) {
  if (rows.length === 0) {
    return <p className="text-sm text-zinc-500 dark:text-zinc-400">The dataset has no rows to preview.</p>;
  }
  return (
    <div data-testid="train-preview" className="flex flex-col gap-3">
      <TokenLegend />
      {rows.map((row) => {
        const trained = row.tokens.filter((t) => t.trained).length;
        return (
          <article key={row.row} data-testid="train-preview-row" className="rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
            <header className="mb-2 flex flex-wrap items-baseline justify-between gap-2 text-xs text-zinc-500 dark:text-zinc-400">
              <span>
                Row {row.row}
                {row.line !== null ? ` (line ${row.line})` : ""}
              </span>
              <span>
                {trained} of {row.tokens.length} tokens trained
              </span>
            </header>
            {row.skipped ? (
              <p data-testid="train-preview-skipped" data-skip-code={row.skipped.code} className="mb-2 text-xs text-amber-700 dark:text-amber-300">
                Left out of training: {row.skipped.message}
              </p>
            ) : null}
            <p className="whitespace-pre-wrap break-words font-mono text-xs leading-5">
              {row.tokens.map((token, i) => (
                <span
                  key={i}
                  title={`token ${token.id}${token.trained ? ", trained" : ""}`}
                  data-trained={token.trained}
                  className={cx(
                    "rounded-sm",
                    token.trained
                      ? "bg-emerald-200 text-emerald-950 dark:bg-emerald-500/30 dark:text-emerald-100"
                      : "text-zinc-500 dark:text-zinc-400",
                  )}
                >
                  {visible(token.text)}
                </span>
              ))}
            </p>
          </article>
        );
      })}
    </div>
  );
}

import { useEffect, useState } from "react";
import { toBackendError, type BackendError } from "../lib/backend-error";

export type EstimateState<T> =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "ready"; value: T }
  | { status: "error"; error: BackendError };

type Outcome<T> = Extract<EstimateState<T>, { status: "ready" | "error" }>;

/**
 * Runs `fetcher(request)` whenever the request changes (compared by value), `delayMs` after
 * the last change, and keeps only the answer to the newest request. A null request is idle.
 * `fetcher` must be stable (a module-level function).
 */
export function useEstimate<R, T>(
  request: R | null,
  fetcher: (request: R) => Promise<T>,
  delayMs = 0,
): EstimateState<T> {
  const key = request === null ? null : JSON.stringify(request);
  const [done, setDone] = useState<{ key: string; outcome: Outcome<T> } | null>(null);

  useEffect(() => {
    if (key === null) return;
    let live = true;
    const timer = setTimeout(() => {
      fetcher(JSON.parse(key) as R).then(
        (value) => {
          if (live) setDone({ key, outcome: { status: "ready", value } });
        },
        (error: unknown) => {
          if (live) setDone({ key, outcome: { status: "error", error: toBackendError(error) } });
        },
      );
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, fetcher, delayMs]);

  if (key === null) return { status: "idle" };
  if (done === null || done.key !== key) return { status: "loading" };
  return done.outcome;
}

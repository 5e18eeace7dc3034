import { TriangleAlert } from "lucide-react";
import { AUTH_ERROR_CODES, CLIENT_ERROR_CODES, type BackendError } from "../lib/backend-error";

/**
 * A headline per error code; the backend's message is shown underneath as detail.
 * Add a case here when the Rust side documents a code that deserves its own wording.
 */
function headline(code: string): string {
  switch (code) {
    case CLIENT_ERROR_CODES.ipc:
      return "Couldn't reach the Loris Studio backend";
    case AUTH_ERROR_CODES.unauthenticated:
      return "Your session has ended: sign in again";
    case "train_invalid_config":
      return "Check the training settings";
    case "train_unsupported_model":
      return "This model can't be trained yet";
    default:
      // Every dataset error (`dataset_bad_json`, `dataset_missing_field`, ...) is about the file.
      return code.startsWith("dataset_") ? "The dataset can't be read as it is" : "Something went wrong";
  }
}

export function ErrorNotice({ error, onRetry }: { error: BackendError; onRetry?: () => void }) {
  return (
    <div
      role="alert"
      data-testid="error-notice"
      data-error-code={error.code}
      className="flex items-start gap-3 rounded-md border border-rose-200 bg-rose-50 p-3 text-sm text-rose-900 dark:border-rose-500/30 dark:bg-rose-500/10 dark:text-rose-200"
    >
      <TriangleAlert aria-hidden className="mt-0.5 size-4 shrink-0" />
      <div className="min-w-0 flex-1">
        <p className="font-medium">{headline(error.code)}</p>
        <p className="mt-0.5 break-words opacity-90">{error.message}</p>
        <p className="mt-1 font-mono text-xs opacity-70">code: {error.code}</p>
      </div>
      {onRetry ? (
        <button type="button" onClick={onRetry} className="shrink-0 text-sm font-medium underline underline-offset-2">
          Retry
        </button>
      ) : null}
    </div>
  );
}

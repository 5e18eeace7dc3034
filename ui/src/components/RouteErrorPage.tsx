import { useRouter, type ErrorComponentProps } from "@tanstack/react-router";
import { toBackendError } from "../lib/backend-error";
import { ErrorNotice } from "./ErrorNotice";

/** A route failed to load (for example the backend's auth status could not be read). */
export function RouteErrorPage({ error }: ErrorComponentProps) {
  const router = useRouter();
  return (
    <div data-testid="page-error" className="flex h-full items-center justify-center p-6">
      <div className="w-full max-w-lg">
        <ErrorNotice error={toBackendError(error)} onRetry={() => void router.invalidate()} />
      </div>
    </div>
  );
}

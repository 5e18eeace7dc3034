import { Link } from "@tanstack/react-router";
import { ShieldAlert, ShieldCheck } from "lucide-react";
import { useEffect, useState } from "react";
import { DemoBadge } from "../../components/DemoBadge";
import { ErrorNotice } from "../../components/ErrorNotice";
import { InfoList } from "../../components/ui/InfoList";
import { Section } from "../../components/ui/Section";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { SecretBackendInfo } from "../../lib/types";
import { useSessionStore } from "../../stores/session";

function SecretBackend({ info }: { info: SecretBackendInfo }) {
  return (
    <div data-testid="settings-secret-backend" data-fallback={info.isFallback} className="flex flex-col gap-2">
      <div className="flex items-center gap-2 text-sm">
        {info.isFallback ? (
          <ShieldAlert aria-hidden className="size-4 text-amber-600 dark:text-amber-400" />
        ) : (
          <ShieldCheck aria-hidden className="size-4 text-emerald-600 dark:text-emerald-400" />
        )}
        <span data-testid="secret-backend-name" className="font-medium">
          {info.name}
        </span>
      </div>
      {info.isFallback ? (
        <div
          role="alert"
          data-testid="secret-backend-fallback-warning"
          className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-500/30 dark:bg-amber-500/10 dark:text-amber-200"
        >
          <p className="font-medium">No OS keychain is available: secrets are kept in a file instead.</p>
          <p className="mt-0.5">
            The signing key and saved API keys are in a file only your user account can read, not in the system
            keychain.
            {info.reason ? <> Reason: {info.reason}</> : null}
          </p>
        </div>
      ) : null}
    </div>
  );
}

export function SecuritySection() {
  const status = useSessionStore((s) => s.authStatus);
  const username = useSessionStore((s) => s.session?.user.username ?? null);
  const loadAuthStatus = useSessionStore((s) => s.loadAuthStatus);
  const [error, setError] = useState<BackendError | null>(null);

  const reload = () => {
    loadAuthStatus({ force: true }).then(
      () => setError(null),
      (caught: unknown) => setError(toBackendError(caught)),
    );
  };

  useEffect(() => {
    let live = true;
    loadAuthStatus({ force: true }).then(
      () => {
        if (live) setError(null);
      },
      (caught: unknown) => {
        if (live) setError(toBackendError(caught));
      },
    );
    return () => {
      live = false;
    };
  }, [loadAuthStatus]);

  return (
    <Section
      title="Security"
      description="Your account and where Loris Studio keeps its secrets."
      aside={<DemoBadge />}
      testId="settings-security"
    >
      <InfoList
        rows={[
          { label: "Signed in as", value: username ?? "—", testId: "security-username" },
          {
            label: "Secret store",
            value: status ? (
              <SecretBackend info={status.secretBackend} />
            ) : error ? null : (
              <span className="text-zinc-500">Loading…</span>
            ),
          },
          {
            label: "Password",
            value: (
              <Link
                to="/change-password"
                search={{ redirect: "/settings" }}
                data-testid="settings-change-password"
                className="font-medium text-indigo-600 underline-offset-2 hover:underline dark:text-indigo-400"
              >
                Change password
              </Link>
            ),
          },
        ]}
      />
      {error ? (
        <div className="mt-3">
          <ErrorNotice error={error} onRetry={reload} />
        </div>
      ) : null}
    </Section>
  );
}

import { useNavigate } from "@tanstack/react-router";
import { Check, Copy } from "lucide-react";
import { useEffect, useState } from "react";
import { Button } from "../../components/ui/Button";
import { AUTH_ERROR_CODES, toBackendError, type BackendError } from "../../lib/backend-error";
import type { FirstRunCredentials } from "../../lib/types";
import { useSessionStore } from "../../stores/session";
import { AuthHeading } from "./AuthHeading";
import { FormMessage } from "./FormMessage";

type FirstRunState =
  | { status: "loading" }
  | { status: "ready"; credentials: FirstRunCredentials }
  | { status: "error"; error: BackendError };

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function CopyableValue({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <div className="flex flex-col gap-1.5">
      <span className="text-sm font-medium">{label}</span>
      <div className="flex items-center gap-2">
        <code
          data-testid={testId}
          className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-zinc-50 px-3 py-2 font-mono text-sm break-all select-all dark:border-zinc-700 dark:bg-zinc-950"
        >
          {value}
        </code>
        <Button
          variant="secondary"
          data-testid={`${testId}-copy`}
          aria-label={`Copy ${label.toLowerCase()}`}
          onClick={() => void copyText(value).then((ok) => setCopied(ok ? "yes" : "failed"))}
        >
          {copied === "yes" ? <Check aria-hidden className="size-4" /> : <Copy aria-hidden className="size-4" />}
          {copied === "yes" ? "Copied" : "Copy"}
        </Button>
      </div>
      {copied === "failed" ? (
        <p className="text-xs text-rose-700 dark:text-rose-300">Couldn&apos;t copy: select the text and copy it by hand.</p>
      ) : null}
    </div>
  );
}

/** Creates the admin user and shows its generated passphrase, once. */
export function FirstRunPage() {
  const firstRun = useSessionStore((s) => s.firstRun);
  const navigate = useNavigate();
  const [state, setState] = useState<FirstRunState>({ status: "loading" });

  useEffect(() => {
    let live = true;
    firstRun().then(
      (credentials) => {
        if (live) setState({ status: "ready", credentials });
      },
      (error: unknown) => {
        if (live) setState({ status: "error", error: toBackendError(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [firstRun]);

  const continueButton = (
    <Button
      data-testid="first-run-continue"
      className="mt-6 w-full py-2"
      disabled={state.status === "loading"}
      onClick={() => void navigate({ to: "/login", replace: true })}
    >
      Continue to sign in
    </Button>
  );

  return (
    <div data-testid="page-first-run">
      <AuthHeading title="Welcome to Loris Studio">
        An administrator account has been created for you. Sign in with it next; you&apos;ll be asked to choose your
        own password right away.
      </AuthHeading>

      {state.status === "loading" ? <p className="text-sm text-zinc-500">Setting up your account…</p> : null}

      {state.status === "ready" ? (
        <div className="flex flex-col gap-4">
          <FormMessage tone="warning" testId="first-run-warning">
            <p className="font-semibold">This passphrase is shown once.</p>
            <p className="mt-0.5">
              Copy it or write it down now. Loris Studio does not keep it in a readable form and can&apos;t show it again.
            </p>
          </FormMessage>
          <CopyableValue label="Username" value={state.credentials.username} testId="first-run-username" />
          <CopyableValue label="Passphrase" value={state.credentials.passphrase} testId="first-run-passphrase" />
        </div>
      ) : null}

      {state.status === "error" && state.error.code === AUTH_ERROR_CODES.alreadyInitialized ? (
        <FormMessage tone="warning" testId="first-run-error" code={state.error.code}>
          <p className="font-medium">Loris Studio is already set up.</p>
          <p className="mt-0.5">
            The first-run passphrase was shown once and can&apos;t be shown again. Sign in, or reset the password from a
            terminal with <code className="font-mono">loris user reset-password</code>.
          </p>
        </FormMessage>
      ) : null}

      {state.status === "error" && state.error.code !== AUTH_ERROR_CODES.alreadyInitialized ? (
        <FormMessage testId="first-run-error" code={state.error.code}>
          <p className="font-medium">Setting up the administrator account failed.</p>
          <p className="mt-0.5 opacity-90">{state.error.message}</p>
          <p className="mt-1 font-mono text-xs opacity-70">code: {state.error.code}</p>
        </FormMessage>
      ) : null}

      {continueButton}
    </div>
  );
}

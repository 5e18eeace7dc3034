import { useNavigate, useSearch } from "@tanstack/react-router";
import { LogIn } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import { useCountdown, type Countdown } from "../../hooks/useCountdown";
import { backendMode } from "../../lib/backend";
import { AUTH_ERROR_CODES, CLIENT_ERROR_CODES, detailNumber, toBackendError, type BackendError } from "../../lib/backend-error";
import { formatCountdown } from "../../lib/format";
import { returnTarget } from "../../lib/auth-guard";
import { useDraftsStore } from "../../stores/drafts";
import { useSessionStore } from "../../stores/session";
import { AuthHeading } from "./AuthHeading";
import { FormMessage } from "./FormMessage";

/** Used when a `locked_out` answer comes without `details.retryAfterSeconds` (issue 4: 60 s). */
const DEFAULT_LOCKOUT_SECONDS = 60;

function LoginError({ error, secondsLeft }: { error: BackendError; secondsLeft: number }) {
  let body;
  switch (error.code) {
    case AUTH_ERROR_CODES.invalidCredentials:
      body = <p className="font-medium">Wrong username or password.</p>;
      break;
    case AUTH_ERROR_CODES.lockedOut:
      body =
        secondsLeft > 0 ? (
          <>
            <p className="font-medium">Too many failed sign-in attempts.</p>
            <p className="mt-0.5">
              Try again in{" "}
              <span data-testid="login-lockout-countdown" className="font-mono tabular-nums">
                {formatCountdown(secondsLeft)}
              </span>
              .
            </p>
          </>
        ) : (
          <p className="font-medium">You can try signing in again now.</p>
        );
      break;
    case CLIENT_ERROR_CODES.ipc:
      body = (
        <>
          <p className="font-medium">Couldn&apos;t reach the Loris Studio backend.</p>
          <p className="mt-0.5 opacity-90">{error.message}</p>
        </>
      );
      break;
    default:
      body = (
        <>
          <p className="font-medium">Sign-in failed.</p>
          <p className="mt-0.5 opacity-90">{error.message}</p>
          <p className="mt-1 font-mono text-xs opacity-70">code: {error.code}</p>
        </>
      );
  }
  return (
    <FormMessage testId="login-error" code={error.code} tone={error.code === AUTH_ERROR_CODES.lockedOut ? "warning" : "error"}>
      {body}
    </FormMessage>
  );
}

export function LoginPage() {
  const login = useSessionStore((s) => s.login);
  const endedReason = useSessionStore((s) => s.endedReason);
  const search = useSearch({ strict: false });
  const navigate = useNavigate();

  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const [lockout, setLockout] = useState<Countdown | null>(null);
  const secondsLeft = useCountdown(lockout);
  const locked = secondsLeft > 0;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending || locked) return;
    setPending(true);
    setError(null);
    try {
      await login(username.trim(), password);
      const target = returnTarget({ redirect: search.redirect });
      useDraftsStore.getState().setReturnTo(null);
      // The app's guard sends a user who must change their password on to /change-password.
      await navigate({ href: target, replace: true });
    } catch (caught) {
      const failure = toBackendError(caught);
      setError(failure);
      setPassword("");
      if (failure.code === AUTH_ERROR_CODES.lockedOut) {
        const seconds = detailNumber(failure, "retryAfterSeconds") ?? DEFAULT_LOCKOUT_SECONDS;
        setLockout({ startedAt: Date.now(), seconds });
      } else {
        setLockout(null);
      }
      setPending(false);
    }
  }

  return (
    <div data-testid="page-login">
      <AuthHeading title="Sign in">Sign in to use Loris Studio on this computer.</AuthHeading>

      {endedReason === "expired" ? (
        <div className="mb-4">
          <FormMessage tone="info" testId="login-session-ended">
            Your session ended. Sign in again to pick up where you left off; your draft is kept.
          </FormMessage>
        </div>
      ) : null}

      <form className="flex flex-col gap-4" onSubmit={(event) => void onSubmit(event)}>
        <Field id="login-username" label="Username">
          <input
            id="login-username"
            data-testid="login-username"
            className={CONTROL_CLASS}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
        </Field>
        <Field id="login-password" label="Password">
          <input
            id="login-password"
            data-testid="login-password"
            type="password"
            className={CONTROL_CLASS}
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </Field>

        {error ? <LoginError error={error} secondsLeft={secondsLeft} /> : null}

        <Button
          type="submit"
          data-testid="login-submit"
          disabled={pending || locked || username.trim() === "" || password === ""}
          className="mt-1 w-full py-2"
        >
          <LogIn aria-hidden className="size-4" />
          {pending ? "Signing in…" : "Sign in"}
        </Button>
      </form>

      {backendMode() === "demo" ? (
        <p data-testid="login-demo-note" className="mt-5 text-xs text-zinc-500 dark:text-zinc-400">
          Demo mode (plain browser, no Loris Studio backend): any username and password are accepted and every value
          you see is sample data.
        </p>
      ) : (
        <p className="mt-5 text-xs text-zinc-500 dark:text-zinc-400">
          Locked out? Reset the password from a terminal with <code className="font-mono">loris user reset-password</code>.
        </p>
      )}
    </div>
  );
}

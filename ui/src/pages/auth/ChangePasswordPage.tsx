import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState, type FormEvent } from "react";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import { useLeaveWhenSessionEnds } from "../../hooks/useLeaveWhenSessionEnds";
import { returnTarget } from "../../lib/auth-guard";
import { AUTH_ERROR_CODES, CLIENT_ERROR_CODES, toBackendError, type BackendError } from "../../lib/backend-error";
import {
  MIN_PASSWORD_LENGTH,
  PASSWORD_PROBLEM_TEXT,
  passwordProblems,
  type PasswordProblem,
} from "../../lib/password-policy";
import { useDraftsStore } from "../../stores/drafts";
import { useSessionStore } from "../../stores/session";
import { AuthHeading } from "./AuthHeading";
import { FormMessage } from "./FormMessage";

function ServerError({ error }: { error: BackendError }) {
  let headline: string;
  switch (error.code) {
    case AUTH_ERROR_CODES.passwordPolicy:
      headline = "The new password doesn't meet the password policy.";
      break;
    case AUTH_ERROR_CODES.invalidCredentials:
      headline = "The current password is wrong.";
      break;
    case CLIENT_ERROR_CODES.ipc:
      headline = "Couldn't reach the Loris Studio backend.";
      break;
    default:
      headline = "Changing the password failed.";
  }
  return (
    <FormMessage testId="change-error" code={error.code}>
      <p className="font-medium">{headline}</p>
      {error.code === AUTH_ERROR_CODES.invalidCredentials ? null : <p className="mt-0.5 opacity-90">{error.message}</p>}
    </FormMessage>
  );
}

export function ChangePasswordPage() {
  const session = useSessionStore((s) => s.session);
  const changePassword = useSessionStore((s) => s.changePassword);
  const logout = useSessionStore((s) => s.logout);
  const search = useSearch({ strict: false });
  const navigate = useNavigate();
  const forced = session?.user.mustChangePassword ?? false;
  useLeaveWhenSessionEnds(search.redirect ?? null);

  const [oldPassword, setOldPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problems, setProblems] = useState<PasswordProblem[]>([]);
  const [error, setError] = useState<BackendError | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const found = passwordProblems({ oldPassword, newPassword, confirm });
    setProblems(found);
    setError(null);
    if (found.length > 0) return;
    setPending(true);
    try {
      await changePassword(oldPassword, newPassword);
      const target = returnTarget({ redirect: search.redirect });
      useDraftsStore.getState().setReturnTo(null);
      await navigate({ href: target, replace: true });
    } catch (caught) {
      setError(toBackendError(caught));
      setPending(false);
    }
  }

  return (
    <div data-testid="page-change-password">
      <AuthHeading title={forced ? "Choose your password" : "Change password"}>
        {forced
          ? "Before you continue, replace the one-time passphrase with a password of your own."
          : "Every other session is signed out when the password changes."}
      </AuthHeading>

      <form className="flex flex-col gap-4" onSubmit={(event) => void onSubmit(event)}>
        {session ? (
          <input type="text" name="username" autoComplete="username" value={session.user.username} readOnly hidden />
        ) : null}
        <Field id="change-old" label={forced ? "One-time passphrase" : "Current password"}>
          <input
            id="change-old"
            data-testid="change-old"
            type="password"
            className={CONTROL_CLASS}
            autoComplete="current-password"
            required
            value={oldPassword}
            onChange={(event) => setOldPassword(event.target.value)}
          />
        </Field>
        <Field id="change-new" label="New password" hint={`At least ${MIN_PASSWORD_LENGTH} characters, not the current one.`}>
          <input
            id="change-new"
            data-testid="change-new"
            type="password"
            className={CONTROL_CLASS}
            autoComplete="new-password"
            required
            aria-invalid={problems.includes("too_short") || problems.includes("same_as_old") || undefined}
            value={newPassword}
            onChange={(event) => setNewPassword(event.target.value)}
          />
        </Field>
        <Field id="change-confirm" label="Confirm new password">
          <input
            id="change-confirm"
            data-testid="change-confirm"
            type="password"
            className={CONTROL_CLASS}
            autoComplete="new-password"
            required
            aria-invalid={problems.includes("mismatch") || undefined}
            value={confirm}
            onChange={(event) => setConfirm(event.target.value)}
          />
        </Field>

        {problems.length > 0 ? (
          <FormMessage testId="change-problems">
            <ul className="list-none space-y-0.5">
              {problems.map((problem) => (
                <li key={problem} data-problem={problem}>
                  {PASSWORD_PROBLEM_TEXT[problem]}
                </li>
              ))}
            </ul>
          </FormMessage>
        ) : null}
        {error ? <ServerError error={error} /> : null}

        <Button type="submit" data-testid="change-submit" disabled={pending} className="mt-1 w-full py-2">
          {pending ? "Changing…" : "Change password"}
        </Button>
      </form>

      <div className="mt-4 flex justify-center">
        {forced ? (
          <Button variant="ghost" data-testid="change-sign-out" onClick={() => void logout()}>
            Sign out instead
          </Button>
        ) : (
          <Button
            variant="ghost"
            data-testid="change-cancel"
            onClick={() => void navigate({ href: returnTarget({ redirect: search.redirect }) })}
          >
            Cancel
          </Button>
        )}
      </div>
    </div>
  );
}

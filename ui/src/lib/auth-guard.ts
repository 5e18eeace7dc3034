/* eslint-disable @typescript-eslint/only-throw-error -- TanStack Router redirects are thrown `redirect()` Responses, by design. */
import { redirect } from "@tanstack/react-router";
import { useDraftsStore } from "../stores/drafts";
import { useSessionStore } from "../stores/session";
import { DEFAULT_APP_PATH, safeReturnPath } from "./return-path";

/** Search params of /login and /change-password: where to go once done. */
export type ReturnSearch = { redirect?: string };

export function validateReturnSearch(search: Record<string, unknown>): ReturnSearch {
  const target = safeReturnPath(search.redirect);
  return target ? { redirect: target } : {};
}

/** Where to go after signing in: the `redirect` search param, else the kept draft path, else Chat. */
export function returnTarget(search: ReturnSearch): string {
  return safeReturnPath(search.redirect) ?? safeReturnPath(useDraftsStore.getState().returnTo) ?? DEFAULT_APP_PATH;
}

/**
 * The app layout's guard, the start-up flow of issue 4:
 * authStatus → needsFirstRun ? /first-run : (no session ? /login : (mustChangePassword ? /change-password : app)).
 * `href` is the location being entered; it is kept as the place to come back to.
 */
export async function requireAppSession(href: string): Promise<void> {
  const store = useSessionStore.getState();
  const status = await store.loadAuthStatus();
  if (status.needsFirstRun) throw redirect({ to: "/first-run", replace: true });

  const session = useSessionStore.getState().session ?? (await store.resume());
  const back = safeReturnPath(href);
  if (!session) {
    if (back) useDraftsStore.getState().setReturnTo(back);
    throw redirect({ to: "/login", search: back ? { redirect: back } : {}, replace: true });
  }
  if (session.user.mustChangePassword) {
    throw redirect({ to: "/change-password", search: back ? { redirect: back } : {}, replace: true });
  }
}

/** /first-run is only reachable while the backend still needs it. */
export async function requireFirstRunPending(): Promise<void> {
  const status = await useSessionStore.getState().loadAuthStatus();
  if (!status.needsFirstRun) throw redirect({ to: "/login", replace: true });
}

/** /login: first run comes first; somebody already signed in goes on to where they were headed. */
export async function requireSignedOut(search: ReturnSearch): Promise<void> {
  const status = await useSessionStore.getState().loadAuthStatus();
  if (status.needsFirstRun) throw redirect({ to: "/first-run", replace: true });
  if (useSessionStore.getState().session) throw redirect({ href: returnTarget(search), replace: true });
}

/** /change-password needs a session (a forced change, or one the user chose from Settings). */
export async function requireSessionForPasswordChange(search: ReturnSearch): Promise<void> {
  const store = useSessionStore.getState();
  const status = await store.loadAuthStatus();
  if (status.needsFirstRun) throw redirect({ to: "/first-run", replace: true });
  const session = useSessionStore.getState().session ?? (await store.resume());
  if (!session) throw redirect({ to: "/login", search, replace: true });
}

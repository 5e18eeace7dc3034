import type { AuthStatus, AuthUser, Session } from "../lib/types";
import { useDraftsStore } from "../stores/drafts";
import { resetSessionForTests, useSessionStore } from "../stores/session";

export const TEST_AUTH_STATUS: AuthStatus = {
  needsFirstRun: false,
  secretBackend: { name: "Secret Service (test)", isFallback: false, reason: null },
};

/** A session that is valid for an hour from `now` (ms), for user `ada` unless overridden. */
export function testSession(
  overrides: { user?: Partial<AuthUser>; tag?: string; now?: number; accessSeconds?: number } = {},
): Session {
  const now = Math.floor((overrides.now ?? Date.now()) / 1000);
  const tag = overrides.tag ?? "1";
  return {
    accessToken: `access-${tag}`,
    accessExpiresAt: now + (overrides.accessSeconds ?? 3600),
    refreshToken: `refresh-${tag}`,
    refreshExpiresAt: now + 7 * 24 * 3600,
    user: { id: "user-1", username: "ada", mustChangePassword: false, ...overrides.user },
  };
}

/** Puts a session in the store as if the user had signed in (no refresh is scheduled). */
export function signInForTest(session: Session = testSession(), status: AuthStatus = TEST_AUTH_STATUS) {
  useSessionStore.setState({ session, authStatus: status, endedReason: null });
}

/** Forgets the session, its timers and calls in flight, and the drafts. */
export function resetAuthForTests() {
  resetSessionForTests();
  useDraftsStore.setState({ chatComposer: "", returnTo: null });
}

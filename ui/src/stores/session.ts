import { create } from "zustand";
import type { AuthStatus, FirstRunCredentials, Session } from "../lib/types";
import {
  AUTH_ERROR_CODES,
  authChangePassword,
  authFirstRun,
  authLogin,
  authLogout,
  authRefresh,
  authStatus,
  BackendError,
} from "../lib/backend";
import { installSessionHooks } from "../lib/session-hooks";
import { refreshTokenStorage } from "../lib/session-persistence";

/** The access token is refreshed this long before it expires. */
export const REFRESH_LEAD_MS = 60_000;
/** Never schedule a refresh sooner than this, so a server clock far ahead cannot cause a loop. */
const MIN_REFRESH_DELAY_MS = 5_000;
/** setTimeout's largest delay (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Why the last session ended: the user signed out, or it could not be renewed. */
export type SessionEndReason = "signed_out" | "expired";

type SessionStore = {
  /** The signed-in session, in memory only (the refresh token is also persisted to resume). */
  session: Session | null;
  /** The backend's auth status, fetched once per start (forced again by Settings). */
  authStatus: AuthStatus | null;
  endedReason: SessionEndReason | null;

  loadAuthStatus: (options?: { force?: boolean }) => Promise<AuthStatus>;
  /** Runs the first-run setup. Concurrent callers (StrictMode's double effect) share one call. */
  firstRun: () => Promise<FirstRunCredentials>;
  login: (username: string, password: string) => Promise<Session>;
  changePassword: (oldPassword: string, newPassword: string) => Promise<Session>;
  /** Revokes the session on the backend (best effort) and forgets it here. */
  logout: () => Promise<void>;
  /** Trades the refresh token for a new session. One refresh at a time: concurrent callers share it. */
  refresh: () => Promise<Session>;
  /** On start: resumes from the persisted refresh token, if there is a usable one. */
  resume: () => Promise<Session | null>;
  /** The session can't be renewed: forget it; the app shell sends the user to the login page. */
  expire: () => void;
};

let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let inflightRefresh: Promise<Session> | null = null;
let inflightResume: Promise<Session | null> | null = null;
let inflightStatus: Promise<AuthStatus> | null = null;
let inflightFirstRun: Promise<FirstRunCredentials> | null = null;
/** Bumped whenever a session ends, so a refresh that was in flight cannot bring it back. */
let epoch = 0;

function cancelScheduledRefresh() {
  if (refreshTimer !== null) clearTimeout(refreshTimer);
  refreshTimer = null;
}

/** Milliseconds from `now` until the refresh for a token that expires at `expiresAt` (unix seconds). */
export function refreshDelayMs(expiresAt: number, now: number = Date.now()): number {
  const delay = expiresAt * 1000 - REFRESH_LEAD_MS - now;
  return Math.min(Math.max(delay, MIN_REFRESH_DELAY_MS), MAX_TIMER_MS);
}

function sessionEndedError(): BackendError {
  return new BackendError(AUTH_ERROR_CODES.unauthenticated, "The session has ended.", { reason: "session_ended" });
}

export const useSessionStore = create<SessionStore>()((set, get) => {
  function scheduleRefresh(session: Session) {
    cancelScheduledRefresh();
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      get()
        .refresh()
        .catch(() => get().expire());
    }, refreshDelayMs(session.accessExpiresAt));
  }

  function adopt(session: Session) {
    set({ session, endedReason: null });
    scheduleRefresh(session);
    void refreshTokenStorage()
      .save({ refreshToken: session.refreshToken, refreshExpiresAt: session.refreshExpiresAt })
      .catch(() => undefined);
  }

  function end(reason: SessionEndReason) {
    epoch += 1;
    cancelScheduledRefresh();
    set({ session: null, endedReason: reason });
    void refreshTokenStorage()
      .clear()
      .catch(() => undefined);
  }

  /** The one refresh in flight, whoever asked for it. Refresh tokens are single use. */
  function refreshWith(refreshToken: string): Promise<Session> {
    if (inflightRefresh) return inflightRefresh;
    const startedIn = epoch;
    const run = authRefresh(refreshToken).then((session) => {
      if (startedIn !== epoch) throw sessionEndedError();
      adopt(session);
      return session;
    });
    inflightRefresh = run;
    const release = () => {
      if (inflightRefresh === run) inflightRefresh = null;
    };
    run.then(release, release);
    return run;
  }

  return {
    session: null,
    authStatus: null,
    endedReason: null,

    loadAuthStatus: ({ force = false } = {}) => {
      const cached = get().authStatus;
      if (cached && !force) return Promise.resolve(cached);
      if (inflightStatus) return inflightStatus;
      const run = authStatus().then((status) => {
        set({ authStatus: status });
        return status;
      });
      inflightStatus = run;
      const release = () => {
        if (inflightStatus === run) inflightStatus = null;
      };
      run.then(release, release);
      return run;
    },

    firstRun: () => {
      if (inflightFirstRun) return inflightFirstRun;
      const run = authFirstRun().then((credentials) => {
        const status = get().authStatus;
        if (status) set({ authStatus: { ...status, needsFirstRun: false } });
        return credentials;
      });
      inflightFirstRun = run;
      // Keep the promise only while it is pending: the passphrase should not linger in memory.
      const release = () => {
        if (inflightFirstRun === run) inflightFirstRun = null;
      };
      run.then(release, release);
      return run;
    },

    login: async (username, password) => {
      const session = await authLogin(username, password);
      adopt(session);
      return session;
    },

    changePassword: async (oldPassword, newPassword) => {
      const session = await authChangePassword(oldPassword, newPassword);
      adopt(session);
      return session;
    },

    logout: async () => {
      if (get().session) {
        try {
          await authLogout();
        } catch {
          // Signing out locally must work even when the backend can't be told.
        }
      }
      end("signed_out");
    },

    refresh: () => {
      const session = get().session;
      if (!session) return Promise.reject(sessionEndedError());
      return refreshWith(session.refreshToken);
    },

    resume: () => {
      const current = get().session;
      if (current) return Promise.resolve(current);
      if (inflightResume) return inflightResume;
      const storage = refreshTokenStorage();
      const run = (async () => {
        const persisted = await storage.load().catch(() => null);
        if (!persisted) return null;
        if (persisted.refreshExpiresAt * 1000 <= Date.now()) {
          await storage.clear().catch(() => undefined);
          return null;
        }
        try {
          return await refreshWith(persisted.refreshToken);
        } catch {
          await storage.clear().catch(() => undefined);
          return null;
        }
      })();
      inflightResume = run;
      const release = () => {
        if (inflightResume === run) inflightResume = null;
      };
      run.then(release, release);
      return run;
    },

    expire: () => {
      if (get().session) end("expired");
    },
  };
});

installSessionHooks({
  accessToken: () => useSessionStore.getState().session?.accessToken ?? null,
  renewAfter: async (failedToken) => {
    const current = useSessionStore.getState().session;
    if (!current) return null;
    // Another call already renewed the session while this one was in flight: just retry.
    if (failedToken !== null && current.accessToken !== failedToken) return current.accessToken;
    try {
      return (await useSessionStore.getState().refresh()).accessToken;
    } catch {
      return null;
    }
  },
  sessionLost: () => useSessionStore.getState().expire(),
});

/** For tests: forget everything, including timers and calls in flight. */
export function resetSessionForTests() {
  epoch += 1;
  cancelScheduledRefresh();
  inflightRefresh = null;
  inflightResume = null;
  inflightStatus = null;
  inflightFirstRun = null;
  useSessionStore.setState({ session: null, authStatus: null, endedReason: null });
}

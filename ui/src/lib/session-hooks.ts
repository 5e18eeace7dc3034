/**
 * How `backend.ts` reaches the signed-in session without importing the session store (which
 * imports `backend.ts`). `src/stores/session.ts` installs the real hooks when it loads; until
 * then guarded calls behave as if nobody is signed in.
 */
export type SessionHooks = {
  /** The current access token, or null when nobody is signed in. */
  accessToken: () => string | null;
  /**
   * Called after a guarded call failed as `unauthenticated` with `failedToken`. Resolves to a
   * token worth one retry (a newer one, or one from a refresh), or null when there is none.
   * Must not end the session itself: `sessionLost` does that.
   */
  renewAfter: (failedToken: string | null) => Promise<string | null>;
  /** The session cannot be renewed: clear it so the app returns to the login page. */
  sessionLost: () => void;
};

const SIGNED_OUT: SessionHooks = {
  accessToken: () => null,
  renewAfter: () => Promise.resolve(null),
  sessionLost: () => undefined,
};

let hooks: SessionHooks = SIGNED_OUT;

export function installSessionHooks(next: SessionHooks): () => void {
  hooks = next;
  return () => {
    if (hooks === next) hooks = SIGNED_OUT;
  };
}

export function sessionHooks(): SessionHooks {
  return hooks;
}

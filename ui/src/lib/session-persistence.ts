/**
 * The refresh token is kept across a reload of the page so the session can be resumed; the
 * access token only ever lives in memory. It goes to the webview's sessionStorage, which lives in
 * memory and ends with the window: a token is never written to disk in clear, so after a restart
 * the user signs in again.
 */
export const SESSION_STORAGE_KEY = "loris.session.refresh";

export type PersistedRefresh = { refreshToken: string; refreshExpiresAt: number };

export type RefreshTokenStorage = {
  load: () => Promise<PersistedRefresh | null>;
  save: (value: PersistedRefresh) => Promise<void>;
  clear: () => Promise<void>;
};

function parsePersisted(value: unknown): PersistedRefresh | null {
  if (typeof value !== "object" || value === null) return null;
  const candidate = value as Record<string, unknown>;
  if (typeof candidate.refreshToken !== "string" || candidate.refreshToken === "") return null;
  if (typeof candidate.refreshExpiresAt !== "number" || !Number.isFinite(candidate.refreshExpiresAt)) return null;
  return { refreshToken: candidate.refreshToken, refreshExpiresAt: candidate.refreshExpiresAt };
}

function safeSessionStorage(): Storage | null {
  try {
    return typeof window !== "undefined" ? window.sessionStorage : null;
  } catch {
    return null;
  }
}

const browserStorage: RefreshTokenStorage = {
  load: () => {
    const raw = safeSessionStorage()?.getItem(SESSION_STORAGE_KEY);
    if (!raw) return Promise.resolve(null);
    try {
      return Promise.resolve(parsePersisted(JSON.parse(raw)));
    } catch {
      return Promise.resolve(null);
    }
  },
  save: (value) => {
    safeSessionStorage()?.setItem(SESSION_STORAGE_KEY, JSON.stringify(value));
    return Promise.resolve();
  },
  clear: () => {
    safeSessionStorage()?.removeItem(SESSION_STORAGE_KEY);
    return Promise.resolve();
  },
};

/**
 * Writes are queued so they land in the order they were made: a `clear` issued after a `save`
 * (sign-out right after a refresh) can never be overtaken by it.
 */
function serialized(storage: RefreshTokenStorage): RefreshTokenStorage {
  let tail: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    load: () => enqueue(storage.load),
    save: (value) => enqueue(() => storage.save(value)),
    clear: () => enqueue(storage.clear),
  };
}

let instance: RefreshTokenStorage | null = null;

export function refreshTokenStorage(): RefreshTokenStorage {
  instance ??= serialized(browserStorage);
  return instance;
}

/** Pages a user is never sent back to after signing in. */
const AUTH_PATHS = new Set(["/login", "/first-run", "/change-password"]);

/** Where the app goes after signing in when there is nowhere to return to. */
export const DEFAULT_APP_PATH = "/chat";

/**
 * `value` when it is an in-app path worth returning to after signing in (`/chat`, `/settings?x=1`),
 * otherwise null: only same-app absolute paths, never another origin (`//host`, `https:`) and
 * never the auth pages themselves.
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return null;
  const pathname = value.split(/[?#]/, 1)[0] ?? value;
  const trimmed = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  if (AUTH_PATHS.has(trimmed)) return null;
  return value;
}

import type { ApiError, JsonValue } from "./types";

/**
 * Codes the UI itself produces. Every other code comes from the Rust side (`ApiError.code`).
 * The UI switches on `code`, never on the message text.
 */
export const CLIENT_ERROR_CODES = {
  /** The IPC call itself failed: command missing, webview/backend bridge broken, bad arguments. */
  ipc: "ipc_error",
} as const;

/**
 * Codes the auth commands return (issue 4). The UI switches on these, never on the message text.
 * `unauthenticated` carries `details.reason`; `locked_out` carries `details.retryAfterSeconds`.
 */
export const AUTH_ERROR_CODES = {
  unauthenticated: "unauthenticated",
  invalidCredentials: "invalid_credentials",
  lockedOut: "locked_out",
  passwordPolicy: "password_policy",
  alreadyInitialized: "already_initialized",
  refreshTokenReused: "refresh_token_reused",
} as const;

export class BackendError extends Error {
  readonly code: string;
  readonly details: JsonValue | null;

  constructor(code: string, message: string, details: JsonValue | null = null) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    this.details = details;
  }

  static fromApiError(error: ApiError): BackendError {
    return new BackendError(error.code, error.message, error.details);
  }
}

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === "string" && typeof candidate.message === "string";
}

/** Turns whatever a command failed with into a BackendError that carries a stable `code`. */
export function toBackendError(error: unknown): BackendError {
  if (error instanceof BackendError) return error;
  if (isApiError(error)) return BackendError.fromApiError({ ...error, details: error.details ?? null });
  if (error instanceof Error) return new BackendError(CLIENT_ERROR_CODES.ipc, error.message);
  if (typeof error === "string") return new BackendError(CLIENT_ERROR_CODES.ipc, error);
  return new BackendError(CLIENT_ERROR_CODES.ipc, "The backend returned an unrecognised error.");
}

/** `details[key]` when the details are an object and that entry is a finite number. */
export function detailNumber(error: BackendError, key: string): number | null {
  const details = error.details;
  if (typeof details !== "object" || details === null || Array.isArray(details)) return null;
  const value = details[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** `details[key]` when the details are an object and that entry is a string. */
export function detailString(error: BackendError, key: string): string | null {
  const details = error.details;
  if (typeof details !== "object" || details === null || Array.isArray(details)) return null;
  const value = details[key];
  return typeof value === "string" ? value : null;
}

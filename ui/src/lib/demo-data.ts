import type { AppInfo, AuthStatus, FirstRunCredentials, HardwareReport, JobRecord, Session } from "./types";

/**
 * Shown when the UI runs outside the desktop app (plain browser, `vite preview`, end-to-end tests).
 * Every value says "demo" somewhere so it can never be mistaken for the user's machine.
 */
const GiB = 1024 ** 3;

export const DEMO_APP_INFO: AppInfo = {
  version: "0.0.0-demo",
  dataDir: "/demo/loris-studio",
  databasePath: "/demo/loris-studio/loris.db",
  logDir: "/demo/loris-studio/logs",
  logFile: "/demo/loris-studio/logs/loris.log",
  hardware: {
    os: "Demo OS (browser preview)",
    cpuModel: "Demo CPU",
    physicalCores: 8,
    logicalCores: 16,
    ramTotalBytes: 24 * GiB,
    ramAvailableBytes: 17 * GiB,
    gpus: [],
    gpuNote: "Demo data: no GPU is probed in a plain browser.",
  },
};

/** The full report in a plain browser: no GPU is probed, and the reason says so. */
export const DEMO_HARDWARE_REPORT: HardwareReport = {
  os: "Demo OS (browser preview)",
  cpu: { model: "Demo CPU", physicalCores: 8, logicalCores: 16 },
  memory: { totalBytes: 24 * GiB, availableBytes: 17 * GiB },
  disk: { path: "/demo/loris-studio", mountPoint: "/demo", fileSystem: "demo", totalBytes: 512 * GiB, freeBytes: 300 * GiB },
  gpus: [],
  gpuUnavailableReason: "CPU only: demo data, no GPU is probed in a plain browser.",
  nvidiaDriver: null,
  cudaVisibleDevices: null,
  warnings: [],
};

export const DEMO_JOBS: JobRecord[] = [
  {
    id: "demo-job-2",
    kind: "demo.train",
    state: "running",
    params: { model: "demo-model", method: "lora" },
    result: null,
    error: null,
    createdAt: "2025-01-01T10:30:00Z",
    updatedAt: "2025-01-01T10:42:00Z",
  },
  {
    id: "demo-job-1",
    kind: "demo.recipe",
    state: "completed",
    params: { recipe: "demo-recipe" },
    result: { rows: 128 },
    error: null,
    createdAt: "2025-01-01T09:00:00Z",
    updatedAt: "2025-01-01T09:05:00Z",
  },
];

/** A plain browser has no first run to do and no keychain; the name says so. */
export const DEMO_AUTH_STATUS: AuthStatus = {
  needsFirstRun: false,
  secretBackend: { name: "Demo: no keychain in a plain browser", isFallback: false, reason: null },
};

/** Never shown in practice (the demo needs no first run), but labelled all the same. */
export const DEMO_FIRST_RUN: FirstRunCredentials = {
  username: "demo-admin",
  passphrase: "demo-passphrase-not-a-real-secret",
};

const DEMO_ACCESS_SECONDS = 60 * 60;
const DEMO_REFRESH_SECONDS = 7 * 24 * 60 * 60;
const DEMO_TOKEN_PREFIXES = ["demo-access-token:", "demo-refresh-token:"] as const;

/**
 * The demo login accepts any username and password and hands out a session shaped like the real
 * one. Its tokens only carry the username, so a reload or a password change keeps the demo name.
 */
export function demoSession(username: string, now: number = Date.now()): Session {
  const seconds = Math.floor(now / 1000);
  const name = encodeURIComponent(username.trim() || "demo");
  return {
    accessToken: `${DEMO_TOKEN_PREFIXES[0]}${name}`,
    accessExpiresAt: seconds + DEMO_ACCESS_SECONDS,
    refreshToken: `${DEMO_TOKEN_PREFIXES[1]}${name}`,
    refreshExpiresAt: seconds + DEMO_REFRESH_SECONDS,
    user: { id: "demo-user", username: decodeURIComponent(name), mustChangePassword: false },
  };
}

/** The username a demo token was issued to ("demo" for anything else). */
export function demoUsernameFromToken(token: string | null): string {
  const prefix = DEMO_TOKEN_PREFIXES.find((p) => token?.startsWith(p));
  if (!token || !prefix) return "demo";
  try {
    return decodeURIComponent(token.slice(prefix.length)) || "demo";
  } catch {
    return "demo";
  }
}

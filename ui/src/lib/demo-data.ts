import type { AppInfo, JobRecord } from "./types";

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

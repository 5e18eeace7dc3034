import { screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AppInfo, AuthStatus, HardwareReport, JobRecord } from "../../lib/types";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import { useAppInfoStore } from "../../stores/app-info";
import { resetHardwareForTests } from "../../stores/hardware";
import { useJobsStore } from "../../stores/jobs";
import { resetAuthForTests, signInForTest, TEST_AUTH_STATUS } from "../../test/auth";
import { renderRoute } from "../../test/render-route";

vi.mock("../../lib/backend", async () => {
  const errors = await import("../../lib/backend-error");
  return {
    BackendError: errors.BackendError,
    CLIENT_ERROR_CODES: errors.CLIENT_ERROR_CODES,
    AUTH_ERROR_CODES: errors.AUTH_ERROR_CODES,
    backendMode: vi.fn(() => "tauri"),
    authStatus: vi.fn(),
    authFirstRun: vi.fn(),
    authLogin: vi.fn(),
    authRefresh: vi.fn(),
    authLogout: vi.fn(() => Promise.resolve(null)),
    authChangePassword: vi.fn(),
    appInfo: vi.fn(),
    jobsList: vi.fn(),
    eventsSince: vi.fn(() => Promise.resolve([])),
    onAppEvent: vi.fn(() => Promise.resolve(() => undefined)),
    hardwareReport: vi.fn(),
    hardwareWatchStart: vi.fn(() => Promise.resolve(1)),
    hardwareWatchStop: vi.fn(() => Promise.resolve(0)),
    onHardwareSample: vi.fn(() => Promise.resolve(() => undefined)),
    SERVER_ERROR_CODES: { lanNeedsApiKey: "lan_needs_api_key", bindFailed: "server_bind_failed" },
    serverStatus: vi.fn(() => new Promise(() => undefined)),
    serverRequests: vi.fn(() => Promise.resolve([])),
    apiKeysList: vi.fn(() => Promise.resolve([])),
    modelsLoaded: vi.fn(() => Promise.resolve([])),
    modelFoldersGet: vi.fn(() => Promise.resolve([])),
    modelFoldersSet: vi.fn(),
    onModelEvent: vi.fn(() => Promise.resolve(() => undefined)),
  };
});

const GiB = 1024 ** 3;

const INFO: AppInfo = {
  version: "1.2.3",
  dataDir: "/home/ada/.local/share/dev.loris.studio",
  databasePath: "/home/ada/.local/share/dev.loris.studio/loris.sqlite3",
  logDir: "/home/ada/.local/share/dev.loris.studio/logs",
  logFile: "/home/ada/.local/share/dev.loris.studio/logs/loris.log.2025-01-01",
  hardware: {
    os: "Ubuntu 24.04",
    cpuModel: "AMD Ryzen 9 7950X",
    physicalCores: 16,
    logicalCores: 32,
    ramTotalBytes: 64 * GiB,
    ramAvailableBytes: 40 * GiB,
    gpus: [{ name: "NVIDIA GeForce RTX 4090", vramTotalBytes: 24 * GiB }],
    gpuNote: null,
  },
};

const REPORT: HardwareReport = {
  os: "Ubuntu 24.04",
  cpu: { model: "AMD Ryzen 9 7950X", physicalCores: 16, logicalCores: 32 },
  memory: { totalBytes: 64 * GiB, availableBytes: 40 * GiB },
  disk: null,
  gpus: [],
  gpuUnavailableReason: "CPU only: libnvidia-ml.so.1 not found",
  nvidiaDriver: null,
  cudaVisibleDevices: null,
  warnings: [],
};

const JOBS: JobRecord[] = [
  {
    id: "job-1",
    kind: "train",
    state: "failed",
    params: {},
    result: null,
    error: "out of memory",
    createdAt: "2025-01-01T00:00:00Z",
    updatedAt: "2025-01-01T00:10:00Z",
  },
];

beforeEach(() => {
  vi.clearAllMocks();
  resetAuthForTests();
  signInForTest();
  vi.mocked(backend.authStatus).mockResolvedValue(TEST_AUTH_STATUS);
  useAppInfoStore.setState({ status: "idle", info: null, error: null });
  useJobsStore.setState({ status: "idle", jobs: [], error: null });
  vi.mocked(backend.appInfo).mockResolvedValue(INFO);
  resetHardwareForTests();
  vi.mocked(backend.hardwareReport).mockResolvedValue(REPORT);
  vi.mocked(backend.jobsList).mockResolvedValue(JOBS);
});

describe("Settings page", () => {
  it("shows version and storage paths from the backend", async () => {
    renderRoute("/settings");
    expect(await screen.findByTestId("about-version")).toHaveTextContent("1.2.3");
    expect(screen.getByTestId("about-data-dir")).toHaveTextContent(INFO.dataDir);
    expect(screen.getByTestId("about-database")).toHaveTextContent(INFO.databasePath);
    expect(screen.getByTestId("about-log-file")).toHaveTextContent(INFO.logFile);
    expect(screen.queryByText("Demo data")).not.toBeInTheDocument();
  });

  it("shows the hardware panel and asks for live samples while it is open", async () => {
    const { unmount } = renderRoute("/settings");
    expect(await screen.findByTestId("hw-cpu")).toHaveTextContent("AMD Ryzen 9 7950X");
    expect(screen.getByTestId("hw-cpu-only-reason")).toHaveTextContent("libnvidia-ml.so.1 not found");
    expect(backend.hardwareWatchStart).toHaveBeenCalledTimes(1);
    unmount();
    expect(backend.hardwareWatchStop).toHaveBeenCalledTimes(1);
  });

  it("lists jobs with their state", async () => {
    renderRoute("/settings");
    const row = await screen.findByTestId("job-job-1");
    expect(within(row).getByText("Failed")).toBeInTheDocument();
    expect(within(row).getByText("out of memory")).toBeInTheDocument();
  });

  it("says the hardware is unknown, with the code, when the report fails", async () => {
    vi.mocked(backend.hardwareReport).mockRejectedValue(new BackendError("ipc_error", "command hardware_report not found"));
    renderRoute("/settings");
    const status = await screen.findByText("Hardware unknown");
    expect(status.closest("[data-testid=hardware-status]")).toHaveAttribute(
      "title",
      "ipc_error: command hardware_report not found",
    );
    const notice = within(screen.getByTestId("settings-hardware")).getByTestId("error-notice");
    expect(notice).toHaveAttribute("data-error-code", "ipc_error");
  });

  it("shows a coded error when the backend fails", async () => {
    vi.mocked(backend.appInfo).mockRejectedValue(new BackendError("ipc_error", "command app_info not found"));
    renderRoute("/settings");
    const [notice] = await screen.findAllByTestId("error-notice");
    expect(notice).toHaveAttribute("data-error-code", "ipc_error");
    expect(notice).toHaveTextContent("Couldn't reach the Loris Studio backend");
  });

  it("shows the keychain backend in use in the Security section", async () => {
    renderRoute("/settings");
    const backendInfo = await screen.findByTestId("settings-secret-backend");
    expect(backendInfo).toHaveTextContent("Secret Service (test)");
    expect(screen.queryByTestId("secret-backend-fallback-warning")).not.toBeInTheDocument();
    expect(screen.getByTestId("security-username")).toHaveTextContent("ada");
    expect(screen.getByTestId("settings-change-password")).toHaveAttribute("href", "/change-password?redirect=%2Fsettings");
  });

  it("warns, with the reason, when secrets are in the fallback file", async () => {
    const fallback: AuthStatus = {
      needsFirstRun: false,
      secretBackend: { name: "Encrypted file (fallback)", isFallback: true, reason: "No Secret Service on the session bus" },
    };
    vi.mocked(backend.authStatus).mockResolvedValue(fallback);
    renderRoute("/settings");
    const warning = await screen.findByTestId("secret-backend-fallback-warning");
    expect(warning).toHaveTextContent("No Secret Service on the session bus");
    expect(screen.getByTestId("settings-secret-backend")).toHaveTextContent("Encrypted file (fallback)");
    expect(screen.getByTestId("settings-secret-backend")).toHaveAttribute("data-fallback", "true");
  });
});

import { act, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import type { HardwareReport, HardwareSample } from "../../lib/types";
import { resetHardwareForTests, watchHardware } from "../../stores/hardware";
import { HardwareStatus } from "./HardwareStatus";

vi.mock("../../lib/backend", () => ({
  hardwareReport: vi.fn(),
  hardwareWatchStart: vi.fn(() => Promise.resolve(1)),
  hardwareWatchStop: vi.fn(() => Promise.resolve(0)),
  onHardwareSample: vi.fn(() => Promise.resolve(() => undefined)),
}));

const GiB = 1024 ** 3;

const CPU_ONLY: HardwareReport = {
  os: "Debian 12",
  cpu: { model: "Demo CPU", physicalCores: 2, logicalCores: 2 },
  memory: { totalBytes: 24 * GiB, availableBytes: 18 * GiB },
  disk: null,
  gpus: [],
  gpuUnavailableReason: "CPU only: libnvidia-ml.so.1 not found",
  nvidiaDriver: null,
  cudaVisibleDevices: null,
  warnings: [],
};

const ONE_GPU: HardwareReport = {
  ...CPU_ONLY,
  gpuUnavailableReason: null,
  gpus: [
    {
      index: 0,
      cudaIndex: 0,
      name: "NVIDIA GeForce RTX 4090",
      uuid: "GPU-0",
      memoryTotalBytes: 24 * GiB,
      memoryUsedBytes: 3 * GiB,
      memoryFreeBytes: 21 * GiB,
      utilizationPercent: 0,
      memoryUtilizationPercent: 0,
      temperatureC: 35,
      powerDrawWatts: 20,
      powerLimitWatts: 450,
      computeCapability: "8.9",
      pciBusId: null,
    },
  ],
};

beforeEach(() => {
  vi.clearAllMocks();
  resetHardwareForTests();
});

describe("sidebar hardware status", () => {
  it("says CPU only, with the reason on hover, and the RAM in use", async () => {
    vi.mocked(backend.hardwareReport).mockResolvedValue(CPU_ONLY);
    render(<HardwareStatus />);
    expect(await screen.findByTestId("hardware-status-gpu")).toHaveTextContent("CPU only");
    expect(screen.getByTestId("hardware-status-ram")).toHaveTextContent("RAM 6 GB / 24 GB");
    expect(screen.getByTestId("hardware-status")).toHaveAttribute("title", "CPU only: libnvidia-ml.so.1 not found");
    // The sidebar alone does not keep the sampler running.
    expect(backend.hardwareWatchStart).not.toHaveBeenCalled();
  });

  it("shows GPU memory used / total, and follows live samples while a page watches", async () => {
    vi.mocked(backend.hardwareReport).mockResolvedValue(ONE_GPU);
    render(<HardwareStatus />);
    expect(await screen.findByTestId("hardware-status-gpu")).toHaveTextContent("GPU 3 GB / 24 GB");
    expect(screen.getByTestId("hardware-status")).toHaveAttribute("title", "cuda:0 NVIDIA GeForce RTX 4090");

    const release = watchHardware();
    const emit = vi.mocked(backend.onHardwareSample).mock.calls.at(-1)?.[0];
    if (!emit) throw new Error("no sample listener");
    const sample: HardwareSample = {
      seq: 1,
      timestampMs: 1000,
      cpuUsagePercent: 12,
      ramUsedBytes: 10 * GiB,
      ramTotalBytes: 24 * GiB,
      gpus: [
        {
          index: 0,
          cudaIndex: 0,
          memoryUsedBytes: 12 * GiB,
          memoryTotalBytes: 24 * GiB,
          utilizationPercent: 99,
          temperatureC: 70,
          powerDrawWatts: 400,
        },
      ],
    };
    act(() => emit(sample));
    expect(screen.getByTestId("hardware-status-gpu")).toHaveTextContent("GPU 12 GB / 24 GB");
    expect(screen.getByTestId("hardware-status-ram")).toHaveTextContent("RAM 10 GB / 24 GB");
    release();
  });
});

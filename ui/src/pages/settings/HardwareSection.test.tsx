import { act, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import type { Gpu, HardwareReport, HardwareSample } from "../../lib/types";
import { resetHardwareForTests, watchHardware } from "../../stores/hardware";
import { HardwareSection } from "./HardwareSection";

vi.mock("../../lib/backend", () => ({
  backendMode: vi.fn(() => "tauri"),
  hardwareReport: vi.fn(),
  hardwareWatchStart: vi.fn(() => Promise.resolve(1)),
  hardwareWatchStop: vi.fn(() => Promise.resolve(0)),
  onHardwareSample: vi.fn(() => Promise.resolve(() => undefined)),
}));

const GiB = 1024 ** 3;

function gpu(index: number, overrides: Partial<Gpu> = {}): Gpu {
  return {
    index,
    cudaIndex: index,
    name: `NVIDIA H200 #${index}`,
    uuid: `GPU-${index}`,
    memoryTotalBytes: 140 * GiB,
    memoryUsedBytes: 14 * GiB,
    memoryFreeBytes: 126 * GiB,
    utilizationPercent: 37,
    memoryUtilizationPercent: 5,
    temperatureC: 41,
    powerDrawWatts: 212.4,
    powerLimitWatts: 700,
    computeCapability: "9.0",
    pciBusId: null,
    ...overrides,
  };
}

const GPU_REPORT: HardwareReport = {
  os: "Ubuntu 24.04",
  cpu: { model: "Intel Xeon Platinum 8480+", physicalCores: 56, logicalCores: 112 },
  memory: { totalBytes: 128 * GiB, availableBytes: 100 * GiB },
  disk: { path: "/data", mountPoint: "/", fileSystem: "ext4", totalBytes: 1024 * GiB, freeBytes: 512 * GiB },
  gpus: [gpu(0), gpu(1, { name: "NVIDIA L4", computeCapability: "8.9", memoryTotalBytes: 24 * GiB })],
  gpuUnavailableReason: null,
  nvidiaDriver: { driverVersion: "570.86.15", cudaVersion: "12.8", nvmlVersion: "12.570.86.15" },
  cudaVisibleDevices: "0,1",
  warnings: [],
};

const CPU_REPORT: HardwareReport = {
  ...GPU_REPORT,
  gpus: [],
  nvidiaDriver: null,
  cudaVisibleDevices: null,
  gpuUnavailableReason: "CPU only: NVML could not be loaded (libnvidia-ml.so.1: cannot open shared object file)",
};

function sample(seq: number, overrides: Partial<HardwareSample> = {}): HardwareSample {
  return {
    seq,
    timestampMs: 1_700_000_000_000 + seq * 1000,
    cpuUsagePercent: seq === 0 ? null : 20 + seq,
    ramUsedBytes: 30 * GiB,
    ramTotalBytes: 128 * GiB,
    gpus: [
      {
        index: 0,
        cudaIndex: 0,
        memoryUsedBytes: (20 + seq) * GiB,
        memoryTotalBytes: 140 * GiB,
        utilizationPercent: 90,
        temperatureC: 60,
        powerDrawWatts: 500,
      },
    ],
    ...overrides,
  };
}

/** The handler the panel registered for live samples. */
function sampleHandler(): (sample: HardwareSample) => void {
  const calls = vi.mocked(backend.onHardwareSample).mock.calls;
  const handler = calls.at(-1)?.[0];
  if (!handler) throw new Error("no sample listener registered");
  return handler;
}

beforeEach(() => {
  vi.clearAllMocks();
  resetHardwareForTests();
});

describe("Hardware panel", () => {
  it("lists each GPU with memory, readings, compute capability and driver", async () => {
    vi.mocked(backend.hardwareReport).mockResolvedValue(GPU_REPORT);
    render(<HardwareSection />);

    const first = await screen.findByTestId("hw-gpu-0");
    expect(within(first).getByTestId("hw-gpu-0-name")).toHaveTextContent("NVIDIA H200 #0");
    expect(first).toHaveTextContent("cuda:0 · NVML #0");
    expect(within(first).getByTestId("hw-gpu-0-vram")).toHaveTextContent("14 GB / 140 GB");
    expect(within(first).getByRole("meter", { name: /memory used/ })).toHaveAttribute("aria-valuenow", String(14 * GiB));
    expect(within(first).getByTestId("hw-gpu-0-util")).toHaveTextContent("37%");
    expect(within(first).getByTestId("hw-gpu-0-temp")).toHaveTextContent("41 °C");
    expect(within(first).getByTestId("hw-gpu-0-power")).toHaveTextContent("212 W of 700 W");
    expect(within(first).getByTestId("hw-gpu-0-cc")).toHaveTextContent("9.0");
    expect(within(first).getByTestId("hw-gpu-0-driver")).toHaveTextContent("Driver 570.86.15 · CUDA 12.8");
    expect(screen.getByTestId("hw-gpu-1-name")).toHaveTextContent("NVIDIA L4");
    expect(screen.getByTestId("hw-gpu-1-cc")).toHaveTextContent("8.9");

    expect(screen.getByTestId("hw-cpu")).toHaveTextContent("Intel Xeon Platinum 8480+");
    expect(screen.getByTestId("hw-cores")).toHaveTextContent("56 cores · 112 threads");
    expect(screen.getByTestId("hw-ram")).toHaveTextContent("28 GB / 128 GB used");
    expect(screen.getByTestId("hw-disk")).toHaveTextContent("512 GB / 1 TB used · / (ext4)");
    expect(screen.getByTestId("hw-cuda-visible")).toHaveTextContent("0,1");
    expect(screen.queryByTestId("hw-cpu-only")).not.toBeInTheDocument();
  });

  it("says CPU only, with the reason, when there is no GPU", async () => {
    vi.mocked(backend.hardwareReport).mockResolvedValue(CPU_REPORT);
    render(<HardwareSection />);
    expect(await screen.findByTestId("hw-cpu-only")).toHaveTextContent("CPU only");
    expect(screen.getByTestId("hw-cpu-only-reason")).toHaveTextContent(
      "CPU only: NVML could not be loaded (libnvidia-ml.so.1: cannot open shared object file)",
    );
    expect(screen.queryByTestId("hw-gpu-0")).not.toBeInTheDocument();
  });

  it("draws live samples as they arrive and updates the readings", async () => {
    vi.mocked(backend.hardwareReport).mockResolvedValue(GPU_REPORT);
    render(<HardwareSection />);
    await screen.findByTestId("hw-gpu-0");
    expect(backend.hardwareWatchStart).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("hw-cpu-chart")).toHaveAttribute("data-points", "0");

    const emit = sampleHandler();
    act(() => emit(sample(0)));
    act(() => emit(sample(1)));
    act(() => emit(sample(2)));

    const cpuChart = screen.getByTestId("hw-cpu-chart");
    expect(cpuChart).toHaveAttribute("data-points", "3");
    expect(within(cpuChart).getByTestId("hw-cpu-chart-value")).toHaveTextContent("22%");
    expect(cpuChart.querySelectorAll("path").length).toBeGreaterThan(0);
    expect(screen.getByTestId("hw-gpu-0-vram-chart")).toHaveAttribute("data-points", "3");
    expect(screen.getByTestId("hw-gpu-0-vram")).toHaveTextContent("22 GB / 140 GB");
    expect(screen.getByTestId("hw-gpu-0-util")).toHaveTextContent("90%");
    expect(screen.getByTestId("hw-ram")).toHaveTextContent("30 GB / 128 GB used");
  });

  it("keeps one minute of samples", async () => {
    vi.mocked(backend.hardwareReport).mockResolvedValue(GPU_REPORT);
    render(<HardwareSection />);
    await screen.findByTestId("hw-gpu-0");
    const emit = sampleHandler();
    act(() => {
      for (let seq = 0; seq < 75; seq += 1) emit(sample(seq));
    });
    expect(screen.getByTestId("hw-cpu-chart")).toHaveAttribute("data-points", "60");
  });

  it("shares one backend watch between watchers and stops it when the last leaves", () => {
    const releaseSettings = watchHardware();
    const releaseTrain = watchHardware();
    expect(backend.hardwareWatchStart).toHaveBeenCalledTimes(1);
    releaseSettings();
    releaseSettings();
    expect(backend.hardwareWatchStop).not.toHaveBeenCalled();
    releaseTrain();
    expect(backend.hardwareWatchStop).toHaveBeenCalledTimes(1);
    expect(vi.mocked(backend.hardwareWatchStop).mock.calls[0]?.[0]).toBe(
      vi.mocked(backend.hardwareWatchStart).mock.calls[0]?.[0],
    );
  });
});

import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { BackendError } from "../lib/backend-error";
import type { DeviceFit, InferenceAssessment, TrainingAssessment } from "../lib/types";
import { FitBadge } from "./FitBadge";
import { summarizeInference, summarizeTraining, type FitSummary } from "./fit-summary";

const GiB = 1024 ** 3;

function device(fit: DeviceFit["fit"], availableGiB: number, requiredGiB: number, kind: "gpu" | "cpu" = "gpu"): DeviceFit {
  return {
    device: {
      id: kind === "gpu" ? "cuda:0" : "cpu",
      name: kind === "gpu" ? "NVIDIA RTX 4090" : "CPU (system RAM)",
      kind,
      totalBytes: 24 * GiB,
      availableBytes: availableGiB * GiB,
    },
    fit,
    requiredBytes: requiredGiB * GiB,
    usagePercent: Math.round((requiredGiB / availableGiB) * 1000) / 10,
  };
}

function summary(overrides: Partial<FitSummary> = {}): FitSummary {
  const target = device("fits", 20, 5);
  return { fit: "fits", requiredBytes: 5 * GiB, target, devices: [target], suggestions: [], notes: [], ...overrides };
}

function tooltip(): string {
  return screen.getByRole("tooltip", { hidden: true }).textContent ?? "";
}

describe("FitBadge", () => {
  it("says it fits, with the numbers in its tooltip", () => {
    render(<FitBadge testId="fit" summary={summary()} />);
    expect(screen.getByTestId("fit")).toHaveAttribute("data-fit", "fits");
    expect(screen.getByTestId("fit")).toHaveTextContent("Fits");
    expect(tooltip()).toContain("Needs about 5 GB.");
    expect(tooltip()).toContain("NVIDIA RTX 4090 (cuda:0): fits, 25% of 20 GB available");
  });

  it("says tight, and lists the suggestions", () => {
    const target = device("tight", 20, 19);
    render(
      <FitBadge
        testId="fit"
        summary={summary({
          fit: "tight",
          requiredBytes: 19 * GiB,
          target,
          devices: [target],
          suggestions: [
            { kind: "use_qlora", description: "use QLoRA (4-bit base weights) instead", value: null, requiredBytes: 9 * GiB, fit: "fits" },
          ],
        })}
      />,
    );
    expect(screen.getByTestId("fit")).toHaveAttribute("data-fit", "tight");
    expect(screen.getByTestId("fit")).toHaveTextContent("Tight");
    expect(tooltip()).toContain("To make it fit:");
    expect(tooltip()).toContain("use QLoRA (4-bit base weights) instead (needs 9 GB, fits)");
  });

  it("says does not fit", () => {
    const target = device("does_not_fit", 20, 30);
    render(<FitBadge testId="fit" summary={summary({ fit: "does_not_fit", requiredBytes: 30 * GiB, target, devices: [target] })} />);
    expect(screen.getByTestId("fit")).toHaveAttribute("data-fit", "does_not_fit");
    expect(screen.getByTestId("fit")).toHaveTextContent("Does not fit");
    expect(tooltip()).toContain("does not fit, 150% of 20 GB available");
  });

  it("says a model fits in RAM when the CPU is the device", () => {
    const target = device("fits", 16, 2, "cpu");
    render(<FitBadge testId="fit" summary={summary({ target, devices: [target], requiredBytes: 2 * GiB })} />);
    expect(screen.getByTestId("fit")).toHaveTextContent("Fits in RAM");
  });

  it("explains a missing GPU with the reason", () => {
    render(
      <FitBadge
        testId="fit"
        summary={summary({ fit: null, target: null, devices: [] })}
        noDeviceReason="CPU only: NVML not found"
      />,
    );
    expect(screen.getByTestId("fit")).toHaveAttribute("data-fit", "no_device");
    expect(screen.getByTestId("fit")).toHaveTextContent("No GPU");
    expect(tooltip()).toContain("No GPU to judge it on (CPU only: NVML not found).");
  });

  it("shows loading and coded errors", () => {
    const { rerender } = render(<FitBadge testId="fit" loading />);
    expect(screen.getByTestId("fit")).toHaveAttribute("data-fit", "loading");
    expect(screen.getByTestId("fit")).toHaveTextContent("Estimating…");
    rerender(<FitBadge testId="fit" error={new BackendError("model_not_found", "/x: cannot be read")} />);
    expect(screen.getByTestId("fit")).toHaveAttribute("data-fit", "error");
    expect(tooltip()).toContain("Could not estimate: /x: cannot be read");
    expect(tooltip()).toContain("code: model_not_found");
  });

  it("is described by its tooltip and reachable by keyboard", () => {
    render(<FitBadge testId="fit" summary={summary()} />);
    const badge = screen.getByTestId("fit");
    expect(badge).toHaveAttribute("tabindex", "0");
    expect(badge).toHaveAccessibleDescription(/Needs about 5 GB/);
  });
});

describe("fit summaries", () => {
  it("take the picked device and the right byte count", () => {
    const gpu = device("fits", 20, 5);
    const cpu = device("fits", 16, 5, "cpu");
    const inference = {
      estimate: { deviceBytes: 5 * GiB, notes: ["n"] },
      devices: [gpu, cpu],
      pick: "cpu",
      fit: "fits",
      suggestions: [],
    } as unknown as InferenceAssessment;
    expect(summarizeInference(inference).target?.device.id).toBe("cpu");
    expect(summarizeInference(inference).requiredBytes).toBe(5 * GiB);

    const training = {
      estimate: { totalBytes: 7 * GiB, notes: [] },
      devices: [],
      pick: null,
      fit: null,
      suggestions: [],
    } as unknown as TrainingAssessment;
    expect(summarizeTraining(training)).toMatchObject({ fit: null, target: null, requiredBytes: 7 * GiB });
  });
});

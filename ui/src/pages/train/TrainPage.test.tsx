import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import type { TrainingAssessment, TrainingEstimateRequest } from "../../lib/types";
import { resetHardwareForTests } from "../../stores/hardware";
import { DEFAULT_TRAIN_SETTINGS, estimateRequest, positiveInteger, useTrainSettingsStore } from "./train-settings";
import { TrainPage } from "./TrainPage";
import { resetTrainRunForTests } from "./train-run";

vi.mock("../../lib/backend", () => ({
  backendMode: vi.fn(() => "tauri"),
  estimateTraining: vi.fn(),
  hardwareReport: vi.fn(),
  modelsLocal: vi.fn(() => Promise.resolve([])),
  onAppEvent: vi.fn(() => Promise.resolve(() => undefined)),
  trainRuns: vi.fn(() => Promise.resolve([])),
  trainMetrics: vi.fn(),
  trainStart: vi.fn(),
  trainStop: vi.fn(),
  trainCancel: vi.fn(),
  trainPreview: vi.fn(),
}));

const GiB = 1024 ** 3;

// The estimate waits for typing to pause; leave room for that on a busy machine.
configure({ asyncUtilTimeout: 5000 });

/** A 24 GB GPU: LoRA needs 30 GB and does not fit, QLoRA needs 12 GB and fits. */
function assessment(request: TrainingEstimateRequest): TrainingAssessment {
  const required = (request.method === "qlora" ? 12 : 30) * GiB;
  const fit = request.method === "qlora" ? "fits" : "does_not_fit";
  return {
    estimate: {
      model: { modelType: "llama" } as TrainingAssessment["estimate"]["model"],
      options: {} as TrainingAssessment["estimate"]["options"],
      parameters: {} as TrainingAssessment["estimate"]["parameters"],
      trainableParameters: 11_272_192,
      terms: {
        weightsBytes: required / 2,
        loraAdapterBytes: GiB / 8,
        gradientsBytes: GiB / 8,
        optimizerBytes: GiB / 4,
        activationsBytes: required / 4,
        logitsBytes: 0,
        dequantScratchBytes: 0,
        overheadBytes: GiB,
      },
      totalBytes: required,
      notes: [],
    },
    devices: [
      {
        device: { id: "cuda:0", name: "NVIDIA RTX 4090", kind: "gpu", totalBytes: 24 * GiB, availableBytes: 24 * GiB },
        fit,
        requiredBytes: required,
        usagePercent: (required / (24 * GiB)) * 100,
      },
    ],
    pick: fit === "fits" ? "cuda:0" : null,
    fit,
    suggestions:
      fit === "fits"
        ? []
        : [
            { kind: "use_qlora", description: "use QLoRA (4-bit base weights) instead", value: null, requiredBytes: 12 * GiB, fit: "fits" },
            { kind: "smaller_batch", description: "batch size 1", value: 1, requiredBytes: 22 * GiB, fit: "tight" },
          ],
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  resetHardwareForTests();
  useTrainSettingsStore.setState(DEFAULT_TRAIN_SETTINGS);
  resetTrainRunForTests();
  vi.mocked(backend.hardwareReport).mockReturnValue(new Promise(() => undefined));
  vi.mocked(backend.estimateTraining).mockImplementation((request) => Promise.resolve(assessment(request)));
});

function lastRequest(): TrainingEstimateRequest | undefined {
  return vi.mocked(backend.estimateTraining).mock.calls.at(-1)?.[0];
}

describe("Train page memory estimate", () => {
  it("asks nothing until a model is named", () => {
    render(<TrainPage />);
    expect(screen.getByText("No estimate yet")).toBeInTheDocument();
    expect(screen.queryByTestId("train-fit")).not.toBeInTheDocument();
    expect(backend.estimateTraining).not.toHaveBeenCalled();
  });

  it("estimates the selected model and settings, and again when they change", async () => {
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId("train-model"), { target: { value: "/models/llama" } });
    expect(screen.getByTestId("train-fit")).toHaveAttribute("data-fit", "loading");

    await waitFor(() => expect(screen.getByTestId("train-fit")).toHaveAttribute("data-fit", "does_not_fit"));
    expect(lastRequest()).toEqual({
      modelPath: "/models/llama",
      method: "lora",
      batchSize: 2,
      seqLen: 2048,
      loraRank: 16,
      gradientCheckpointing: true,
    });
    expect(screen.getByTestId("train-estimate-total")).toHaveTextContent("30 GB");
    expect(screen.getByTestId("train-suggestions")).toHaveTextContent("use QLoRA (4-bit base weights) instead");

    fireEvent.click(screen.getByTestId("method-qlora"));
    await waitFor(() => expect(screen.getByTestId("train-fit")).toHaveAttribute("data-fit", "fits"));
    expect(lastRequest()?.method).toBe("qlora");
    expect(screen.getByTestId("train-estimate-total")).toHaveTextContent("12 GB");
  });

  it("waits for typing to pause before asking again", async () => {
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId("train-model"), { target: { value: "/models/llama" } });
    fireEvent.change(screen.getByTestId("batch-size"), { target: { value: "8" } });
    fireEvent.change(screen.getByTestId("max-seq-len"), { target: { value: "4096" } });
    await waitFor(() => expect(backend.estimateTraining).toHaveBeenCalled());
    await screen.findByTestId("train-estimate");
    expect(backend.estimateTraining).toHaveBeenCalledTimes(1);
    expect(lastRequest()).toMatchObject({ batchSize: 8, seqLen: 4096 });
  });

  it("applies a suggestion to the form", async () => {
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId("train-model"), { target: { value: "/models/llama" } });
    const suggestions = await screen.findByTestId("train-suggestions");
    const batch = within(suggestions).getByText("batch size 1").closest("li");
    if (!batch) throw new Error("no batch suggestion");
    fireEvent.click(within(batch).getByRole("button", { name: "Apply" }));
    expect(screen.getByTestId("batch-size")).toHaveValue("1");
    await waitFor(() => expect(lastRequest()?.batchSize).toBe(1));
  });

  it("does not ask while a number is invalid, and shows estimate errors by code", async () => {
    vi.mocked(backend.estimateTraining).mockRejectedValue(
      new BackendError("model_not_found", "/nowhere: cannot be read: No such file or directory"),
    );
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId("batch-size"), { target: { value: "0" } });
    fireEvent.change(screen.getByTestId("train-model"), { target: { value: "/nowhere" } });
    expect(screen.getByTestId("batch-size")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("No estimate yet")).toBeInTheDocument();

    fireEvent.change(screen.getByTestId("batch-size"), { target: { value: "2" } });
    const notice = await screen.findByTestId("error-notice");
    expect(notice).toHaveAttribute("data-error-code", "model_not_found");
    expect(screen.getByTestId("train-fit")).toHaveAttribute("data-fit", "error");
  });

  it("does not start a QLoRA run, which is estimated only", async () => {
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId("train-model"), { target: { value: "/models/llama" } });
    fireEvent.change(screen.getByTestId("train-dataset"), { target: { value: "/data/chat.jsonl" } });
    fireEvent.click(screen.getByTestId("method-qlora"));
    fireEvent.click(screen.getByRole("button", { name: "Start training" }));
    expect(await screen.findByTestId("train-method-error")).toHaveTextContent("estimated only");
    expect(backend.trainStart).not.toHaveBeenCalled();
  });
});

describe("train settings", () => {
  it("accept whole numbers from 1 only", () => {
    expect(positiveInteger("16")).toBe(16);
    expect(positiveInteger(" 8 ")).toBe(8);
    for (const bad of ["0", "-1", "1.5", "", "2e3", "99999999999"]) expect(positiveInteger(bad)).toBeNull();
    expect(estimateRequest({ ...DEFAULT_TRAIN_SETTINGS, modelPath: "  " })).toBeNull();
  });
});

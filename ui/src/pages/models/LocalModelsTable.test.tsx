import { fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import type { InferenceAssessment } from "../../lib/types";
import { resetHardwareForTests } from "../../stores/hardware";
import { modelFromPath, useCheckedModelsStore } from "./checked-models";
import { LocalModelsTable } from "./LocalModelsTable";
import { ModelsPage } from "./ModelsPage";

vi.mock("../../lib/backend", () => ({
  backendMode: vi.fn(() => "tauri"),
  estimateInference: vi.fn(),
  hardwareReport: vi.fn(() => new Promise(() => undefined)),
  modelsLoaded: vi.fn(() => Promise.resolve([])),
  starterModel: vi.fn(() => Promise.resolve(null)),
  onModelEvent: vi.fn(() => Promise.resolve(() => undefined)),
}));

const GiB = 1024 ** 3;

function assessment(fit: "fits" | "does_not_fit"): InferenceAssessment {
  const device = {
    device: { id: "cuda:0", name: "NVIDIA RTX 4090", kind: "gpu" as const, totalBytes: 24 * GiB, availableBytes: 20 * GiB },
    fit,
    requiredBytes: fit === "fits" ? 2 * GiB : 40 * GiB,
    usagePercent: fit === "fits" ? 10 : 200,
  };
  return {
    estimate: {
      model: {
        path: "/models/qwen.gguf",
        source: "gguf",
        modelType: "qwen3",
        parameters: 596_049_920,
        hiddenSize: 1024,
        numLayers: 28,
        numHeads: 16,
        numKvHeads: 8,
        headDim: 128,
        intermediateSize: 3072,
        vocabSize: 151_936,
        tiedEmbeddings: true,
        slidingWindow: null,
        slidingLayers: 0,
        maxContext: 40_960,
        dtype: null,
        gguf: { version: 3, fileBytes: 639 * 1024 * 1024, tensorBytes: 600 * 1024 * 1024, parameters: 596_049_920, fileType: "Q8_0", tensorTypes: [], splitCount: 1 },
      },
      options: { contextLen: 4096, parallel: 1, weights: null, kvCacheType: "f16", kvOffload: false, flashAttention: false },
      weightsFormat: "gguf",
      terms: { weightsBytes: GiB, kvCacheBytes: GiB / 2, activationsBytes: 0, logitsBytes: 0, overheadBytes: 0 },
      kvBytesPerToken: 1024,
      deviceBytes: device.requiredBytes,
      hostBytes: 0,
      totalBytes: device.requiredBytes,
      notes: [],
    },
    devices: [device],
    pick: fit === "fits" ? "cuda:0" : null,
    fit,
    suggestions:
      fit === "fits"
        ? []
        : [{ kind: "shorter_context", description: "context 1024", value: 1024, requiredBytes: 18 * GiB, fit: "fits" }],
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  resetHardwareForTests();
  useCheckedModelsStore.setState({ models: [] });
});

describe("local models table", () => {
  it("shows a fit badge per model from a 4096-token serving estimate", async () => {
    vi.mocked(backend.estimateInference).mockImplementation((path) =>
      Promise.resolve(assessment(path.includes("small") ? "fits" : "does_not_fit")),
    );
    render(
      <LocalModelsTable
        models={[
          { path: "/models/small.gguf", name: "small", format: "GGUF" },
          { path: "/models/huge", name: "huge", format: "Hugging Face" },
        ]}
      />,
    );
    const [small, huge] = screen.getAllByTestId("local-model-row");
    if (!small || !huge) throw new Error("two rows expected");
    expect(within(small).getByTestId("model-fit")).toHaveAttribute("data-fit", "loading");
    expect(await within(small).findByText("Fits")).toBeInTheDocument();
    expect(await within(huge).findByText("Does not fit")).toBeInTheDocument();
    expect(within(huge).getByRole("tooltip", { hidden: true })).toHaveTextContent("context 1024 (needs 18 GB, fits)");
    expect(small).toHaveTextContent("596 M");
    expect(small).toHaveTextContent("639 MB");
    expect(backend.estimateInference).toHaveBeenCalledWith("/models/small.gguf", 4096);
    expect(backend.estimateInference).toHaveBeenCalledWith("/models/huge", 4096);
  });

  it("shows an unknown badge with the error code when the model cannot be read", async () => {
    vi.mocked(backend.estimateInference).mockRejectedValue(
      new BackendError("unsupported_architecture", "model type `mamba` is not supported by the estimator"),
    );
    render(<LocalModelsTable models={[{ path: "/models/mamba", name: "mamba", format: "Hugging Face" }]} />);
    const badge = screen.getByTestId("model-fit");
    expect(await within(badge).findByText("Unknown")).toBeInTheDocument();
    expect(within(badge).getByRole("tooltip", { hidden: true })).toHaveTextContent("code: unsupported_architecture");
  });

  it("is empty until a model is added", () => {
    render(<LocalModelsTable models={[]} />);
    expect(screen.getByText("No local models yet")).toBeInTheDocument();
    expect(backend.estimateInference).not.toHaveBeenCalled();
  });
});

describe("checking a model by path", () => {
  it("adds the model to the table, where its fit is estimated", async () => {
    vi.mocked(backend.estimateInference).mockResolvedValue(assessment("fits"));
    render(<ModelsPage />);
    fireEvent.change(screen.getByTestId("check-model-path"), { target: { value: " /models/Qwen3-0.6B/config.json " } });
    fireEvent.click(screen.getByTestId("check-model-submit"));
    const row = await screen.findByTestId("local-model-row");
    expect(row).toHaveTextContent("Qwen3-0.6B");
    expect(await within(row).findByText("Fits")).toBeInTheDocument();
    expect(backend.estimateInference).toHaveBeenCalledWith("/models/Qwen3-0.6B/config.json", 4096);
    fireEvent.click(within(row).getByRole("button", { name: "Remove Qwen3-0.6B" }));
    expect(screen.queryByTestId("local-model-row")).not.toBeInTheDocument();
  });

  it("names models after their folder or GGUF file", () => {
    expect(modelFromPath("/m/Llama-3.2-1B/config.json")).toEqual({
      path: "/m/Llama-3.2-1B/config.json",
      name: "Llama-3.2-1B",
      format: "Hugging Face",
    });
    expect(modelFromPath("C:\\models\\smol.Q8_0.gguf")?.name).toBe("smol.Q8_0");
    expect(modelFromPath("/m/gemma")?.format).toBe("Hugging Face");
    expect(modelFromPath("   ")).toBeNull();
  });
});

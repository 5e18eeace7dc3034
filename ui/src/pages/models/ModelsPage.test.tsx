import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import type { LoadedModelInfo, ModelEventPayload } from "../../lib/types";
import { resetHardwareForTests } from "../../stores/hardware";
import { applyModelEvent, resetModelsForTests, useModelsStore } from "../../stores/models";
import { useCheckedModelsStore } from "./checked-models";
import { ModelsPage } from "./ModelsPage";

vi.mock("../../lib/backend", () => ({
  backendMode: vi.fn(() => "tauri"),
  estimateInference: vi.fn(),
  hardwareReport: vi.fn(() => new Promise(() => undefined)),
  modelsLoaded: vi.fn(),
  modelLoad: vi.fn(),
  modelUnload: vi.fn(),
  starterModel: vi.fn(),
  onModelEvent: vi.fn(),
}));

const SMOL: LoadedModelInfo = {
  id: "SmolLM2-135M-Instruct",
  path: "/fixtures/models/SmolLM2-135M-Instruct.Q4_1.gguf",
  format: "gguf",
  architecture: "llama",
  parameters: 134_515_008,
  contextLength: 8192,
  quantization: "Q4_1",
  dequantized: true,
  hasChatTemplate: true,
};

/** The handler the page registered for model events. */
let emit: (event: ModelEventPayload) => void = () => undefined;

function send(event: ModelEventPayload) {
  act(() => emit(event));
}

beforeEach(() => {
  vi.clearAllMocks();
  resetHardwareForTests();
  resetModelsForTests();
  useCheckedModelsStore.setState({ models: [] });
  vi.mocked(backend.modelsLoaded).mockResolvedValue([]);
  vi.mocked(backend.starterModel).mockResolvedValue(null);
  vi.mocked(backend.onModelEvent).mockImplementation((handler) => {
    emit = handler;
    return Promise.resolve(() => undefined);
  });
});

describe("loaded models", () => {
  it("loads a model by path and shows its progress from the load events", async () => {
    let finish: (model: LoadedModelInfo) => void = () => undefined;
    vi.mocked(backend.modelLoad).mockReturnValue(new Promise((resolve) => (finish = resolve)));
    render(<ModelsPage />);
    expect(await screen.findByText("No model loaded")).toBeInTheDocument();

    fireEvent.change(screen.getByTestId("load-model-path"), { target: { value: ` ${SMOL.path} ` } });
    fireEvent.change(screen.getByTestId("load-model-dequantize"), { target: { value: "off" } });
    fireEvent.click(screen.getByTestId("load-model-submit"));
    expect(backend.modelLoad).toHaveBeenCalledWith(SMOL.path, null, "off", null);
    expect(screen.getByTestId("load-model-submit")).toBeDisabled();

    send({ type: "loading", id: SMOL.id, path: SMOL.path });
    send({ type: "progress", id: SMOL.id, fraction: 0.4 });
    const bar = screen.getByRole("progressbar", { name: `Loading ${SMOL.id}` });
    expect(bar).toHaveAttribute("aria-valuenow", "40");
    send({ type: "progress", id: SMOL.id, fraction: 0.75 });
    expect(bar).toHaveAttribute("aria-valuenow", "75");

    send({ type: "loaded", id: SMOL.id, model: SMOL });
    await act(() => Promise.resolve(finish(SMOL)));
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    const row = screen.getByTestId("loaded-model");
    expect(row).toHaveTextContent(SMOL.id);
    expect(row).toHaveTextContent("Q4_1 → f32");
    expect(row).toHaveTextContent("135 M parameters");
    expect(screen.getByTestId("load-model-path")).toHaveValue("");
  });

  it("loads a model with a LoRA adapter under its own name", () => {
    vi.mocked(backend.modelLoad).mockReturnValue(new Promise(() => undefined));
    render(<ModelsPage />);
    fireEvent.change(screen.getByTestId("load-model-path"), { target: { value: SMOL.path } });
    fireEvent.change(screen.getByTestId("load-model-id"), { target: { value: "smol-tuned" } });
    fireEvent.change(screen.getByTestId("load-model-adapter"), { target: { value: " /runs/a/adapter " } });
    fireEvent.click(screen.getByTestId("load-model-submit"));
    expect(backend.modelLoad).toHaveBeenCalledWith(SMOL.path, "smol-tuned", "auto", "/runs/a/adapter");
  });

  it("shows a failed load with its code", async () => {
    vi.mocked(backend.modelLoad).mockRejectedValue(new BackendError("model_not_found", "no such file: /m/x.gguf"));
    render(<ModelsPage />);
    fireEvent.change(screen.getByTestId("load-model-path"), { target: { value: "/m/x.gguf" } });
    fireEvent.click(screen.getByTestId("load-model-submit"));
    send({ type: "loading", id: "x", path: "/m/x.gguf" });
    send({ type: "load_failed", id: "x", code: "model_not_found", message: "no such file: /m/x.gguf" });
    const failed = await screen.findByTestId("model-load-failed");
    expect(within(failed).getByTestId("error-notice")).toHaveAttribute("data-error-code", "model_not_found");
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    const form = screen.getByTestId("load-model-form");
    expect(await within(form).findByTestId("error-notice")).toHaveAttribute("data-error-code", "model_not_found");
  });

  it("unloads a model", async () => {
    vi.mocked(backend.modelsLoaded).mockResolvedValue([SMOL]);
    vi.mocked(backend.modelUnload).mockResolvedValue(null);
    render(<ModelsPage />);
    const unload = await screen.findByRole("button", { name: `Unload ${SMOL.id}` });
    fireEvent.click(unload);
    expect(backend.modelUnload).toHaveBeenCalledWith(SMOL.id);
    expect(await screen.findByText("No model loaded")).toBeInTheDocument();
  });

  it("offers the starter model when it is on this machine", async () => {
    vi.mocked(backend.starterModel).mockResolvedValue({ id: SMOL.id, path: SMOL.path });
    vi.mocked(backend.modelLoad).mockResolvedValue(SMOL);
    render(<ModelsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /Load the starter model/ }));
    expect(backend.modelLoad).toHaveBeenCalledWith(SMOL.path, SMOL.id, "auto", null);
    expect(await screen.findByRole("button", { name: /Starter model loaded/ })).toBeDisabled();
    expect(useModelsStore.getState().loaded).toEqual([SMOL]);
  });

  it("has no starter button when the starter model is not here", async () => {
    render(<ModelsPage />);
    await screen.findByText("No model loaded");
    await act(() => Promise.resolve());
    expect(backend.starterModel).toHaveBeenCalled();
    expect(screen.queryByTestId("starter-model")).not.toBeInTheDocument();
  });
});

describe("model events", () => {
  const empty = { status: "ready" as const, loaded: [], loading: {}, failures: {}, error: null };

  it("never moves progress back and forgets a failure when the model loads again", () => {
    let state = { ...empty, ...applyModelEvent(empty, { type: "loading", id: "m", path: "/m" }) };
    state = { ...state, ...applyModelEvent(state, { type: "progress", id: "m", fraction: 0.6 }) };
    state = { ...state, ...applyModelEvent(state, { type: "progress", id: "m", fraction: 0.5 }) };
    expect(state.loading).toEqual({ m: { path: "/m", fraction: 0.6 } });
    state = { ...state, ...applyModelEvent(state, { type: "load_failed", id: "m", code: "io", message: "gone" }) };
    expect(state.loading).toEqual({});
    expect(state.failures).toEqual({ m: { code: "io", message: "gone" } });
    state = { ...state, ...applyModelEvent(state, { type: "loading", id: "m", path: "/m" }) };
    expect(state.failures).toEqual({});
    state = { ...state, ...applyModelEvent(state, { type: "loaded", id: "m", model: { ...SMOL, id: "m" } }) };
    expect(state.loaded.map((m) => m.id)).toEqual(["m"]);
    state = { ...state, ...applyModelEvent(state, { type: "unloaded", id: "m" }) };
    expect(state.loaded).toEqual([]);
  });
});

import { act, configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import type { AppEvent, JsonValue, TrainMetric, TrainPreviewRow, TrainRun, TrainStartRequest } from "../../lib/types";
import { resetHardwareForTests } from "../../stores/hardware";
import { TrainPage } from "./TrainPage";
import { applyTrainEvent, newLiveRun, resetTrainRunForTests } from "./train-run";
import { DEFAULT_TRAIN_SETTINGS, startRequest, useTrainSettingsStore } from "./train-settings";

vi.mock("../../lib/backend", () => ({
  backendMode: vi.fn(() => "tauri"),
  estimateTraining: vi.fn(),
  hardwareReport: vi.fn(),
  modelsLocal: vi.fn(),
  onAppEvent: vi.fn(),
  trainRuns: vi.fn(),
  trainMetrics: vi.fn(),
  trainStart: vi.fn(),
  trainStop: vi.fn(),
  trainCancel: vi.fn(),
  trainPreview: vi.fn(),
}));

configure({ asyncUtilTimeout: 5000 });

/** The bus handler the page subscribed with, to play events into it. */
let emit: (event: AppEvent) => void = () => undefined;
let seq = 0;

function event(kind: string, jobId: string | null, payload: JsonValue): AppEvent {
  seq += 1;
  return { seq, at: "2025-01-01T00:00:00Z", jobId, kind, payload };
}

function step(runId: string, n: number, loss: number): AppEvent {
  return event("job.progress", "job-1", {
    runId,
    kind: "step",
    metrics: {
      step: n,
      totalSteps: 10,
      epoch: n / 10,
      loss,
      learningRate: 0.0002,
      gradNorm: 0.75,
      tokensPerS: 1234.4,
      trainedTokens: 100 * n,
      elapsedS: 65,
      etaS: 3725,
      memoryBytes: 2 * 1024 ** 3,
    },
  });
}

function run(id: string, changes: Partial<TrainRun> = {}): TrainRun {
  return {
    id,
    jobId: `job-${id}`,
    model: "/models/SmolLM2-135M-Instruct",
    dataset: "/data/chat.jsonl",
    output: `/home/u/.loris/training/${id}`,
    config: {},
    state: "completed",
    totalSteps: 4,
    lastStep: 4,
    lastCheckpoint: null,
    adapter: `/home/u/.loris/training/${id}/adapter`,
    error: null,
    createdAt: "2025-01-01T10:00:00Z",
    updatedAt: "2025-01-01T10:05:00Z",
    ...changes,
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  resetHardwareForTests();
  resetTrainRunForTests();
  useTrainSettingsStore.setState(DEFAULT_TRAIN_SETTINGS);
  emit = () => undefined;
  vi.mocked(backend.hardwareReport).mockReturnValue(new Promise(() => undefined));
  vi.mocked(backend.estimateTraining).mockReturnValue(new Promise(() => undefined));
  vi.mocked(backend.modelsLocal).mockResolvedValue([
    { name: "SmolLM2", path: "/models/SmolLM2-135M-Instruct", format: "safetensors", source: "folder", sizeBytes: 1 },
  ]);
  vi.mocked(backend.onAppEvent).mockImplementation((handler) => {
    emit = handler;
    return Promise.resolve(() => undefined);
  });
  vi.mocked(backend.trainRuns).mockResolvedValue([]);
  vi.mocked(backend.trainMetrics).mockResolvedValue([]);
  vi.mocked(backend.trainStart).mockResolvedValue({ runId: "run-1", jobId: "job-1" });
  vi.mocked(backend.trainStop).mockResolvedValue(true);
  vi.mocked(backend.trainCancel).mockResolvedValue(null);
});

function fillPaths() {
  fireEvent.change(screen.getByTestId("train-model"), { target: { value: " /models/SmolLM2-135M-Instruct " } });
  fireEvent.change(screen.getByTestId("train-dataset"), { target: { value: "/data/chat.jsonl" } });
}

async function startRun() {
  render(<TrainPage />);
  await waitFor(() => expect(backend.onAppEvent).toHaveBeenCalled());
  fillPaths();
  fireEvent.click(screen.getByRole("button", { name: "Start training" }));
  await screen.findByTestId("train-progress");
}

describe("starting a run", () => {
  it("sends the form's fields to train_start", async () => {
    render(<TrainPage />);
    fillPaths();
    fireEvent.change(screen.getByTestId("train-dataset-format"), { target: { value: "sharegpt" } });
    fireEvent.change(screen.getByTestId("train-output"), { target: { value: "/runs/smol" } });
    fireEvent.change(screen.getByTestId("lora-rank"), { target: { value: "8" } });
    fireEvent.change(screen.getByTestId("lora-alpha"), { target: { value: "32" } });
    fireEvent.change(screen.getByTestId("lora-dropout"), { target: { value: "0.05" } });
    fireEvent.change(screen.getByTestId("lora-targets"), { target: { value: "q_proj, v_proj" } });
    fireEvent.change(screen.getByTestId("learning-rate"), { target: { value: "1e-4" } });
    fireEvent.change(screen.getByTestId("schedule"), { target: { value: "cosine" } });
    fireEvent.change(screen.getByTestId("warmup-steps"), { target: { value: "0" } });
    fireEvent.change(screen.getByTestId("max-steps"), { target: { value: "50" } });
    fireEvent.change(screen.getByTestId("batch-size"), { target: { value: "1" } });
    fireEvent.change(screen.getByTestId("grad-accum"), { target: { value: "8" } });
    fireEvent.change(screen.getByTestId("max-seq-len"), { target: { value: "512" } });
    fireEvent.change(screen.getByTestId("seed"), { target: { value: "42" } });
    fireEvent.change(screen.getByTestId("checkpoint-every"), { target: { value: "10" } });
    fireEvent.change(screen.getByTestId("eval-fraction"), { target: { value: "0.1" } });
    fireEvent.change(screen.getByTestId("eval-every"), { target: { value: "5" } });
    fireEvent.click(screen.getByTestId("packing"));
    fireEvent.click(screen.getByTestId("gradient-checkpointing"));
    fireEvent.click(screen.getByRole("button", { name: "Start training" }));

    await waitFor(() => expect(backend.trainStart).toHaveBeenCalledTimes(1));
    const expected: TrainStartRequest = {
      modelPath: "/models/SmolLM2-135M-Instruct",
      datasetPath: "/data/chat.jsonl",
      outputDir: "/runs/smol",
      tokenizerPath: null,
      resumeFrom: null,
      settings: {
        method: "lora",
        lora: { rank: 8, alpha: 32, dropout: 0.05, rslora: false, targets: ["q_proj", "v_proj"] },
        learningRate: 1e-4,
        schedule: "cosine",
        warmupSteps: 0,
        weightDecay: 0.01,
        maxGradNorm: 1,
        batchSize: 1,
        gradAccum: 8,
        seqLen: 512,
        epochs: 1,
        maxSteps: 50,
        seed: 42,
        evalEvery: 5,
        evalFraction: 0.1,
        checkpointEvery: 10,
        gradientCheckpointing: false,
        packing: false,
        responsesOnly: true,
      },
      dataset: { format: "sharegpt", mapping: {}, maxRows: null },
    };
    expect(vi.mocked(backend.trainStart).mock.calls[0]?.[0]).toEqual(expected);
    expect(await screen.findByTestId("train-progress")).toHaveAttribute("data-status", "running");
    // The new run is listed at once.
    await waitFor(() => expect(vi.mocked(backend.trainRuns).mock.calls.length).toBeGreaterThanOrEqual(2));
  });

  it("offers the models on this machine for the model path", async () => {
    render(<TrainPage />);
    const options = screen.getByTestId("train-model-options");
    await waitFor(() => expect(options.querySelectorAll("option")).toHaveLength(1));
    expect(options.querySelector("option")).toHaveValue("/models/SmolLM2-135M-Instruct");
  });

  it("names the missing and malformed fields instead of calling the backend", async () => {
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId("learning-rate"), { target: { value: "fast" } });
    fireEvent.click(screen.getByRole("button", { name: "Start training" }));
    expect(await screen.findByText("Choose a model folder or GGUF file.")).toBeInTheDocument();
    expect(screen.getByText("Give a JSONL, JSON, CSV or Parquet file.")).toBeInTheDocument();
    expect(screen.getByTestId("learning-rate")).toHaveAttribute("aria-invalid", "true");
    expect(backend.trainStart).not.toHaveBeenCalled();
  });

  it("shows a typed error from train_start by its code", async () => {
    vi.mocked(backend.trainStart).mockRejectedValue(
      new BackendError("train_invalid_config", "invalid training setting: LoRA rank must be at least 1"),
    );
    render(<TrainPage />);
    fillPaths();
    fireEvent.click(screen.getByRole("button", { name: "Start training" }));
    const notice = await screen.findByTestId("error-notice");
    expect(notice).toHaveAttribute("data-error-code", "train_invalid_config");
    expect(notice).toHaveTextContent("LoRA rank must be at least 1");
    expect(screen.queryByTestId("train-progress")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Start training" })).toBeEnabled();
  });
});

describe("a running run", () => {
  it("follows progress events: numbers, progress bar and chart", async () => {
    await startRun();
    expect(screen.getByTestId("train-live-chart")).toHaveAttribute("data-train-points", "0");
    expect(screen.getByRole("button", { name: "Start training" })).toBeDisabled();

    act(() => emit(step("run-1", 3, 1.23456)));
    expect(screen.getByTestId("train-stat-step")).toHaveTextContent("3 / 10");
    expect(screen.getByTestId("train-stat-loss")).toHaveTextContent("1.2346");
    expect(screen.getByTestId("train-stat-lr")).toHaveTextContent("2.00e-4");
    expect(screen.getByTestId("train-stat-grad-norm")).toHaveTextContent("0.750");
    expect(screen.getByTestId("train-stat-tokens")).toHaveTextContent("1,234");
    expect(screen.getByTestId("train-stat-elapsed")).toHaveTextContent("1:05");
    expect(screen.getByTestId("train-stat-eta")).toHaveTextContent("1:02:05");
    expect(screen.getByTestId("train-stat-memory")).toHaveTextContent("2 GB");
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "3");
    expect(screen.getByTestId("train-live-chart")).toHaveAttribute("data-train-points", "1");

    act(() => {
      emit(step("run-1", 4, 1.1));
      // Another run's events are not this one's.
      emit(step("run-other", 9, 9.9));
      emit(event("job.progress", "job-1", { runId: "run-1", kind: "eval", step: 4, loss: 1.5 }));
      emit(event("job.progress", "job-1", { runId: "run-1", kind: "checkpoint", step: 4, path: "/runs/smol/checkpoint-4" }));
    });
    expect(screen.getByTestId("train-stat-step")).toHaveTextContent("4 / 10");
    expect(screen.getByTestId("train-live-chart")).toHaveAttribute("data-train-points", "2");
    expect(screen.getByTestId("train-live-chart")).toHaveAttribute("data-eval-points", "1");
    expect(screen.getByTestId("train-stat-eval-loss")).toHaveTextContent("1.5000");
    expect(screen.getByTestId("train-checkpoint")).toHaveTextContent("/runs/smol/checkpoint-4");
    expect(screen.getByTestId("train-live-chart-train").getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+$/);

    const listed = vi.mocked(backend.trainRuns).mock.calls.length;
    act(() => emit(event("job.finished", "job-1", { state: "completed", error: null })));
    expect(screen.getByTestId("train-progress")).toHaveAttribute("data-status", "finished");
    expect(screen.getByTestId("train-progress-status")).toHaveTextContent("Finished: completed");
    await waitFor(() => expect(vi.mocked(backend.trainRuns).mock.calls.length).toBeGreaterThan(listed));
    expect(screen.getByRole("button", { name: "Start training" })).toBeEnabled();
  });

  it("stops and saves, or cancels, by job id", async () => {
    await startRun();
    fireEvent.click(screen.getByRole("button", { name: "Stop & save" }));
    await waitFor(() => expect(backend.trainStop).toHaveBeenCalledWith("job-1"));
    expect(screen.getByTestId("train-progress")).toHaveAttribute("data-status", "stopping");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(backend.trainCancel).toHaveBeenCalledWith("job-1"));
    expect(screen.getByTestId("train-progress")).toHaveAttribute("data-status", "cancelling");
  });

  it("picks up a run still going when the page opens", async () => {
    vi.mocked(backend.trainRuns).mockResolvedValue([run("run-9", { state: "running", jobId: "job-9", lastStep: 2 })]);
    vi.mocked(backend.trainMetrics).mockResolvedValue([
      { step: 1, kind: "train", loss: 2, learningRate: 1e-4, gradNorm: 1, tokensPerS: 10, elapsedS: 1, memoryBytes: null },
      { step: 2, kind: "train", loss: 1.8, learningRate: 1e-4, gradNorm: 1, tokensPerS: 10, elapsedS: 2, memoryBytes: null },
    ]);
    render(<TrainPage />);
    const progress = await screen.findByTestId("train-progress");
    expect(progress).toHaveTextContent("run-9");
    expect(screen.getByTestId("train-live-chart")).toHaveAttribute("data-train-points", "2");
    fireEvent.click(screen.getByRole("button", { name: "Stop & save" }));
    await waitFor(() => expect(backend.trainStop).toHaveBeenCalledWith("job-9"));
  });
});

describe("token preview", () => {
  const rows: TrainPreviewRow[] = [
    {
      row: 1,
      line: 1,
      tokens: [
        { id: 1, text: "<|im_start|>", trained: false },
        { id: 2, text: "user\nCapital?", trained: false },
        { id: 3, text: "Paris", trained: true },
        { id: 4, text: ".", trained: true },
      ],
      skipped: null,
    },
    {
      row: 2,
      line: 2,
      tokens: [],
      skipped: { code: "no_assistant_turn", message: "no assistant turn to train on" },
    },
  ];

  it("marks the trained tokens, with a legend", async () => {
    vi.mocked(backend.trainPreview).mockResolvedValue(rows);
    render(<TrainPage />);
    fillPaths();
    fireEvent.click(screen.getByRole("button", { name: "Preview tokens" }));
    const preview = await screen.findByTestId("train-preview");
    const [model, dataset, options, count] = vi.mocked(backend.trainPreview).mock.calls[0] ?? [];
    expect([model, dataset, count]).toEqual(["/models/SmolLM2-135M-Instruct", "/data/chat.jsonl", 5]);
    expect(options?.settings).toMatchObject({ seqLen: 2048, responsesOnly: true, packing: true });
    expect(options?.dataset).toEqual({ format: null, mapping: {}, maxRows: null });
    expect(options?.tokenizerPath).toBeNull();
    expect(within(preview).getByTestId("train-preview-legend")).toHaveTextContent("Trained");
    const [first] = within(preview).getAllByTestId("train-preview-row");
    if (!first) throw new Error("no row");
    const trained = first.querySelectorAll('[data-trained="true"]');
    expect(Array.from(trained).map((t) => t.textContent)).toEqual(["Paris", "."]);
    expect(first.querySelectorAll('[data-trained="false"]')).toHaveLength(2);
    expect(first).toHaveTextContent("2 of 4 tokens trained");
    expect(within(preview).getByTestId("train-preview-skipped")).toHaveAttribute("data-skip-code", "no_assistant_turn");
  });

  it("shows a dataset error by its code", async () => {
    vi.mocked(backend.trainPreview).mockRejectedValue(
      new BackendError("dataset_bad_json", "/data/chat.jsonl line 3: expected value", { row: 3, line: 3 }),
    );
    render(<TrainPage />);
    fillPaths();
    fireEvent.click(screen.getByRole("button", { name: "Preview tokens" }));
    expect(await screen.findByTestId("error-notice")).toHaveAttribute("data-error-code", "dataset_bad_json");
    expect(screen.queryByTestId("train-preview")).not.toBeInTheDocument();
  });
});

describe("run history", () => {
  it("draws a selected run's stored curve and shows its state, output and error", async () => {
    vi.mocked(backend.trainRuns).mockResolvedValue([
      run("run-2", { state: "failed", adapter: null, error: "training diverged at step 3: loss is not finite", lastStep: 3 }),
      run("run-1"),
    ]);
    const metrics: TrainMetric[] = [
      { step: 1, kind: "train", loss: 2.5, learningRate: 2e-4, gradNorm: 1, tokensPerS: 100, elapsedS: 1, memoryBytes: null },
      { step: 2, kind: "train", loss: 2.0, learningRate: 2e-4, gradNorm: 1, tokensPerS: 100, elapsedS: 2, memoryBytes: null },
      { step: 4, kind: "train", loss: 1.5, learningRate: 2e-4, gradNorm: 1, tokensPerS: 100, elapsedS: 4, memoryBytes: null },
      { step: 4, kind: "eval", loss: 1.7, learningRate: null, gradNorm: null, tokensPerS: null, elapsedS: null, memoryBytes: null },
    ];
    vi.mocked(backend.trainMetrics).mockResolvedValue(metrics);
    render(<TrainPage />);
    const buttons = await screen.findAllByTestId("train-run");
    expect(buttons).toHaveLength(2);
    expect(buttons[0]).toHaveTextContent("SmolLM2-135M-Instruct");
    expect(buttons[0]).toHaveTextContent("failed");

    fireEvent.click(buttons[1] as HTMLElement);
    await waitFor(() => expect(backend.trainMetrics).toHaveBeenCalledWith("run-1"));
    const chart = await screen.findByTestId("train-history-chart");
    expect(chart).toHaveAttribute("data-train-points", "3");
    expect(chart).toHaveAttribute("data-eval-points", "1");
    expect(screen.getByTestId("train-run-adapter")).toHaveTextContent("/home/u/.loris/training/run-1/adapter");
    expect(screen.getByTestId("train-run-output")).toHaveTextContent("/home/u/.loris/training/run-1");
    expect(screen.getByTestId("train-run-steps")).toHaveTextContent("step 4 / 4");

    fireEvent.click(buttons[0] as HTMLElement);
    await waitFor(() => expect(backend.trainMetrics).toHaveBeenCalledWith("run-2"));
    expect(await screen.findByTestId("train-run-error")).toHaveTextContent("training diverged at step 3");
    expect(screen.queryByTestId("train-run-adapter")).not.toBeInTheDocument();
  });
});

describe("train run state", () => {
  it("ignores events of other runs and malformed payloads", () => {
    const live = newLiveRun("run-1", "job-1");
    expect(applyTrainEvent(live, step("run-2", 1, 1))).toBe(live);
    expect(applyTrainEvent(live, event("job.progress", "job-1", { runId: "run-1", kind: "step", metrics: { step: 1 } }))).toBe(live);
    expect(applyTrainEvent(live, event("job.created", "job-1", { kind: "train" }))).toBe(live);
    // A repeated step replaces its point rather than adding one.
    const once = applyTrainEvent(live, step("run-1", 1, 2));
    const twice = applyTrainEvent(once, step("run-1", 1, 1.5));
    expect(twice.train).toEqual([{ step: 1, loss: 1.5 }]);
  });

  it("refuses QLoRA and keeps blank intervals as none", () => {
    const form = { ...DEFAULT_TRAIN_SETTINGS, modelPath: "/m", datasetPath: "/d.jsonl" };
    const ok = startRequest(form);
    if (!ok.ok) throw new Error("defaults should be valid");
    expect(ok.value.settings).toMatchObject({ maxSteps: null, checkpointEvery: null, evalEvery: null, seed: 3407 });
    expect(ok.value.outputDir).toBeNull();
    const qlora = startRequest({ ...form, method: "qlora" });
    expect(qlora.ok).toBe(false);
  });
});

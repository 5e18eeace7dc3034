import { useEffect } from "react";
import { create } from "zustand";
import { modelLoad, modelsLoaded, modelUnload, onModelEvent } from "../lib/backend";
import { toBackendError, type BackendError } from "../lib/backend-error";
import type { Dequantize, LoadedModelInfo, ModelEventPayload } from "../lib/types";

/** A load in progress: `fraction` of the weights read, 0 to 1. */
export type LoadProgress = { path: string; fraction: number };

/** Why a load failed, by the backend's code. */
export type LoadFailure = { code: string; message: string };

type ModelsState = {
  status: "idle" | "loading" | "ready" | "error";
  /** Models ready to serve, sorted by id. */
  loaded: LoadedModelInfo[];
  /** Loads in progress, by model id. */
  loading: Record<string, LoadProgress>;
  /** The last failed load of each id, until it is loaded again. */
  failures: Record<string, LoadFailure>;
  /** Why the list could not be read. */
  error: BackendError | null;
};

type ModelsStore = ModelsState & {
  refresh: () => Promise<void>;
  /** Loads a model; resolves with it, or rejects with the backend's error. */
  /** `adapter`: a LoRA adapter folder (PEFT layout) merged into the weights as they load. */
  load: (path: string, id: string | null, dequantize: Dequantize, adapter?: string | null) => Promise<LoadedModelInfo>;
  unload: (id: string) => Promise<void>;
  /** Applies one event of the backend's model registry. */
  apply: (event: ModelEventPayload) => void;
};

const INITIAL: ModelsState = { status: "idle", loaded: [], loading: {}, failures: {}, error: null };

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const rest = { ...record };
  delete rest[key];
  return rest;
}

function upsert(models: LoadedModelInfo[], model: LoadedModelInfo): LoadedModelInfo[] {
  return [...models.filter((m) => m.id !== model.id), model].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The state after one registry event; pure, so it is tested without a store. */
export function applyModelEvent(state: ModelsState, event: ModelEventPayload): Partial<ModelsState> {
  switch (event.type) {
    case "loading":
      return {
        loading: { ...state.loading, [event.id]: { path: event.path, fraction: 0 } },
        failures: without(state.failures, event.id),
      };
    case "progress": {
      const current = state.loading[event.id];
      // Progress only grows; a late step never moves the bar back.
      const fraction = Math.min(1, Math.max(current?.fraction ?? 0, event.fraction));
      return { loading: { ...state.loading, [event.id]: { path: current?.path ?? "", fraction } } };
    }
    case "loaded":
      return { loading: without(state.loading, event.id), loaded: upsert(state.loaded, event.model) };
    case "load_failed":
      return {
        loading: without(state.loading, event.id),
        failures: { ...state.failures, [event.id]: { code: event.code, message: event.message } },
      };
    case "unloaded":
      return { loaded: state.loaded.filter((m) => m.id !== event.id) };
  }
}

/** The loaded models and the loads in progress, shared by the Models and Chat pages. */
export const useModelsStore = create<ModelsStore>()((set, get) => ({
  ...INITIAL,
  refresh: async () => {
    set((state) => ({ status: state.status === "ready" ? "ready" : "loading" }));
    try {
      set({ status: "ready", loaded: await modelsLoaded(), error: null });
    } catch (error) {
      set({ status: "error", error: toBackendError(error) });
    }
  },
  load: async (path, id, dequantize, adapter = null) => {
    const model = await modelLoad(path, id, dequantize, adapter);
    // The `loaded` event says the same; this covers a window that was not listening.
    set((state) => ({ loaded: upsert(state.loaded, model), loading: without(state.loading, model.id) }));
    return model;
  },
  unload: async (id) => {
    await modelUnload(id);
    set((state) => ({ loaded: state.loaded.filter((m) => m.id !== id) }));
  },
  apply: (event) => set(applyModelEvent(get(), event)),
}));

let watchers = 0;
let unlisten: (() => void) | null = null;
let stopped = false;

/**
 * Keeps the store current while the returned function is not called: reads the list and
 * follows the backend's model events. Pages share one subscription.
 */
export function watchModels(): () => void {
  watchers += 1;
  if (watchers === 1) {
    stopped = false;
    void useModelsStore.getState().refresh();
    onModelEvent((event) => useModelsStore.getState().apply(event)).then(
      (stop) => {
        if (stopped) stop();
        else unlisten = stop;
      },
      (error: unknown) => useModelsStore.setState({ error: toBackendError(error) }),
    );
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    watchers -= 1;
    if (watchers === 0) {
      stopped = true;
      unlisten?.();
      unlisten = null;
    }
  };
}

/** The models store, kept current while the calling component is mounted. */
export function useModels(): ModelsStore {
  useEffect(() => watchModels(), []);
  return useModelsStore();
}

/** Forgets everything between tests. */
export function resetModelsForTests() {
  watchers = 0;
  unlisten = null;
  stopped = false;
  useModelsStore.setState(INITIAL);
}

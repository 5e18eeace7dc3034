import { create } from "zustand";

/** A model on disk, as the Models page lists it. */
export type LocalModel = {
  /** The path the estimate reads: a .gguf file, a model folder or its config.json. */
  path: string;
  name: string;
  format: "GGUF" | "Hugging Face";
};

/** Serving estimates on the Models page use this much context. */
export const DEFAULT_CONTEXT_LEN = 4096;

/** "…/Qwen3-0.6B/config.json" -> a model named after its folder, or a GGUF after its file. */
export function modelFromPath(rawPath: string): LocalModel | null {
  const path = rawPath.trim();
  if (!path) return null;
  const parts = path.split(/[\\/]+/).filter(Boolean);
  const last = parts.at(-1) ?? path;
  const isGguf = last.toLowerCase().endsWith(".gguf");
  const isConfig = last.toLowerCase() === "config.json";
  const name = isConfig ? (parts.at(-2) ?? last) : isGguf ? last.replace(/\.gguf$/i, "") : last;
  return { path, name, format: isGguf ? "GGUF" : "Hugging Face" };
}

type CheckedModelsStore = {
  models: LocalModel[];
  add: (model: LocalModel) => void;
  remove: (path: string) => void;
};

/**
 * Models the user pointed at by path, until folder scanning lists them. Kept for the life of
 * the window only.
 */
export const useCheckedModelsStore = create<CheckedModelsStore>()((set) => ({
  models: [],
  add: (model) => set((state) => ({ models: [...state.models.filter((m) => m.path !== model.path), model] })),
  remove: (path) => set((state) => ({ models: state.models.filter((m) => m.path !== path) })),
}));

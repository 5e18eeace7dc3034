import type { LocalModelInfo } from "../../lib/types";

/**
 * The id a local model is loaded under: the starter's own; a GGUF file's name without
 * `.gguf`; a folder's last name (an HF cache snapshot folder is a revision hash, so the
 * repository's name is used).
 */
export function loadIdFor(model: LocalModelInfo): string {
  if (model.source === "starter") return model.name;
  const last = model.name.split("/").pop() ?? model.name;
  return model.format === "gguf" ? last.replace(/\.gguf$/i, "") : last;
}

import { HardDrive } from "lucide-react";
import { EmptyState } from "../../components/ui/EmptyState";

const COLUMNS = ["Name", "Format", "Parameters", "Size on disk", "Fits in VRAM"] as const;

/** Models found in the folders the user added. Empty until folder scanning lands. */
export function LocalModelsTable() {
  return (
    <table data-testid="local-models-table" className="w-full text-left text-sm">
      <thead className="text-xs uppercase tracking-wide text-zinc-500">
        <tr>
          {COLUMNS.map((column) => (
            <th key={column} scope="col" className="pb-2 pr-4 font-medium">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr className="border-t border-zinc-100 dark:border-zinc-800">
          <td colSpan={COLUMNS.length}>
            <EmptyState icon={HardDrive} title="No local models yet">
              Add a folder that holds Hugging Face model folders (config.json, *.safetensors, tokenizer files) or
              GGUF files. Each model gets a badge saying whether it fits in your GPU memory.
            </EmptyState>
          </td>
        </tr>
      </tbody>
    </table>
  );
}

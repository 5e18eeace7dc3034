import { Download, FileJson, FileText, Upload } from "lucide-react";
import { useRef } from "react";
import { downloadText, fileNameFrom } from "../../lib/download";
import type { ExportFormat } from "../../lib/types";
import { useChatStore } from "../../stores/chat";

const EXPORTS: { format: ExportFormat; label: string; extension: string; mime: string; whole: boolean }[] = [
  { format: "json", label: "Export JSON", extension: "json", mime: "application/json", whole: false },
  { format: "markdown", label: "Export Markdown", extension: "md", mime: "text/markdown", whole: false },
  { format: "sharegpt", label: "Export all chats (ShareGPT JSONL)", extension: "jsonl", mime: "application/jsonl", whole: true },
];

const ICONS = { json: FileJson, markdown: FileText, sharegpt: Download } as const;

/**
 * Export the thread on screen (JSON, readable by Import; Markdown) or every thread (ShareGPT
 * JSONL, for fine-tuning data sets), and import a JSON export as a new thread. A refused file
 * shows the backend's error, which names the problem and where it is.
 */
export function ThreadActions({ threadTitle }: { threadTitle: string | null }) {
  const exportThread = useChatStore((s) => s.exportThread);
  const importThread = useChatStore((s) => s.importThread);
  const picker = useRef<HTMLInputElement>(null);
  const onExport = async (entry: (typeof EXPORTS)[number]) => {
    const text = await exportThread(entry.format);
    if (text === null) return;
    const name = entry.whole ? "loris-chats-sharegpt" : (threadTitle ?? "chat");
    downloadText(fileNameFrom(name, entry.extension), text, entry.mime);
  };
  return (
    <div className="flex items-center gap-1" role="group" aria-label="Export and import">
      {EXPORTS.filter((e) => e.whole || threadTitle !== null).map((entry) => {
        const Icon = ICONS[entry.format];
        return (
          <button
            key={entry.format}
            type="button"
            aria-label={entry.label}
            title={entry.label}
            data-testid={`chat-export-${entry.format}`}
            onClick={() => void onExport(entry)}
            className="rounded p-1.5 text-zinc-500 hover:bg-zinc-100 dark:hover:bg-zinc-800"
          >
            <Icon aria-hidden className="size-4" />
          </button>
        );
      })}
      <button
        type="button"
        aria-label="Import a chat (JSON)"
        title="Import a chat (JSON)"
        data-testid="chat-import"
        onClick={() => picker.current?.click()}
        className="rounded p-1.5 text-zinc-500 hover:bg-zinc-100 dark:hover:bg-zinc-800"
      >
        <Upload aria-hidden className="size-4" />
      </button>
      <input
        ref={picker}
        type="file"
        accept=".json,application/json"
        className="hidden"
        data-testid="chat-import-file"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) void file.text().then(importThread);
        }}
      />
    </div>
  );
}

import { useState } from "react";
import { Button } from "../../components/ui/Button";
import type { ThreadSettings } from "../../lib/types";

type NumberField = Exclude<keyof ThreadSettings, "systemPrompt" | "seed">;

const NUMBER_FIELDS: { key: NumberField; label: string; step: number; min: number; max?: number }[] = [
  { key: "temperature", label: "Temperature", step: 0.05, min: 0, max: 2 },
  { key: "topP", label: "Top-p", step: 0.05, min: 0, max: 1 },
  { key: "topK", label: "Top-k", step: 1, min: 0 },
  { key: "minP", label: "Min-p", step: 0.01, min: 0, max: 1 },
  { key: "repetitionPenalty", label: "Repetition penalty", step: 0.05, min: 0 },
  { key: "presencePenalty", label: "Presence penalty", step: 0.1, min: -2, max: 2 },
  { key: "frequencyPenalty", label: "Frequency penalty", step: 0.1, min: -2, max: 2 },
  { key: "maxTokens", label: "Max tokens", step: 1, min: 1 },
];

/** A thread's system prompt and sampling, saved with the thread. */
export function SettingsPanel({
  settings,
  onSave,
  onClose,
}: {
  settings: ThreadSettings;
  onSave: (settings: ThreadSettings) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState<ThreadSettings>(settings);
  const setNumber = (key: NumberField, text: string) => {
    const value = Number(text);
    if (text.trim() !== "" && Number.isFinite(value)) setDraft({ ...draft, [key]: value });
  };
  return (
    <form
      aria-label="Thread settings"
      data-testid="chat-settings"
      className="flex w-72 shrink-0 flex-col gap-3 overflow-y-auto border-l border-zinc-200 p-4 text-sm dark:border-zinc-800"
      onSubmit={(event) => {
        event.preventDefault();
        onSave(draft);
      }}
    >
      <h2 className="font-semibold">Settings for this chat</h2>
      <label className="flex flex-col gap-1">
        System prompt
        <textarea
          data-testid="setting-systemPrompt"
          rows={4}
          value={draft.systemPrompt ?? ""}
          onChange={(event) => setDraft({ ...draft, systemPrompt: event.target.value === "" ? null : event.target.value })}
          className="rounded-md border border-zinc-300 bg-white p-2 dark:border-zinc-700 dark:bg-zinc-900"
        />
      </label>
      {NUMBER_FIELDS.map((field) => (
        <label key={field.key} className="flex items-center justify-between gap-2">
          {field.label}
          <input
            type="number"
            data-testid={`setting-${field.key}`}
            step={field.step}
            min={field.min}
            max={field.max}
            defaultValue={draft[field.key] ?? ""}
            onChange={(event) => setNumber(field.key, event.target.value)}
            className="w-24 rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900"
          />
        </label>
      ))}
      <label className="flex items-center justify-between gap-2">
        Seed
        <input
          type="number"
          data-testid="setting-seed"
          step={1}
          min={0}
          placeholder="random"
          defaultValue={draft.seed ?? ""}
          onChange={(event) => {
            const text = event.target.value.trim();
            const seed = Number(text);
            setDraft({ ...draft, seed: text === "" || !Number.isInteger(seed) || seed < 0 ? null : seed });
          }}
          className="w-24 rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900"
        />
      </label>
      <div className="flex gap-2">
        <Button type="submit" data-testid="settings-save">
          Save
        </Button>
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
    </form>
  );
}

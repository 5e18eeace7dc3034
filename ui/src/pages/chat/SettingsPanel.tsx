import { useState } from "react";
import { Button } from "../../components/ui/Button";
import type { SamplingPreset, ThreadSettings } from "../../lib/types";

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

/** The sampling fields a preset or the model's defaults set; the system prompt stays. */
function withSampling(draft: ThreadSettings, from: ThreadSettings): ThreadSettings {
  return { ...from, systemPrompt: draft.systemPrompt };
}

/**
 * A thread's system prompt and sampling, saved with the thread. The sampling can start from
 * the model family's recommended values or from a preset the user saved.
 */
export function SettingsPanel({
  settings,
  onSave,
  onClose,
  presets = [],
  onSavePreset,
  onDeletePreset,
  onModelDefaults,
}: {
  settings: ThreadSettings;
  onSave: (settings: ThreadSettings) => void;
  onClose: () => void;
  presets?: SamplingPreset[];
  onSavePreset?: (name: string, settings: ThreadSettings) => void;
  onDeletePreset?: (name: string) => void;
  /** The picked model's recommended sampling, or null. */
  onModelDefaults?: () => Promise<ThreadSettings | null>;
}) {
  const [draft, setDraft] = useState<ThreadSettings>(settings);
  // The number inputs are uncontrolled (typing "0." must not be rewritten): replacing the
  // whole draft re-creates them with the new values.
  const [version, setVersion] = useState(0);
  const [presetName, setPresetName] = useState("");
  const [picked, setPicked] = useState("");
  const replace = (next: ThreadSettings) => {
    setDraft(withSampling(draft, next));
    setVersion((v) => v + 1);
  };
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
      <fieldset className="flex flex-col gap-2 rounded-md border border-zinc-200 p-2 dark:border-zinc-800">
        <legend className="px-1 text-xs text-zinc-500">Presets</legend>
        {onModelDefaults ? (
          <Button
            variant="secondary"
            data-testid="settings-model-defaults"
            onClick={() => {
              void onModelDefaults().then((defaults) => {
                if (defaults) replace(defaults);
              });
            }}
          >
            Use the model&apos;s defaults
          </Button>
        ) : null}
        {presets.length > 0 ? (
          <div className="flex items-center gap-1">
            <select
              aria-label="Preset"
              data-testid="settings-preset"
              value={picked}
              onChange={(event) => setPicked(event.target.value)}
              className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-1 py-1 dark:border-zinc-700 dark:bg-zinc-900"
            >
              <option value="">Pick a preset</option>
              {presets.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
            <Button
              variant="ghost"
              data-testid="settings-preset-apply"
              disabled={picked === ""}
              onClick={() => {
                const preset = presets.find((p) => p.name === picked);
                if (preset) replace(preset.settings);
              }}
            >
              Apply
            </Button>
            <Button
              variant="ghost"
              data-testid="settings-preset-delete"
              disabled={picked === ""}
              onClick={() => {
                onDeletePreset?.(picked);
                setPicked("");
              }}
            >
              Delete
            </Button>
          </div>
        ) : null}
        {onSavePreset ? (
          <div className="flex items-center gap-1">
            <input
              aria-label="Preset name"
              data-testid="settings-preset-name"
              placeholder="Preset name"
              value={presetName}
              onChange={(event) => setPresetName(event.target.value)}
              className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900"
            />
            <Button
              variant="ghost"
              data-testid="settings-preset-save"
              disabled={presetName.trim() === ""}
              onClick={() => {
                onSavePreset(presetName.trim(), { ...draft, systemPrompt: null });
                setPresetName("");
              }}
            >
              Save
            </Button>
          </div>
        ) : null}
      </fieldset>
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
        <label key={`${field.key}-${version}`} className="flex items-center justify-between gap-2">
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
      <label key={`seed-${version}`} className="flex items-center justify-between gap-2">
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

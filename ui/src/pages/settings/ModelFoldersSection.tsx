import { FolderPlus, X } from "lucide-react";
import { useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui/Button";
import { Section } from "../../components/ui/Section";
import { modelFoldersGet, modelFoldersSet } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";

/**
 * Folders the Chat page's model picker searches for GGUF files and Hugging Face model folders,
 * beside the Hugging Face cache. Saved with the app's settings.
 */
export function ModelFoldersSection() {
  const [folders, setFolders] = useState<string[] | null>(null);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<BackendError | null>(null);

  useEffect(() => {
    let live = true;
    modelFoldersGet().then(
      (saved) => {
        if (live) setFolders(saved);
      },
      (caught: unknown) => {
        if (live) setError(toBackendError(caught));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const save = (next: string[]) => {
    setError(null);
    modelFoldersSet(next).then(
      (saved) => {
        setFolders(saved);
        setDraft("");
      },
      (caught: unknown) => setError(toBackendError(caught)),
    );
  };

  return (
    <Section
      title="Model folders"
      description="Where the Chat page looks for models: GGUF files and Hugging Face folders (config.json with safetensors weights), up to four folders deep. The Hugging Face cache is always searched."
      testId="settings-model-folders"
    >
      {folders && folders.length > 0 ? (
        <ul className="mb-3 flex flex-col gap-1" data-testid="model-folders">
          {folders.map((folder) => (
            <li key={folder} className="flex items-center justify-between gap-2 rounded-md bg-zinc-50 px-2 py-1 font-mono text-xs dark:bg-zinc-900">
              <span className="truncate" title={folder}>
                {folder}
              </span>
              <button
                type="button"
                aria-label={`Remove ${folder}`}
                onClick={() => save(folders.filter((f) => f !== folder))}
                className="rounded p-0.5 hover:bg-zinc-200 dark:hover:bg-zinc-800"
              >
                <X aria-hidden className="size-3.5" />
              </button>
            </li>
          ))}
        </ul>
      ) : folders ? (
        <p className="mb-3 text-sm text-zinc-500">No folders yet.</p>
      ) : null}
      <form
        className="flex items-center gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.trim() === "" || folders === null) return;
          save([...folders, draft.trim()]);
        }}
      >
        <input
          aria-label="Folder path"
          data-testid="model-folder-input"
          placeholder="/home/me/models"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2 py-1 font-mono text-sm dark:border-zinc-700 dark:bg-zinc-900"
        />
        <Button type="submit" variant="secondary" data-testid="model-folder-add" disabled={draft.trim() === "" || folders === null}>
          <FolderPlus aria-hidden className="size-4" />
          Add folder
        </Button>
      </form>
      {error ? (
        <div className="mt-2">
          <ErrorNotice error={error} />
        </div>
      ) : null}
    </Section>
  );
}

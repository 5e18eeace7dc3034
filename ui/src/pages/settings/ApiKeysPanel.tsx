import { KeyRound } from "lucide-react";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Badge } from "../../components/ui/Badge";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS } from "../../components/ui/Field";
import { apiKeyCreate, apiKeyRevoke, apiKeysList } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { ApiKeyInfo, CreatedApiKey } from "../../lib/types";
import { CopyButton } from "./CopyButton";

const EXPIRY_CHOICES = [
  { value: "", label: "Never expires" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
] as const;

/** Unix seconds as a local date and time; "—" for none. */
function formatUnixSeconds(seconds: number | null): string {
  if (seconds === null) return "—";
  return new Date(seconds * 1000).toLocaleString();
}

function keyState(key: ApiKeyInfo, nowSeconds: number): "revoked" | "expired" | "active" {
  if (key.revokedAt !== null) return "revoked";
  if (key.expiresAt !== null && key.expiresAt <= nowSeconds) return "expired";
  return "active";
}

/** The secret of a key just created: shown here once, never again. */
function NewSecret({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <div
      role="status"
      data-testid="api-key-secret"
      className="flex flex-col gap-2 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm dark:border-emerald-500/30 dark:bg-emerald-500/10"
    >
      <p className="font-medium">
        Key “{created.key.name}” created. Copy it now: it is shown only once and Loris Studio keeps only its hash.
      </p>
      <div className="flex items-center gap-2">
        <code data-testid="api-key-secret-value" className="min-w-0 flex-1 select-all break-all rounded bg-white px-2 py-1 font-mono text-xs dark:bg-zinc-950">
          {created.secret}
        </code>
        <CopyButton text={created.secret} label="Copy the API key" testId="api-key-secret-copy" />
      </div>
      <div>
        <Button variant="ghost" onClick={onDone} data-testid="api-key-secret-done">
          Done
        </Button>
      </div>
    </div>
  );
}

/** Keys for the LAN API: create (secret shown once), list by prefix, revoke. */
export function ApiKeysPanel() {
  const [keys, setKeys] = useState<ApiKeyInfo[]>([]);
  // When the list was read, in unix seconds: what "expired" is judged against.
  const [listedAt, setListedAt] = useState(0);
  const [error, setError] = useState<BackendError | null>(null);
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState("");
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(() => {
    apiKeysList().then(
      (list) => {
        setKeys(list);
        setListedAt(Date.now() / 1000);
      },
      (caught: unknown) => setError(toBackendError(caught)),
    );
  }, []);

  useEffect(() => {
    refresh();
  }, [refresh]);

  const create = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    apiKeyCreate(name.trim(), expiry ? Number(expiry) : null).then(
      (key) => {
        setBusy(false);
        setCreated(key);
        setName("");
        refresh();
      },
      (caught: unknown) => {
        setBusy(false);
        setError(toBackendError(caught));
      },
    );
  };

  const revoke = (id: string) => {
    setError(null);
    apiKeyRevoke(id).then(refresh, (caught: unknown) => setError(toBackendError(caught)));
  };

  return (
    <div data-testid="api-keys" className="flex flex-col gap-3">
      <form onSubmit={create} className="flex flex-wrap items-end gap-2">
        <div className="flex min-w-48 flex-1 flex-col gap-1.5">
          <label htmlFor="api-key-name" className="text-sm font-medium">
            New key name
          </label>
          <input
            id="api-key-name"
            data-testid="api-key-name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="laptop, home server…"
            className={CONTROL_CLASS}
          />
        </div>
        <div className="flex flex-col gap-1.5">
          <label htmlFor="api-key-expiry" className="text-sm font-medium">
            Expiry
          </label>
          <select
            id="api-key-expiry"
            data-testid="api-key-expiry"
            value={expiry}
            onChange={(event) => setExpiry(event.target.value)}
            className={CONTROL_CLASS}
          >
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <Button type="submit" disabled={busy || !name.trim()} data-testid="api-key-create">
          <KeyRound aria-hidden className="size-4" />
          Create key
        </Button>
      </form>
      {created ? <NewSecret created={created} onDone={() => setCreated(null)} /> : null}
      {error ? <ErrorNotice error={error} /> : null}
      {keys.length === 0 ? (
        <p className="text-sm text-zinc-500">No API keys yet. LAN access needs at least one.</p>
      ) : (
        <table className="w-full text-left text-sm">
          <thead className="text-xs uppercase tracking-wide text-zinc-500">
            <tr>
              <th scope="col" className="pb-2 pr-3 font-medium">Name</th>
              <th scope="col" className="pb-2 pr-3 font-medium">Key</th>
              <th scope="col" className="pb-2 pr-3 font-medium">Created</th>
              <th scope="col" className="pb-2 pr-3 font-medium">Last used</th>
              <th scope="col" className="pb-2 pr-3 font-medium">Expires</th>
              <th scope="col" className="pb-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const state = keyState(key, listedAt);
              return (
                <tr key={key.id} data-testid="api-key-row" data-key-state={state} className="border-t border-zinc-100 dark:border-zinc-800">
                  <td className="py-2 pr-3 font-medium">{key.name}</td>
                  <td className="py-2 pr-3 font-mono text-xs">{key.prefix}…</td>
                  <td className="py-2 pr-3 text-xs">{formatUnixSeconds(key.createdAt)}</td>
                  <td className="py-2 pr-3 text-xs">{key.lastUsedAt === null ? "Never" : formatUnixSeconds(key.lastUsedAt)}</td>
                  <td className="py-2 pr-3 text-xs">{key.expiresAt === null ? "Never" : formatUnixSeconds(key.expiresAt)}</td>
                  <td className="py-2 text-right">
                    {state === "active" ? (
                      <Button variant="secondary" onClick={() => revoke(key.id)} aria-label={`Revoke ${key.name}`}>
                        Revoke
                      </Button>
                    ) : (
                      <Badge tone={state === "revoked" ? "danger" : "warning"}>
                        {state === "revoked" ? "Revoked" : "Expired"}
                      </Badge>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

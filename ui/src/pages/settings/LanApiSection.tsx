import { RefreshCw } from "lucide-react";
import { useCallback, useEffect, useState, type ReactNode } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Badge } from "../../components/ui/Badge";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS } from "../../components/ui/Field";
import { Section } from "../../components/ui/Section";
import { serverRequests, serverStart, serverStatus, serverStop, SERVER_ERROR_CODES } from "../../lib/backend";
import { toBackendError, type BackendError } from "../../lib/backend-error";
import type { ApiRequestEntry, ServerStartRequest, ServerStatus } from "../../lib/types";
import { ApiExamples } from "./ApiExamples";
import { ApiKeysPanel } from "./ApiKeysPanel";
import { parsePort, splitList } from "./lan-api-form";
import { RequestLogTable } from "./RequestLogTable";

/** How often the request log is re-read while the server runs. */
const REQUEST_LOG_REFRESH_MS = 3000;

type Form = { port: string; lan: boolean; hosts: string; origins: string };

function formFrom(status: ServerStatus): Form {
  return {
    port: String(status.port),
    lan: status.lan,
    hosts: status.allowedHosts.join("\n"),
    origins: status.allowedOrigins.join("\n"),
  };
}

function requestFrom(form: Form, port: number): ServerStartRequest {
  return { port, lan: form.lan, allowedHosts: splitList(form.hosts), allowedOrigins: splitList(form.origins) };
}

function sameSettings(form: Form, status: ServerStatus): boolean {
  const saved = formFrom(status);
  return (
    parsePort(form.port) === status.port &&
    form.lan === saved.lan &&
    splitList(form.hosts).join("\n") === saved.hosts &&
    splitList(form.origins).join("\n") === saved.origins
  );
}

function Switch({
  checked,
  onChange,
  label,
  disabled,
  testId,
}: {
  checked: boolean;
  onChange: (next: boolean) => void;
  label: string;
  disabled?: boolean;
  testId: string;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      disabled={disabled}
      data-testid={testId}
      onClick={() => onChange(!checked)}
      className={`relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors disabled:cursor-not-allowed disabled:opacity-60 ${
        checked ? "bg-indigo-600" : "bg-zinc-300 dark:bg-zinc-700"
      }`}
    >
      <span
        aria-hidden
        className={`inline-block size-5 rounded-full bg-white shadow transition-transform ${checked ? "translate-x-5" : "translate-x-0.5"}`}
      />
    </button>
  );
}

function Row({ title, hint, children }: { title: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="flex items-start justify-between gap-4">
      <div className="min-w-0">
        <p className="text-sm font-medium">{title}</p>
        {hint ? <div className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400">{hint}</div> : null}
      </div>
      {children}
    </div>
  );
}

function ActionError({ error }: { error: BackendError }) {
  if (error.code === SERVER_ERROR_CODES.lanNeedsApiKey) {
    return (
      <div
        role="alert"
        data-testid="lan-needs-key"
        data-error-code={error.code}
        className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-500/30 dark:bg-amber-500/10 dark:text-amber-200"
      >
        LAN access needs an API key: create one under API keys below, then turn LAN access on.
      </div>
    );
  }
  return <ErrorNotice error={error} />;
}

/** The OpenAI- and Anthropic-compatible server: on/off, port, LAN access, keys, log, examples. */
export function LanApiSection() {
  const [status, setStatus] = useState<ServerStatus | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [actionError, setActionError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const [requests, setRequests] = useState<ApiRequestEntry[]>([]);

  const show = useCallback((next: ServerStatus) => {
    setStatus(next);
    setForm(formFrom(next));
  }, []);

  useEffect(() => {
    let live = true;
    serverStatus().then(
      (next) => {
        if (live) show(next);
      },
      (caught: unknown) => {
        if (live) setLoadError(toBackendError(caught));
      },
    );
    return () => {
      live = false;
    };
  }, [show]);

  const running = status?.running ?? false;
  const refreshRequests = useCallback(() => {
    serverRequests().then(setRequests, () => undefined);
  }, []);
  useEffect(() => {
    if (!running) return;
    refreshRequests();
    const timer = window.setInterval(refreshRequests, REQUEST_LOG_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [running, refreshRequests]);

  if (!status || !form) {
    return (
      <Section title="LAN API" description="An OpenAI- and Anthropic-compatible server for your loaded models." testId="settings-lan-api">
        {loadError ? <ErrorNotice error={loadError} /> : <p className="text-sm text-zinc-500">Loading…</p>}
      </Section>
    );
  }

  const port = parsePort(form.port);
  const act = (work: () => Promise<ServerStatus>, onRefused?: () => void) => {
    setBusy(true);
    setActionError(null);
    work().then(
      (next) => {
        setBusy(false);
        show(next);
      },
      (caught: unknown) => {
        setBusy(false);
        setActionError(toBackendError(caught));
        onRefused?.();
      },
    );
  };

  const start = (next: Form, onRefused?: () => void) => {
    const nextPort = parsePort(next.port);
    if (nextPort === null) return;
    act(() => serverStart(requestFrom(next, nextPort)), onRefused);
  };

  const toggleServer = (on: boolean) => {
    if (on) start(form);
    else act(serverStop);
  };

  const toggleLan = (lan: boolean) => {
    const previous = form;
    const next = { ...form, lan };
    setForm(next);
    // A running server restarts with the new setting; a refusal puts the switch back.
    if (running) start(next, () => setForm(previous));
  };

  return (
    <Section
      title="LAN API"
      description="An OpenAI- and Anthropic-compatible server for your loaded models. Off by default."
      aside={
        <Badge tone={running ? "success" : "neutral"}>{running ? `Running on ${status.address ?? status.url}` : "Off"}</Badge>
      }
      testId="settings-lan-api"
    >
      <div className="flex flex-col gap-5">
        <Row
          title="Server"
          hint={running ? <span data-testid="lan-api-url">{status.url}</span> : "Starts again at launch while it is on."}
        >
          <Switch
            checked={running}
            onChange={toggleServer}
            label="LAN API server"
            disabled={busy || (!running && port === null)}
            testId="lan-api-toggle"
          />
        </Row>

        <Row
          title="LAN access"
          hint={
            <>
              Let other machines on your network connect. Requires an API key.
              {status.lanAddresses.length > 0 ? (
                <span data-testid="lan-api-addresses" className="block font-mono">
                  This machine: {status.lanAddresses.join(", ")}
                </span>
              ) : (
                <span className="block">No network address found.</span>
              )}
            </>
          }
        >
          <Switch checked={form.lan} onChange={toggleLan} label="LAN access" disabled={busy} testId="lan-api-lan" />
        </Row>

        <div className="grid gap-3 sm:grid-cols-[8rem_1fr_1fr]">
          <div className="flex flex-col gap-1.5">
            <label htmlFor="lan-api-port" className="text-sm font-medium">
              Port
            </label>
            <input
              id="lan-api-port"
              data-testid="lan-api-port"
              inputMode="numeric"
              value={form.port}
              onChange={(event) => setForm({ ...form, port: event.target.value })}
              aria-invalid={port === null}
              className={CONTROL_CLASS}
            />
            {port === null ? <p className="text-xs text-rose-600">A port from 1 to 65535.</p> : null}
          </div>
          <div className="flex flex-col gap-1.5">
            <label htmlFor="lan-api-hosts" className="text-sm font-medium">
              Allowed host names
            </label>
            <textarea
              id="lan-api-hosts"
              data-testid="lan-api-hosts"
              rows={2}
              value={form.hosts}
              onChange={(event) => setForm({ ...form, hosts: event.target.value })}
              placeholder="studio.local (one per line)"
              className={CONTROL_CLASS}
            />
          </div>
          <div className="flex flex-col gap-1.5">
            <label htmlFor="lan-api-origins" className="text-sm font-medium">
              Allowed browser origins
            </label>
            <textarea
              id="lan-api-origins"
              data-testid="lan-api-origins"
              rows={2}
              value={form.origins}
              onChange={(event) => setForm({ ...form, origins: event.target.value })}
              placeholder="http://localhost:5173 (one per line)"
              className={CONTROL_CLASS}
            />
          </div>
        </div>
        {running && !sameSettings(form, status) ? (
          <div>
            <Button onClick={() => start(form)} disabled={busy || port === null} data-testid="lan-api-apply">
              Restart with these settings
            </Button>
          </div>
        ) : null}
        {actionError ? <ActionError error={actionError} /> : null}
        {status.lastError && !running ? (
          <div data-testid="lan-api-last-error">
            <ErrorNotice error={toBackendError(status.lastError)} />
          </div>
        ) : null}

        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">API keys</h3>
          <ApiKeysPanel />
        </div>

        <div className="flex flex-col gap-2">
          <div className="flex items-center justify-between">
            <h3 className="text-sm font-semibold">Recent requests</h3>
            <Button variant="ghost" onClick={refreshRequests} disabled={!running} aria-label="Refresh the request log">
              <RefreshCw aria-hidden className="size-4" />
            </Button>
          </div>
          {running ? <RequestLogTable entries={requests} /> : <p className="text-sm text-zinc-500">The server is off.</p>}
        </div>

        <div className="flex flex-col gap-2">
          <h3 className="text-sm font-semibold">Examples</h3>
          <ApiExamples url={status.url} />
        </div>
      </div>
    </Section>
  );
}

import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import type * as BackendModule from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import type { ApiKeyInfo, CreatedApiKey, ServerStatus } from "../../lib/types";
import { resetModelsForTests } from "../../stores/models";
import { apiExamples } from "./api-examples";
import { LanApiSection } from "./LanApiSection";
import { parsePort, splitList } from "./lan-api-form";

vi.mock("../../lib/backend", async (importOriginal) => ({
  ...(await importOriginal<typeof BackendModule>()),
  serverStatus: vi.fn(),
  serverStart: vi.fn(),
  serverStop: vi.fn(),
  serverRequests: vi.fn(),
  apiKeysList: vi.fn(),
  apiKeyCreate: vi.fn(),
  apiKeyRevoke: vi.fn(),
}));

const OFF: ServerStatus = {
  running: false,
  address: null,
  port: 8139,
  lan: false,
  url: "http://127.0.0.1:8139",
  allowedHosts: [],
  allowedOrigins: [],
  lanAddresses: ["192.168.1.20"],
  lastError: null,
};

const ON: ServerStatus = { ...OFF, running: true, address: "127.0.0.1:8139" };

const KEY: ApiKeyInfo = {
  id: "k1",
  name: "laptop",
  prefix: "lsk-AbCd1234",
  createdAt: 1_700_000_000,
  lastUsedAt: null,
  expiresAt: null,
  revokedAt: null,
};

const CREATED: CreatedApiKey = { key: KEY, secret: "lsk-AbCd1234-the-whole-secret-shown-once" };

beforeEach(() => {
  vi.clearAllMocks();
  resetModelsForTests();
  vi.mocked(backend.serverStatus).mockResolvedValue(OFF);
  vi.mocked(backend.serverRequests).mockResolvedValue([]);
  vi.mocked(backend.apiKeysList).mockResolvedValue([]);
});

describe("LAN API section", () => {
  it("turns the server on with the form's settings, and off again", async () => {
    vi.mocked(backend.serverStart).mockResolvedValue(ON);
    vi.mocked(backend.serverStop).mockResolvedValue(OFF);
    render(<LanApiSection />);
    const toggle = await screen.findByRole("switch", { name: "LAN API server" });
    expect(toggle).toHaveAttribute("aria-checked", "false");
    expect(screen.getByTestId("lan-api-addresses")).toHaveTextContent("192.168.1.20");

    fireEvent.change(screen.getByTestId("lan-api-hosts"), { target: { value: " studio.local \n\n" } });
    fireEvent.click(toggle);
    expect(backend.serverStart).toHaveBeenCalledWith({
      port: 8139,
      lan: false,
      allowedHosts: ["studio.local"],
      allowedOrigins: [],
    });
    expect(await screen.findByTestId("lan-api-url")).toHaveTextContent("http://127.0.0.1:8139");
    expect(toggle).toHaveAttribute("aria-checked", "true");
    // The request log is polled from an effect that runs after the render the URL appeared in.
    await waitFor(() => expect(backend.serverRequests).toHaveBeenCalled());

    fireEvent.click(toggle);
    expect(backend.serverStop).toHaveBeenCalledTimes(1);
    await act(() => Promise.resolve());
    expect(toggle).toHaveAttribute("aria-checked", "false");
  });

  it("says LAN access needs a key when it is refused, and puts the switch back", async () => {
    vi.mocked(backend.serverStatus).mockResolvedValue(ON);
    vi.mocked(backend.serverStart).mockRejectedValue(
      new BackendError("lan_needs_api_key", "LAN access needs an API key: create one first"),
    );
    render(<LanApiSection />);
    const lan = await screen.findByRole("switch", { name: "LAN access" });
    fireEvent.click(lan);
    expect(backend.serverStart).toHaveBeenCalledWith(expect.objectContaining({ lan: true }));
    expect(await screen.findByTestId("lan-needs-key")).toHaveTextContent("create one under API keys");
    expect(lan).toHaveAttribute("aria-checked", "false");
  });

  it("shows a new key's secret once, with a copy button, then only its prefix", async () => {
    vi.mocked(backend.apiKeyCreate).mockResolvedValue(CREATED);
    render(<LanApiSection />);
    expect(await screen.findByText(/No API keys yet/)).toBeInTheDocument();

    vi.mocked(backend.apiKeysList).mockResolvedValue([KEY]);
    fireEvent.change(screen.getByTestId("api-key-name"), { target: { value: " laptop " } });
    fireEvent.change(screen.getByTestId("api-key-expiry"), { target: { value: "90" } });
    fireEvent.click(screen.getByTestId("api-key-create"));
    expect(backend.apiKeyCreate).toHaveBeenCalledWith("laptop", 90);
    expect(await screen.findByTestId("api-key-secret-value")).toHaveTextContent(CREATED.secret);
    expect(screen.getByRole("button", { name: "Copy the API key" })).toBeInTheDocument();
    const row = await screen.findByTestId("api-key-row");
    expect(row).toHaveTextContent("lsk-AbCd1234");
    expect(row).toHaveTextContent("Never");

    fireEvent.click(screen.getByTestId("api-key-secret-done"));
    expect(screen.queryByTestId("api-key-secret")).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(CREATED.secret);
  });

  it("revokes a key", async () => {
    vi.mocked(backend.apiKeysList).mockResolvedValue([KEY]);
    vi.mocked(backend.apiKeyRevoke).mockResolvedValue(null);
    render(<LanApiSection />);
    const revoke = await screen.findByRole("button", { name: "Revoke laptop" });
    vi.mocked(backend.apiKeysList).mockResolvedValue([{ ...KEY, revokedAt: 1_700_000_100 }]);
    fireEvent.click(revoke);
    expect(backend.apiKeyRevoke).toHaveBeenCalledWith("k1");
    const row = await screen.findByTestId("api-key-row");
    expect(await within(row).findByText("Revoked")).toBeInTheDocument();
    expect(row).toHaveAttribute("data-key-state", "revoked");
  });

  it("shows the request log while the server runs", async () => {
    vi.mocked(backend.serverStatus).mockResolvedValue(ON);
    vi.mocked(backend.serverRequests).mockResolvedValue([
      {
        id: 2,
        atMs: 1_700_000_000_000,
        method: "POST",
        path: "/v1/chat/completions",
        status: 200,
        promptTokens: 12,
        completionTokens: 7,
        durationMs: 412.4,
        done: true,
      },
    ]);
    render(<LanApiSection />);
    const row = await screen.findByTestId("lan-api-request");
    expect(row).toHaveTextContent("POST /v1/chat/completions");
    expect(row).toHaveTextContent("12 → 7");
    expect(row).toHaveTextContent("412 ms");
  });

  it("gives copyable examples with the current address", async () => {
    vi.mocked(backend.serverStatus).mockResolvedValue({ ...ON, lan: true, url: "http://192.168.1.20:9000" });
    render(<LanApiSection />);
    const curl = await screen.findByTestId("lan-api-example-curl");
    expect(curl).toHaveTextContent("curl http://192.168.1.20:9000/v1/chat/completions");
    expect(curl).toHaveTextContent("Authorization: Bearer YOUR_API_KEY");
    expect(screen.getByTestId("lan-api-example-openai")).toHaveTextContent('base_url="http://192.168.1.20:9000/v1"');
    expect(screen.getByTestId("lan-api-example-anthropic")).toHaveTextContent('base_url="http://192.168.1.20:9000"');
    expect(screen.getByRole("button", { name: "Copy the curl example" })).toBeInTheDocument();
  });
});

describe("LAN API helpers", () => {
  it("reads ports and lists", () => {
    expect(parsePort("8139")).toBe(8139);
    expect(parsePort("0")).toBeNull();
    expect(parsePort("70000")).toBeNull();
    expect(parsePort("81a")).toBeNull();
    expect(splitList("a.local, b.local\n\n a.local ")).toEqual(["a.local", "b.local", "a.local"]);
  });

  it("names the loaded model in the examples, or a placeholder", () => {
    const [curl, openai] = apiExamples("http://127.0.0.1:8139", "smol");
    expect(curl?.code).toContain('"model":"smol"');
    expect(openai?.code).toContain('model="smol"');
    expect(apiExamples("http://127.0.0.1:8139", null)[2]?.code).toContain('model="MODEL_ID"');
  });
});

import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
import { ModelFoldersSection } from "./ModelFoldersSection";

vi.mock("../../lib/backend", () => ({
  modelFoldersGet: vi.fn(),
  modelFoldersSet: vi.fn(),
}));

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(backend.modelFoldersGet).mockResolvedValue(["/models"]);
});

describe("model folders", () => {
  it("adds and removes folders through the backend", async () => {
    render(<ModelFoldersSection />);
    expect(await screen.findByText("/models")).toBeInTheDocument();
    vi.mocked(backend.modelFoldersSet).mockResolvedValue(["/models", "/data/gguf"]);
    fireEvent.change(screen.getByTestId("model-folder-input"), { target: { value: " /data/gguf " } });
    fireEvent.click(screen.getByTestId("model-folder-add"));
    await waitFor(() => expect(backend.modelFoldersSet).toHaveBeenCalledWith(["/models", "/data/gguf"]));
    expect(await screen.findByText("/data/gguf")).toBeInTheDocument();

    vi.mocked(backend.modelFoldersSet).mockResolvedValue(["/data/gguf"]);
    fireEvent.click(screen.getByRole("button", { name: "Remove /models" }));
    await waitFor(() => expect(backend.modelFoldersSet).toHaveBeenLastCalledWith(["/data/gguf"]));
    await waitFor(() => expect(screen.queryByText("/models")).not.toBeInTheDocument());
  });

  it("shows the backend's refusal", async () => {
    render(<ModelFoldersSection />);
    await screen.findByText("/models");
    vi.mocked(backend.modelFoldersSet).mockRejectedValue(new BackendError("invalid_input", "'models' is not a full path"));
    fireEvent.change(screen.getByTestId("model-folder-input"), { target: { value: "models" } });
    fireEvent.click(screen.getByTestId("model-folder-add"));
    expect(await screen.findByText(/not a full path/)).toBeInTheDocument();
  });
});

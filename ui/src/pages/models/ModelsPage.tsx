import { FolderPlus } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { PageHeader } from "../../components/ui/PageHeader";
import { Section } from "../../components/ui/Section";
import { useEffect } from "react";
import { watchModels } from "../../stores/models";
import { useCheckedModelsStore } from "./checked-models";
import { CheckModelForm } from "./CheckModelForm";
import { LoadedModels } from "./LoadedModels";
import { LoadModelForm } from "./LoadModelForm";
import { LocalModelsTable } from "./LocalModelsTable";
import { StarterModelButton } from "./StarterModelButton";

function AddFolderButton() {
  return (
    <div className="flex flex-col items-end gap-1">
      <Button disabled aria-describedby="add-folder-hint" data-testid="add-folder">
        <FolderPlus aria-hidden className="size-4" />
        Add folder
      </Button>
      <p id="add-folder-hint" className="text-xs text-zinc-500 dark:text-zinc-400">
        Folder scanning isn&apos;t available in this build yet.
      </p>
    </div>
  );
}

export function ModelsPage() {
  const models = useCheckedModelsStore((s) => s.models);
  const remove = useCheckedModelsStore((s) => s.remove);
  // Keeps the loaded list and the load progress current while the page is open.
  useEffect(() => watchModels(), []);
  return (
    <div data-testid="page-models">
      <PageHeader
        title="Models"
        description="Models on this computer that Loris Studio can chat with and fine-tune."
        actions={<AddFolderButton />}
      />
      <div className="space-y-6 px-8 py-6">
        <Section
          title="Loaded models"
          description="Models in memory, ready for chat and the LAN API."
          testId="models-loaded-section"
        >
          <div className="flex flex-col gap-5">
            <LoadedModels />
            <StarterModelButton />
            <LoadModelForm />
          </div>
        </Section>
        <Section title="Local models" description="Scanned from the folders you add. Nothing is uploaded.">
          <LocalModelsTable models={models} onRemove={remove} />
          <CheckModelForm />
        </Section>
      </div>
    </div>
  );
}

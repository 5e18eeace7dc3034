import { FileUp, Plus, Workflow } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { EmptyState } from "../../components/ui/EmptyState";
import { PageHeader } from "../../components/ui/PageHeader";
import { Section } from "../../components/ui/Section";

export function RecipesPage() {
  return (
    <div data-testid="page-recipes">
      <PageHeader
        title="Recipes"
        description="Data recipes build training datasets visually: sources, generation and filter steps, then outputs."
        actions={
          <>
            <Button variant="secondary" disabled title="Not available in this build yet">
              <FileUp aria-hidden className="size-4" />
              Import JSON
            </Button>
            <Button disabled title="Not available in this build yet">
              <Plus aria-hidden className="size-4" />
              New recipe
            </Button>
          </>
        }
      />
      <div className="px-8 py-6">
        <Section title="Your recipes">
          <EmptyState icon={Workflow} title="No recipes yet" testId="recipes-empty">
            Create a recipe to turn seed data into a dataset for the Train page, or import one from Unsloth Studio:
            its recipe JSON works unchanged. The recipe editor is not available in this build yet.
          </EmptyState>
        </Section>
      </div>
    </div>
  );
}

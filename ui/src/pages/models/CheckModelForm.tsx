import { Search } from "lucide-react";
import { useState, type FormEvent } from "react";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS } from "../../components/ui/Field";
import { modelFromPath, useCheckedModelsStore } from "./checked-models";

/** Adds one model by its path, to see whether it fits before folder scanning lists it. */
export function CheckModelForm() {
  const add = useCheckedModelsStore((s) => s.add);
  const [path, setPath] = useState("");

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const model = modelFromPath(path);
    if (!model) return;
    add(model);
    setPath("");
  };

  return (
    <form data-testid="check-model-form" onSubmit={submit} className="mt-4 flex items-end gap-2">
      <div className="flex min-w-0 flex-1 flex-col gap-1.5">
        <label htmlFor="check-model-path" className="text-sm font-medium">
          Check a model
        </label>
        <input
          id="check-model-path"
          data-testid="check-model-path"
          value={path}
          onChange={(event) => setPath(event.target.value)}
          placeholder="/path/to/model.gguf, a model folder or its config.json"
          className={CONTROL_CLASS}
        />
      </div>
      <Button type="submit" disabled={!path.trim()} data-testid="check-model-submit">
        <Search aria-hidden className="size-4" />
        Check fit
      </Button>
    </form>
  );
}

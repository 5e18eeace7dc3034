import { Play } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { CONTROL_CLASS, Field } from "../../components/ui/Field";
import { HyperparameterFields } from "./HyperparameterFields";
import { MethodPicker } from "./MethodPicker";

/** The training setup. Rendered disabled: the engine is not part of this build. */
export function TrainForm() {
  return (
    <form data-testid="train-form" onSubmit={(event) => event.preventDefault()}>
      <fieldset disabled className="space-y-6">
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
          <Field id="train-model" label="Base model" hint="Models come from the Models page.">
            <select id="train-model" className={CONTROL_CLASS} defaultValue="">
              <option value="">No local models</option>
            </select>
          </Field>
          <Field id="train-dataset" label="Dataset" hint="JSONL or Parquet, or the output of a data recipe.">
            <select id="train-dataset" className={CONTROL_CLASS} defaultValue="">
              <option value="">No datasets</option>
            </select>
          </Field>
        </div>
        <MethodPicker value="lora" />
        <HyperparameterFields />
        <div className="flex justify-end">
          <Button type="submit">
            <Play aria-hidden className="size-4" />
            Start training
          </Button>
        </div>
      </fieldset>
    </form>
  );
}

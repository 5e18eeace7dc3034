import { useEffect } from "react";
import { useModelsStore, watchModels } from "../../stores/models";
import { apiExamples } from "./api-examples";
import { CopyButton } from "./CopyButton";

/** curl, OpenAI and Anthropic examples for the server's current address. */
export function ApiExamples({ url }: { url: string }) {
  // The examples name a loaded model, so they follow loads and unloads.
  useEffect(() => watchModels(), []);
  const model = useModelsStore((s) => s.loaded[0]?.id ?? null);
  return (
    <div data-testid="lan-api-examples" className="flex flex-col gap-3">
      {apiExamples(url, model).map((example) => (
        <div key={example.id} data-testid={`lan-api-example-${example.id}`} className="flex flex-col gap-1">
          <div className="flex items-center justify-between gap-2">
            <h4 className="text-xs font-semibold uppercase tracking-wide text-zinc-500">{example.title}</h4>
            <CopyButton text={example.code} label={`Copy the ${example.title} example`} />
          </div>
          <pre className="overflow-x-auto rounded-md bg-zinc-950 p-3 font-mono text-xs text-zinc-100">
            <code>{example.code}</code>
          </pre>
        </div>
      ))}
    </div>
  );
}

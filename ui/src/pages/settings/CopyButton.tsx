import { Check, Copy } from "lucide-react";
import { useState } from "react";
import { Button } from "../../components/ui/Button";

/** Copies `text` to the clipboard and says so; a refused clipboard says that instead. */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = () => {
    const clipboard = typeof navigator !== "undefined" ? navigator.clipboard : undefined;
    if (!clipboard) {
      setState("failed");
      return;
    }
    clipboard.writeText(text).then(
      () => setState("copied"),
      () => setState("failed"),
    );
  };
  return (
    <Button variant="secondary" onClick={copy} aria-label={label} data-testid={testId} className="shrink-0">
      {state === "copied" ? <Check aria-hidden className="size-4" /> : <Copy aria-hidden className="size-4" />}
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select and copy" : "Copy"}
    </Button>
  );
}

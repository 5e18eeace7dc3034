import { FlaskConical } from "lucide-react";
import { backendMode } from "../lib/backend";
import { Badge } from "./ui/Badge";

/** Marks values that come from the built-in demo data rather than the desktop backend. */
export function DemoBadge() {
  if (backendMode() !== "demo") return null;
  return (
    <Badge tone="warning" title="Running outside the Loris Studio desktop app: these values are sample data.">
      <FlaskConical aria-hidden className="size-3" />
      Demo data
    </Badge>
  );
}

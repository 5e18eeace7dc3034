import { Boxes, FlaskConical, MessageSquare, Settings, Workflow, type LucideIcon } from "lucide-react";

export type NavItem = {
  /** Used in `data-testid="nav-<page>"` and `data-testid="page-<page>"`. */
  page: "chat" | "models" | "train" | "recipes" | "settings";
  to: "/chat" | "/models" | "/train" | "/recipes" | "/settings";
  label: string;
  icon: LucideIcon;
};

export const NAV_ITEMS: readonly NavItem[] = [
  { page: "chat", to: "/chat", label: "Chat", icon: MessageSquare },
  { page: "models", to: "/models", label: "Models", icon: Boxes },
  { page: "train", to: "/train", label: "Train", icon: FlaskConical },
  { page: "recipes", to: "/recipes", label: "Recipes", icon: Workflow },
  { page: "settings", to: "/settings", label: "Settings", icon: Settings },
];

import { Link } from "@tanstack/react-router";
import { Compass } from "lucide-react";
import { EmptyState } from "../components/ui/EmptyState";

export function NotFoundPage() {
  return (
    <div data-testid="page-not-found" className="flex h-full items-center justify-center">
      <EmptyState
        icon={Compass}
        title="This page doesn't exist"
        action={
          <Link to="/chat" className="text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">
            Go to Chat
          </Link>
        }
      >
        The address may be from an older version of Loris Studio.
      </EmptyState>
    </div>
  );
}

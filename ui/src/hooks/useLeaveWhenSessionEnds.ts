import { useNavigate } from "@tanstack/react-router";
import { useEffect, useEffectEvent } from "react";
import { safeReturnPath } from "../lib/return-path";
import { useDraftsStore } from "../stores/drafts";
import { useSessionStore } from "../stores/session";

/**
 * Sends the user to the login page as soon as the session is gone. When it ended because it
 * could not be renewed (not a sign-out), `returnTo` is kept, in the URL and in the drafts store,
 * so signing in again comes back to the same place; the drafts themselves are never cleared.
 */
export function useLeaveWhenSessionEnds(returnTo: string | null) {
  const signedIn = useSessionStore((s) => s.session !== null);
  const navigate = useNavigate();

  // Reads the latest `returnTo` without re-running the effect when it changes: the navigation
  // below changes the location, and the path to keep is the one from before it.
  const leave = useEffectEvent(() => {
    const expired = useSessionStore.getState().endedReason === "expired";
    const back = expired ? safeReturnPath(returnTo) : null;
    useDraftsStore.getState().setReturnTo(back);
    void navigate({ to: "/login", search: back ? { redirect: back } : {}, replace: true });
  });

  useEffect(() => {
    if (!signedIn) leave();
  }, [signedIn]);
}

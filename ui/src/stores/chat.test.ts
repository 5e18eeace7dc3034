import { describe, expect, it } from "vitest";
import type { ChatBranch, Message } from "../lib/types";
import { applyChatEvent, streamingReplyId, type LiveReply } from "./chat";

const REPLY: Message = {
  id: "a1",
  threadId: "t1",
  parentId: null,
  role: "assistant",
  content: "",
  reasoning: "",
  toolCalls: null,
  sampling: null,
  usage: null,
  timings: null,
  status: "streaming",
  error: null,
  createdAt: 1,
};

const BRANCH = {
  thread: { id: "t1" },
  messages: [{ message: REPLY, siblingIds: ["a1"], siblingIndex: 0 }],
} as unknown as ChatBranch;

describe("reply events", () => {
  it("accumulate deltas, then the stored reply replaces them", () => {
    let state: { branch: ChatBranch | null; live: Record<string, LiveReply> } = { branch: BRANCH, live: {} };
    state = { ...state, ...applyChatEvent({ ...state } as never, { type: "delta", threadId: "t1", messageId: "a1", content: "Pa", reasoning: "hm" }) };
    state = { ...state, ...applyChatEvent({ ...state } as never, { type: "delta", threadId: "t1", messageId: "a1", content: "ris", reasoning: "" }) };
    expect(state.live).toEqual({ a1: { threadId: "t1", content: "Paris", reasoning: "hm" } });
    expect(streamingReplyId(state)).toBe("a1");

    const done = { ...REPLY, content: "Paris", status: "complete" as const };
    state = { ...state, ...applyChatEvent({ ...state } as never, { type: "done", threadId: "t1", messageId: "a1", message: done }) };
    expect(state.live).toEqual({});
    expect(state.branch?.messages[0]?.message.content).toBe("Paris");
    expect(streamingReplyId(state)).toBeNull();
  });
});

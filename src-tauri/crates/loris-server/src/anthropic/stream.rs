//! A streamed `/v1/messages` reply, in the event order Anthropic's SDKs expect:
//! `message_start`, `ping`, then per content block `content_block_start`,
//! `content_block_delta`…, `content_block_stop`, then `message_delta` (stop reason, usage) and
//! `message_stop`. Thinking and text blocks open as their first delta arrives; with tools
//! offered, the text is held to the end, where it may turn out to be tool calls.

use axum::response::Response;
use loris_infer::GenerationEvent;
use serde_json::{Value as Json, json};

use super::convert::tool_use_block;
use super::messages::usage;
use crate::error::Flavor;
use crate::generation::{self, Running, new_id};
use crate::request_log::LogTicket;
use crate::sse::{self, Events};

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Thinking,
    Text,
}

/// The content blocks sent so far.
struct Blocks {
    tx: Events,
    /// Index of the next block.
    next: usize,
    open: Option<BlockKind>,
}

impl Blocks {
    async fn send(&self, name: &str, value: Json) -> bool {
        self.tx.send(sse::named(name, &value)).await.is_ok()
    }

    async fn close(&mut self) -> bool {
        if self.open.take().is_none() {
            return true;
        }
        let index = self.next - 1;
        self.send(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        )
        .await
    }

    async fn start(&mut self, block: Json) -> bool {
        let index = self.next;
        self.next += 1;
        self.send(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": block}),
        )
        .await
    }

    /// Appends to a thinking or text block, opening one when another kind is open.
    async fn delta(&mut self, kind: BlockKind, piece: &str) -> bool {
        if self.open != Some(kind) {
            if !self.close().await {
                return false;
            }
            let block = match kind {
                BlockKind::Thinking => json!({"type": "thinking", "thinking": "", "signature": ""}),
                BlockKind::Text => json!({"type": "text", "text": ""}),
            };
            if !self.start(block).await {
                return false;
            }
            self.open = Some(kind);
        }
        let delta = match kind {
            BlockKind::Thinking => json!({"type": "thinking_delta", "thinking": piece}),
            BlockKind::Text => json!({"type": "text_delta", "text": piece}),
        };
        let index = self.next - 1;
        self.send(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        )
        .await
    }
}

pub(crate) fn respond(ticket: Option<LogTicket>, running: Running, model: String) -> Response {
    let log = ticket.clone();
    sse::respond(ticket, move |tx| async move {
        let mut running = running;
        let mut blocks = Blocks {
            tx,
            next: 0,
            open: None,
        };
        let start = json!({
            "type": "message_start",
            "message": {
                "id": new_id("msg_"),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage(running.prompt_tokens, 0),
            },
        });
        if !blocks.send("message_start", start).await
            || !blocks.send("ping", json!({"type": "ping"})).await
        {
            return;
        }
        while let Some(event) = running.handle.events.recv().await {
            match event {
                GenerationEvent::Delta { content, reasoning } => {
                    if !reasoning.is_empty() && !blocks.delta(BlockKind::Thinking, &reasoning).await
                    {
                        return;
                    }
                    if !content.is_empty()
                        && !running.parse_tools
                        && !blocks.delta(BlockKind::Text, &content).await
                    {
                        return;
                    }
                }
                GenerationEvent::Done(output) => {
                    if let Some(log) = &log {
                        log.tokens(output.usage.prompt_tokens, output.usage.completion_tokens);
                    }
                    let (text, calls) = generation::split_tools(&running, &output.text);
                    if running.parse_tools
                        && !text.is_empty()
                        && !blocks.delta(BlockKind::Text, &text).await
                    {
                        return;
                    }
                    // A reply with no content at all still has its (empty) text block.
                    if blocks.next == 0
                        && calls.is_empty()
                        && !blocks.delta(BlockKind::Text, "").await
                    {
                        return;
                    }
                    if !blocks.close().await {
                        return;
                    }
                    for call in &calls {
                        let mut block = tool_use_block(call);
                        let input = block["input"].take();
                        block["input"] = json!({});
                        let index = blocks.next;
                        if !blocks.start(block).await
                            || !blocks
                                .send(
                                    "content_block_delta",
                                    json!({
                                        "type": "content_block_delta",
                                        "index": index,
                                        "delta": {"type": "input_json_delta", "partial_json": input.to_string()},
                                    }),
                                )
                                .await
                            || !blocks
                                .send(
                                    "content_block_stop",
                                    json!({"type": "content_block_stop", "index": index}),
                                )
                                .await
                        {
                            return;
                        }
                    }
                    let stop = generation::stop_of(&output, !calls.is_empty());
                    let delta = json!({
                        "type": "message_delta",
                        "delta": {"stop_reason": stop.anthropic(), "stop_sequence": stop.sequence()},
                        "usage": {"output_tokens": output.usage.completion_tokens},
                    });
                    if blocks.send("message_delta", delta).await {
                        let _ = blocks
                            .send("message_stop", json!({"type": "message_stop"}))
                            .await;
                    }
                    return;
                }
                GenerationEvent::Error { code, message } => {
                    let err = generation::generation_error(code, message);
                    let _ = blocks.send("error", err.body(Flavor::Anthropic)).await;
                    return;
                }
            }
        }
    })
}

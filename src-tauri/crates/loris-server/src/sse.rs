//! Server-sent event responses: a task turns engine events into SSE events and sends them to
//! the response body through a channel. When the client goes away the channel closes, the task
//! returns and drops the engine's handle, which cancels the generation.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::request_log::LogTicket;

/// Events buffered between the generating task and a slow client.
const BUFFER: usize = 64;
/// A comment line this often keeps proxies and clients from timing out during a long prefill
/// or a wait in the queue (SSE parsers ignore comments).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub(crate) type Events = mpsc::Sender<Event>;

/// A streaming response fed by `produce`. The log entry is final when `produce` returns.
pub(crate) fn respond<F, Fut>(ticket: Option<LogTicket>, produce: F) -> Response
where
    F: FnOnce(Events) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(BUFFER);
    if let Some(ticket) = &ticket {
        ticket.streaming();
    }
    let work = produce(tx);
    tokio::spawn(async move {
        work.await;
        if let Some(ticket) = ticket {
            ticket.stream_done();
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// `data: <json>` (OpenAI).
pub(crate) fn data(value: &serde_json::Value) -> Event {
    Event::default().data(value.to_string())
}

/// `event: <type>` + `data: <json>` (Anthropic).
pub(crate) fn named(name: &str, value: &serde_json::Value) -> Event {
    Event::default().event(name).data(value.to_string())
}

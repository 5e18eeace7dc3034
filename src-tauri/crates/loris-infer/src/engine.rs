//! One engine thread per loaded model, fed by a request queue (the llama-server pattern): the
//! thread owns the weights and the KV cache; callers send token ids and settings and get
//! events back on a channel. Requests run one after another.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use loris_models::TextAssets;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::error::{InferError, Result};
use crate::generate::{GenerateRequest, GenerationEvent, GenerationOutput, generate};
use crate::loader::{LoadedModel, ModelInfo};
use crate::text_stream::Split;

#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// CPU threads for the tensor kernels; `None` uses the global pool (all cores, or
    /// `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
}

struct Job {
    request: GenerateRequest,
    events: UnboundedSender<GenerationEvent>,
    cancel: CancellationToken,
}

pub struct Engine {
    queue: Option<mpsc::Sender<Job>>,
    shutdown: CancellationToken,
    thread: Option<JoinHandle<()>>,
    assets: Arc<TextAssets>,
    info: Arc<ModelInfo>,
}

/// A submitted request: its event stream (deltas, then `Done` or `Error`) and its cancel
/// switch. Dropping the receiver also cancels it.
pub struct RequestHandle {
    pub events: UnboundedReceiver<GenerationEvent>,
    pub cancel: CancellationToken,
}

impl RequestHandle {
    /// Blocks until the request ends, passing each delta to `on_delta`. Not for use inside an
    /// async runtime (use `events.recv().await` there).
    pub fn wait(mut self, mut on_delta: impl FnMut(&Split)) -> Result<GenerationOutput> {
        while let Some(event) = self.events.blocking_recv() {
            match event {
                GenerationEvent::Delta { content, reasoning } => {
                    on_delta(&Split { content, reasoning })
                }
                GenerationEvent::Done(output) => return Ok(output),
                GenerationEvent::Error { code, message } => {
                    return Err(InferError::Generation { code, message });
                }
            }
        }
        Err(InferError::EngineStopped)
    }
}

impl Engine {
    pub fn start(loaded: LoadedModel, options: EngineOptions) -> Result<Self> {
        let LoadedModel {
            mut model,
            assets,
            info,
        } = loaded;
        let assets = Arc::new(assets);
        let pool = match options.threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .thread_name(|i| format!("loris-engine-worker-{i}"))
                    .build()
                    .map_err(|e| {
                        InferError::InvalidRequest(format!("cannot start {n} threads: {e}"))
                    })?,
            ),
            None => None,
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let thread_assets = Arc::clone(&assets);
        let shutdown = CancellationToken::new();
        let thread = std::thread::Builder::new()
            .name("loris-engine".into())
            .spawn(move || {
                let serve = || {
                    for job in rx {
                        run_job(model.as_mut(), &thread_assets, job);
                    }
                };
                // Tensor kernels use the current rayon pool: the dedicated one when asked.
                match pool {
                    Some(pool) => pool.install(serve),
                    None => serve(),
                }
            })
            .map_err(|e| {
                InferError::InvalidRequest(format!("cannot start the engine thread: {e}"))
            })?;
        Ok(Engine {
            queue: Some(tx),
            shutdown,
            thread: Some(thread),
            assets,
            info: Arc::new(info),
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The tokenizer and chat template, for the edges (rendering and tokenizing prompts).
    pub fn assets(&self) -> &TextAssets {
        &self.assets
    }

    /// Queues a request. Requests that can never run (no prompt, no room in the context) are
    /// refused here, with their own error codes.
    pub fn submit(&self, request: GenerateRequest) -> Result<RequestHandle> {
        if request.prompt_tokens.is_empty() {
            return Err(InferError::InvalidRequest(
                "the prompt has no tokens".into(),
            ));
        }
        let context = self.info.context_length;
        if request.prompt_tokens.len() >= context {
            return Err(InferError::ContextLengthExceeded {
                prompt: request.prompt_tokens.len(),
                context,
            });
        }
        let (events, rx) = unbounded_channel();
        let cancel = self.shutdown.child_token();
        let job = Job {
            request,
            events,
            cancel: cancel.clone(),
        };
        self.queue
            .as_ref()
            .ok_or(InferError::EngineStopped)?
            .send(job)
            .map_err(|_| InferError::EngineStopped)?;
        Ok(RequestHandle { events: rx, cancel })
    }
}

impl Drop for Engine {
    /// Cancels what is running, lets the thread drain the queue and joins it.
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run_job(model: &mut dyn crate::models::CausalLm, assets: &TextAssets, job: Job) {
    let Job {
        request,
        events,
        cancel,
    } = job;
    let _span =
        tracing::info_span!("generate", prompt_tokens = request.prompt_tokens.len()).entered();
    let mut on_delta = |piece: &Split| {
        events
            .send(GenerationEvent::Delta {
                content: piece.content.clone(),
                reasoning: piece.reasoning.clone(),
            })
            .is_ok()
    };
    let result = generate(
        model,
        &assets.tokenizer,
        &assets.eos_token_ids,
        &request,
        &cancel,
        &mut on_delta,
    );
    let event = match result {
        Ok(output) => {
            tracing::info!(
                completion_tokens = output.usage.completion_tokens,
                finish = ?output.finish_reason,
                tokens_per_s = output.timings.decode_tokens_per_s,
                "generation finished"
            );
            GenerationEvent::Done(output)
        }
        Err(e) => {
            tracing::warn!(code = e.code(), "generation failed: {e}");
            GenerationEvent::Error {
                code: e.code().to_owned(),
                message: e.to_string(),
            }
        }
    };
    let _ = events.send(event);
}

//! One engine thread per loaded model, fed by a request queue (the llama-server pattern): the
//! thread owns the weights and the KV cache; callers send token ids and settings and get
//! events back on a channel. Requests run one after another.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use loris_models::TextAssets;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::error::{InferError, Result};
use crate::generate::{
    GenerateRequest, GenerationEvent, GenerationOutput, PromptCache, generate_cached,
};
use crate::loader::{LoadedModel, ModelInfo};
use crate::text_stream::Split;

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// CPU threads for the tensor kernels; `None` uses the global pool (all cores, or
    /// `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
    /// Requests waiting or running at once; one more is refused with `queue_full` at once
    /// rather than left to wait without bound.
    pub max_queue: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            threads: None,
            max_queue: DEFAULT_MAX_QUEUE,
        }
    }
}

/// Default bound of [`EngineOptions::max_queue`].
pub const DEFAULT_MAX_QUEUE: usize = 64;

struct Job {
    /// Released when the job ends (also if it is dropped unrun at shutdown).
    _slot: QueueSlot,
    request: GenerateRequest,
    events: UnboundedSender<GenerationEvent>,
    cancel: CancellationToken,
}

/// One place in the bounded queue, given back when dropped.
struct QueueSlot(Arc<AtomicUsize>);

impl Drop for QueueSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct Engine {
    queue: Option<mpsc::Sender<Job>>,
    /// Requests submitted and not yet finished.
    pending: Arc<AtomicUsize>,
    max_queue: usize,
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
                    // What the model's KV cache holds, so the next request can reuse it.
                    let mut cache = PromptCache::default();
                    for job in rx {
                        run_job(model.as_mut(), &mut cache, &thread_assets, job);
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
            pending: Arc::new(AtomicUsize::new(0)),
            max_queue: options.max_queue.max(1),
            shutdown,
            thread: Some(thread),
            assets,
            info: Arc::new(info),
        })
    }

    /// Requests queued or running.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
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
        let taken = self
            .pending
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max_queue).then_some(n + 1)
            });
        if taken.is_err() {
            return Err(InferError::QueueFull(self.max_queue));
        }
        let slot = QueueSlot(Arc::clone(&self.pending));
        let (events, rx) = unbounded_channel();
        let cancel = self.shutdown.child_token();
        let job = Job {
            _slot: slot,
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

fn run_job(
    model: &mut dyn crate::models::CausalLm,
    cache: &mut PromptCache,
    assets: &TextAssets,
    job: Job,
) {
    let Job {
        _slot,
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
    let result = generate_cached(
        model,
        cache,
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
                cached_tokens = output.usage.cached_tokens,
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

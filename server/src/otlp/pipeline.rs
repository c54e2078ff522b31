//! Spans on their way to the collector: a queue bounded in spans and bytes,
//! batches, retries with backoff. Nothing here waits on the proxy or makes it
//! wait: a span that does not fit is dropped and counted, never blocked on,
//! and the log keeps the call whatever happens to its span.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::Value;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use shared::api::ExportHealth;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The queue's bounds: past either, new spans are dropped. The bytes bound
/// matters with `--otlp-content`, where one span holds a whole conversation.
pub const MAX_QUEUED_SPANS: usize = 8192;
pub const MAX_QUEUED_BYTES: usize = 64 << 20;
/// A batch: what one export request carries at most.
const MAX_BATCH_SPANS: usize = 512;
const MAX_BATCH_BYTES: usize = 4 << 20;
/// How long a batch waits for more spans once it has one.
const BATCH_DELAY: Duration = Duration::from_millis(500);
/// Tries per batch (each after the exporter's own quick retries), waiting
/// 1, 2, 4, 8, 16 s between them: a collector down for longer than that
/// costs the batch, and the queue behind it fills up to its bounds.
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// Counts for `/metrics`, the health banner and the export command.
#[derive(Debug, Default)]
pub struct ExportStats {
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub queued: AtomicU64,
}

/// Told of every change in the export's health (the banner's feed).
pub type OnHealth = Box<dyn Fn(&ExportHealth) + Send + Sync>;

struct Shared {
    stats: Arc<ExportStats>,
    queued_bytes: AtomicUsize,
    /// Spans of the batch being sent, lost if the exit deadline cuts it off.
    in_flight: AtomicU64,
    health: Mutex<ExportHealth>,
    on_health: OnHealth,
}

impl Shared {
    fn change_health(&self, change: impl FnOnce(&mut ExportHealth)) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        let before = health.clone();
        change(&mut health);
        if *health != before {
            (self.on_health)(&health);
        }
    }

    fn drop_spans(&self, n: u64, why: &str) {
        let before = self.stats.dropped.fetch_add(n, Ordering::Relaxed);
        if before == 0 {
            // Once: the banner and /metrics keep the running count.
            eprintln!(
                "trace_claude: warning: dropped {n} OpenTelemetry spans ({why}); the log has every call, and later drops are counted in the UI and /metrics"
            );
        }
        self.change_health(|h| h.spans_dropped = before + n);
    }
}

struct Queued {
    span: SpanData,
    bytes: usize,
}

/// Where finished flows' spans are offered; cheap to clone.
#[derive(Clone)]
pub struct SpanSender {
    tx: mpsc::UnboundedSender<Queued>,
    shared: Arc<Shared>,
}

impl SpanSender {
    /// Queues a span, or drops it (counted) when the queue is at a bound.
    pub fn offer(&self, span: SpanData) {
        let bytes = size_of(&span);
        let queued = self.shared.stats.queued.load(Ordering::Relaxed) as usize;
        let queued_bytes = self.shared.queued_bytes.load(Ordering::Relaxed);
        if queued >= MAX_QUEUED_SPANS || queued_bytes + bytes > MAX_QUEUED_BYTES {
            self.shared.drop_spans(1, "the export queue is full");
            return;
        }
        self.shared.stats.queued.fetch_add(1, Ordering::Relaxed);
        self.shared.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        if self.tx.send(Queued { span, bytes }).is_err() {
            self.shared.stats.queued.fetch_sub(1, Ordering::Relaxed);
            self.shared.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            self.shared.drop_spans(1, "the exporter has stopped");
        }
    }
}

pub struct Pipeline {
    sender: SpanSender,
    task: JoinHandle<()>,
}

impl Pipeline {
    pub fn start<E: SpanExporter + 'static>(
        exporter: E,
        endpoint: String,
        on_health: OnHealth,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            stats: Arc::new(ExportStats::default()),
            queued_bytes: AtomicUsize::new(0),
            in_flight: AtomicU64::new(0),
            health: Mutex::new(ExportHealth {
                endpoint,
                ..ExportHealth::default()
            }),
            on_health,
        });
        let task = tokio::spawn(run(rx, exporter, shared.clone()));
        Pipeline {
            sender: SpanSender { tx, shared },
            task,
        }
    }

    pub fn sender(&self) -> SpanSender {
        self.sender.clone()
    }

    pub fn stats(&self) -> Arc<ExportStats> {
        self.sender.shared.stats.clone()
    }

    pub fn health(&self) -> ExportHealth {
        let health = self.sender.shared.health.lock();
        health.unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sends what is queued, waiting at most `patience`; what is still
    /// unsent then is dropped and counted.
    pub async fn finish(self, patience: Duration) -> Arc<ExportStats> {
        let Pipeline { sender, mut task } = self;
        let shared = sender.shared.clone();
        // The loop ends once every sender is gone and the queue is empty.
        drop(sender);
        if tokio::time::timeout(patience, &mut task).await.is_err() {
            task.abort();
            let left = shared.stats.queued.swap(0, Ordering::Relaxed)
                + shared.in_flight.swap(0, Ordering::Relaxed);
            if left > 0 {
                shared.drop_spans(left, "the collector did not take them before exit");
            }
        }
        shared.stats.clone()
    }
}

async fn run<E: SpanExporter>(
    mut rx: mpsc::UnboundedReceiver<Queued>,
    exporter: E,
    shared: Arc<Shared>,
) {
    let take = |q: Queued, batch: &mut Vec<SpanData>, bytes: &mut usize| {
        shared.stats.queued.fetch_sub(1, Ordering::Relaxed);
        shared.queued_bytes.fetch_sub(q.bytes, Ordering::Relaxed);
        *bytes += q.bytes;
        batch.push(q.span);
    };
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut bytes = 0;
        take(first, &mut batch, &mut bytes);
        let deadline = Instant::now() + BATCH_DELAY;
        while batch.len() < MAX_BATCH_SPANS && bytes < MAX_BATCH_BYTES {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(q)) => take(q, &mut batch, &mut bytes),
                Ok(None) | Err(_) => break,
            }
        }
        send(&exporter, batch, &shared).await;
    }
}

/// One batch, tried until it goes or its attempts run out.
async fn send<E: SpanExporter>(exporter: &E, batch: Vec<SpanData>, shared: &Shared) {
    let n = batch.len() as u64;
    shared.in_flight.store(n, Ordering::Relaxed);
    let result = with_backoff(ATTEMPTS, FIRST_BACKOFF, || {
        let batch = batch.clone();
        async move {
            let result = exporter.export(batch).await;
            if let Err(e) = &result {
                let error = describe(e);
                shared.change_health(|h| {
                    // Once per run of failures, on stderr: the banner says it too.
                    if h.error.is_none() {
                        eprintln!(
                            "trace_claude: warning: cannot send spans to {} ({error}); retrying with backoff, forwarding and the log go on",
                            h.endpoint
                        );
                    }
                    h.error = Some(error);
                });
            }
            result
        }
    })
    .await;
    match result {
        Ok(()) => {
            shared.stats.sent.fetch_add(n, Ordering::Relaxed);
            shared.change_health(|h| {
                if h.error.take().is_some() {
                    eprintln!("trace_claude: spans reach {} again", h.endpoint);
                }
            });
        }
        Err(_) => shared.drop_spans(n, "the collector refused or did not answer every retry"),
    }
    shared.in_flight.store(0, Ordering::Relaxed);
}

/// The exporter's reason, without the SDK's "Operation failed:" wrapping.
fn describe(error: &opentelemetry_sdk::error::OTelSdkError) -> String {
    match error {
        opentelemetry_sdk::error::OTelSdkError::InternalFailure(reason) => reason.clone(),
        other => other.to_string(),
    }
}

/// Runs `attempt` up to `attempts` times until it succeeds, waiting
/// `first`, then twice as long each time, between tries.
async fn with_backoff<T, E, F, Fut>(attempts: u32, first: Duration, mut attempt: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut wait = first;
    let mut n = 1;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if n >= attempts => return Err(e),
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
                n += 1;
            }
        }
    }
}

/// Roughly what a span costs in memory and on the wire: its strings.
fn size_of(span: &SpanData) -> usize {
    let values: usize = span
        .attributes
        .iter()
        .map(|kv| {
            kv.key.as_str().len()
                + match &kv.value {
                    Value::String(s) => s.as_str().len(),
                    Value::Array(opentelemetry::Array::String(items)) => {
                        items.iter().map(|s| s.as_str().len()).sum()
                    }
                    _ => 8,
                }
        })
        .sum();
    128 + span.name.len() + values
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
    use std::sync::atomic::AtomicBool;

    /// A collector stand-in that can be made to refuse: for the queue's
    /// rules, which need a collector that fails on cue (Phoenix serves the
    /// tests of what is sent).
    #[derive(Debug, Default, Clone)]
    struct Collector {
        down: Arc<AtomicBool>,
        received: Arc<Mutex<Vec<String>>>,
    }

    impl SpanExporter for Collector {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            if self.down.load(Ordering::SeqCst) {
                return Err(OTelSdkError::InternalFailure("connection refused".into()));
            }
            let mut received = self.received.lock().unwrap();
            received.extend(batch.iter().map(|s| s.name.to_string()));
            Ok(())
        }
    }

    fn span(name: &str, attribute_bytes: usize) -> SpanData {
        let mut span = super::super::spans::tests::blank_span();
        span.name = name.to_owned().into();
        span.attributes = vec![opentelemetry::KeyValue::new(
            "big",
            "x".repeat(attribute_bytes),
        )];
        span
    }

    #[tokio::test(start_paused = true)]
    async fn spans_are_batched_and_all_sent() {
        let collector = Collector::default();
        let pipeline = Pipeline::start(collector.clone(), "test".into(), Box::new(|_| {}));
        let sender = pipeline.sender();
        for i in 0..1000 {
            sender.offer(span(&format!("s{i}"), 10));
        }
        drop(sender);
        let stats = pipeline.finish(Duration::from_secs(60)).await;
        assert_eq!(stats.sent.load(Ordering::Relaxed), 1000);
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 0);
        let received = collector.received.lock().unwrap();
        assert_eq!(received.len(), 1000);
        assert_eq!(received[999], "s999", "in order");
    }

    #[tokio::test(start_paused = true)]
    async fn a_collector_that_is_down_costs_a_bounded_queue_then_counted_drops() {
        let collector = Collector::default();
        collector.down.store(true, Ordering::SeqCst);
        let reports = Arc::new(Mutex::new(Vec::<ExportHealth>::new()));
        let seen = reports.clone();
        let pipeline = Pipeline::start(
            collector.clone(),
            "http://collector/v1/traces".into(),
            Box::new(move |h| seen.lock().unwrap().push(h.clone())),
        );
        let sender = pipeline.sender();
        // A batch in flight, then the queue filled past its byte bound.
        sender.offer(span("first", 10));
        tokio::time::sleep(Duration::from_secs(1)).await;
        let big = MAX_QUEUED_BYTES / 16;
        for i in 0..20 {
            sender.offer(span(&format!("big{i}"), big));
        }
        let stats = pipeline.stats();
        assert!(
            stats.queued.load(Ordering::Relaxed) < 16,
            "the bytes bound holds"
        );
        let dropped_at_the_queue = stats.dropped.load(Ordering::Relaxed);
        assert!(dropped_at_the_queue >= 5, "{dropped_at_the_queue}");
        let health = pipeline.health();
        assert_eq!(health.error.as_deref(), Some("connection refused"));
        assert_eq!(health.spans_dropped, dropped_at_the_queue);

        // The collector comes back: what is queued gets through.
        collector.down.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(sender);
        let stats = pipeline.finish(Duration::from_secs(600)).await;
        let sent = stats.sent.load(Ordering::Relaxed);
        let dropped = stats.dropped.load(Ordering::Relaxed);
        assert_eq!(sent + dropped, 21, "every span is sent or counted");
        assert!(sent >= 15, "{sent}");
        let last = reports.lock().unwrap().last().cloned().unwrap();
        assert_eq!(last.error, None, "the banner clears once spans get through");
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_that_fails_every_retry_is_dropped_and_counted() {
        let collector = Collector::default();
        collector.down.store(true, Ordering::SeqCst);
        let pipeline = Pipeline::start(collector.clone(), "c".into(), Box::new(|_| {}));
        let sender = pipeline.sender();
        sender.offer(span("a", 1));
        sender.offer(span("b", 1));
        drop(sender);
        let stats = pipeline.finish(Duration::from_secs(600)).await;
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(stats.sent.load(Ordering::Relaxed), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_unsent_at_the_deadline_is_counted_as_dropped() {
        let collector = Collector::default();
        collector.down.store(true, Ordering::SeqCst);
        let pipeline = Pipeline::start(collector.clone(), "c".into(), Box::new(|_| {}));
        let sender = pipeline.sender();
        for _ in 0..3 {
            sender.offer(span("a", 1));
        }
        drop(sender);
        let stats = pipeline.finish(Duration::from_secs(2)).await;
        assert_eq!(stats.sent.load(Ordering::Relaxed), 0);
        assert_eq!(
            stats.dropped.load(Ordering::Relaxed),
            3,
            "the batch cut off in flight is counted with the queued ones"
        );
    }
}

//! The batching writer: the one path from accepted events to the store.
//!
//! Callers hand over a batch and (for the ingest API) wait for its commit, so an answer of 200
//! means the events are on disk. Batches that arrive together share one transaction (flush at
//! `flush_rows` rows or `flush_interval`); a semaphore bounds events in flight, and when it is
//! exhausted callers are told at once (503) rather than queued without bound.

use crate::config::TrafficSettings;
use crate::events::Measured;
use crate::metrics::Metrics;
use crate::store::{AuditEvent, RequestEvent, Store};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("the write queue is full")]
    QueueFull,
    #[error("the writer is shutting down")]
    Closed,
    #[error("storing the events failed: {0}")]
    Store(String),
}

/// Events that are stored together: request events, audit events, or both.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub requests: Vec<RequestEvent>,
    pub audits: Vec<AuditEvent>,
    /// Requests already aggregated (OTLP duration histograms): rollups only.
    pub measured: Vec<Measured>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.requests.len() + self.audits.len() + self.measured.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn extend(&mut self, other: &Batch) {
        self.requests.extend(other.requests.iter().cloned());
        self.audits.extend(other.audits.iter().cloned());
        self.measured.extend(other.measured.iter().cloned());
    }
}

impl From<Vec<RequestEvent>> for Batch {
    fn from(requests: Vec<RequestEvent>) -> Self {
        Batch {
            requests,
            ..Batch::default()
        }
    }
}

impl From<Vec<AuditEvent>> for Batch {
    fn from(audits: Vec<AuditEvent>) -> Self {
        Batch {
            audits,
            ..Batch::default()
        }
    }
}

struct Job {
    batch: Batch,
    /// `ingest` (request events posted), `audit` (audit events posted) or `self`.
    kind: &'static str,
    _permit: OwnedSemaphorePermit,
    ack: Option<oneshot::Sender<Result<(), String>>>,
}

/// Request events committed per source since start: what the Requests page says about where
/// traffic comes from.
#[derive(Default)]
pub struct SourceStats {
    events: [AtomicU64; 3],
    last_ms: [std::sync::atomic::AtomicI64; 3],
}

/// The sources, in the order the page lists them.
pub const SOURCES: [&str; 3] = ["ingest", "otlp", "self"];

impl SourceStats {
    fn add(&self, kind: &str, n: usize) {
        if let Some(i) = SOURCES.iter().position(|s| *s == kind) {
            self.events[i].fetch_add(n as u64, Ordering::Relaxed);
            self.last_ms[i].store(crate::model::now_ms(), Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> Vec<crate::analytics::SourceCount> {
        SOURCES
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let last = self.last_ms[i].load(Ordering::Relaxed);
                crate::analytics::SourceCount {
                    source: s.to_string(),
                    events: self.events[i].load(Ordering::Relaxed),
                    last_ms: (last > 0).then_some(last),
                }
            })
            .collect()
    }
}

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Job>,
    permits: Arc<Semaphore>,
    capacity: usize,
    closed: Arc<AtomicBool>,
    stop: Arc<Notify>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
    metrics: Metrics,
    /// Commits so far: readers caching figures know when the store has changed.
    generation: Arc<AtomicU64>,
    sources: Arc<SourceStats>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &self.queued())
            .finish()
    }
}

impl Writer {
    pub fn start(store: Store, metrics: Metrics, settings: &TrafficSettings) -> Writer {
        let (tx, rx) = mpsc::unbounded_channel();
        let permits = Arc::new(Semaphore::new(settings.queue_events));
        let stop = Arc::new(Notify::new());
        let generation = Arc::new(AtomicU64::new(0));
        let sources = Arc::new(SourceStats::default());
        let task = tokio::spawn(run(
            rx,
            store,
            Counters {
                metrics: metrics.clone(),
                sources: sources.clone(),
            },
            generation.clone(),
            super::keycap::KeyCap::new(settings.max_endpoints_per_day),
            settings.flush_rows,
            settings.flush_interval,
            stop.clone(),
            permits.clone(),
            settings.queue_events,
        ));
        Writer {
            tx,
            permits,
            capacity: settings.queue_events,
            closed: Arc::new(AtomicBool::new(false)),
            stop,
            task: Arc::new(Mutex::new(Some(task))),
            metrics,
            generation,
            sources,
        }
    }

    /// Request events committed per source since start.
    pub fn sources(&self) -> Vec<crate::analytics::SourceCount> {
        self.sources.snapshot()
    }

    /// Changes whenever a batch is committed.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Events accepted and not yet committed.
    pub fn queued(&self) -> usize {
        self.capacity - self.permits.available_permits()
    }

    fn enqueue(
        &self,
        batch: Batch,
        kind: &'static str,
        ack: Option<oneshot::Sender<Result<(), String>>>,
    ) -> Result<(), WriterError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(WriterError::Closed);
        }
        let n = u32::try_from(batch.len()).map_err(|_| WriterError::QueueFull)?;
        let permit = self
            .permits
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|_| WriterError::QueueFull)?;
        self.tx
            .send(Job {
                batch,
                kind,
                _permit: permit,
                ack,
            })
            .map_err(|_| WriterError::Closed)?;
        self.metrics.set_queue_depth(self.queued());
        Ok(())
    }

    /// Queues a batch and waits until it is committed.
    pub async fn submit(&self, batch: impl Into<Batch>) -> Result<usize, WriterError> {
        let batch = batch.into();
        let n = batch.len();
        if n == 0 {
            return Ok(0);
        }
        // `ingest` or `otlp` for request events (by where they came from), else `audit`.
        let kind = match batch.requests.first() {
            Some(e) => e.source.as_str(),
            None if !batch.measured.is_empty() => "otlp",
            None => "audit",
        };
        let (ack, done) = oneshot::channel();
        self.enqueue(batch, kind, Some(ack))?;
        match done.await {
            Ok(Ok(())) => Ok(n),
            Ok(Err(e)) => Err(WriterError::Store(e)),
            Err(_) => Err(WriterError::Closed),
        }
    }

    /// Queues Pulse's own traffic without waiting; dropped (and counted) when the queue is full.
    pub fn record_self(&self, batch: impl Into<Batch>) {
        if let Err(e) = self.enqueue(batch.into(), "self", None) {
            if matches!(e, WriterError::QueueFull) {
                self.metrics.ingest_rejected("queue_full");
            }
        }
    }

    /// Stops taking events, commits everything queued, and waits for the writer to finish.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        self.stop.notify_one();
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    mut rx: mpsc::UnboundedReceiver<Job>,
    store: Store,
    counters: Counters,
    generation: Arc<AtomicU64>,
    mut keycap: super::keycap::KeyCap,
    flush_rows: usize,
    flush_interval: Duration,
    stop: Arc<Notify>,
    permits: Arc<Semaphore>,
    capacity: usize,
) {
    let metrics = &counters.metrics;
    let mut stopping = false;
    loop {
        let first = if stopping {
            match rx.try_recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
                _ = stop.notified() => {
                    stopping = true;
                    rx.close();
                    continue;
                }
            }
        };
        let mut jobs = vec![first];
        let mut rows = jobs[0].batch.len();
        let deadline = tokio::time::Instant::now() + flush_interval;
        while rows < flush_rows {
            // Take what is already waiting; wait for more only until the flush deadline.
            let next = match rx.try_recv() {
                Ok(job) => Some(job),
                Err(_) if stopping => None,
                Err(_) => tokio::select! {
                    job = tokio::time::timeout_at(deadline, rx.recv()) => job.ok().flatten(),
                    _ = stop.notified() => {
                        // Commit what is in hand now; the outer loop drains the rest.
                        stopping = true;
                        rx.close();
                        None
                    }
                },
            };
            match next {
                Some(job) => {
                    rows += job.batch.len();
                    jobs.push(job);
                }
                None => break,
            }
        }
        for job in &mut jobs {
            let folded = keycap.fold(&store, &mut job.batch.requests).await
                + keycap.fold(&store, &mut job.batch.measured).await;
            if folded > 0 {
                metrics.endpoints_folded(folded);
            }
        }
        commit(&store, &counters, &generation, jobs).await;
        metrics.set_queue_depth(capacity - permits.available_permits());
    }
    metrics.set_queue_depth(capacity - permits.available_permits());
}

/// Commits jobs together; if that fails, each on its own so one bad batch cannot sink others.
/// Where commits are counted: Prometheus, and the per-source figures of the Requests page.
struct Counters {
    metrics: Metrics,
    sources: Arc<SourceStats>,
}

async fn commit(store: &Store, counters: &Counters, generation: &AtomicU64, jobs: Vec<Job>) {
    let metrics = &counters.metrics;
    // Before any acknowledgement: a client that reads after its 200 must not get figures
    // cached from before its commit.
    let committed = || {
        generation.fetch_add(1, Ordering::AcqRel);
    };
    let together = if jobs.len() == 1 {
        insert(store, &jobs[0].batch).await
    } else {
        let mut all = Batch::default();
        for j in &jobs {
            all.extend(&j.batch);
        }
        insert(store, &all).await
    };
    match together {
        Ok(()) => {
            committed();
            jobs.into_iter().for_each(|job| done(counters, job))
        }
        Err(e) if jobs.len() == 1 => {
            tracing::error!(error = %e, events = jobs[0].batch.len(), "storing events failed");
            fail(metrics, jobs, &e.to_string());
        }
        Err(_) => {
            for job in jobs {
                match insert(store, &job.batch).await {
                    Ok(()) => {
                        committed();
                        done(counters, job)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, events = job.batch.len(), "storing events failed");
                        fail(metrics, vec![job], &e.to_string());
                    }
                }
            }
        }
    }
}

async fn insert(store: &Store, b: &Batch) -> Result<(), crate::store::StoreError> {
    store.insert_all(&b.requests, &b.measured, &b.audits).await
}

/// Counts a committed job and tells its sender.
fn done(counters: &Counters, job: Job) {
    let metrics = &counters.metrics;
    if !job.batch.requests.is_empty() {
        metrics.ingested(job.kind, job.batch.requests.len());
        counters.sources.add(job.kind, job.batch.requests.len());
    }
    if !job.batch.measured.is_empty() {
        // Operations, not data points: what the figures count.
        let n: i64 = job.batch.measured.iter().map(|m| m.agg.count).sum();
        metrics.ingested(job.kind, n.max(0) as usize);
        counters.sources.add(job.kind, n.max(0) as usize);
    }
    if !job.batch.audits.is_empty() {
        metrics.ingested("audit", job.batch.audits.len());
        metrics.role_actions(&job.batch.audits);
        metrics.auth.observe(&job.batch.audits);
    }
    if let Some(ack) = job.ack {
        let _ = ack.send(Ok(()));
    }
}

fn fail(metrics: &Metrics, jobs: Vec<Job>, reason: &str) {
    for job in jobs {
        metrics.ingest_rejected("store_error");
        if let Some(ack) = job.ack {
            let _ = ack.send(Err(reason.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventSource;

    fn event(i: i64) -> RequestEvent {
        RequestEvent {
            ts_ms: 1_700_000_000_000 + i,
            method: "POST".into(),
            route: "tools/call".into(),
            tool: None,
            server: None,
            status: 200,
            duration_ms: 5.0,
            user_id: None,
            role: None,
            bytes_in: None,
            bytes_out: None,
            client_ip: None,
            user_agent: None,
            session_id: None,
            source: EventSource::SelfTraffic,
        }
    }

    async fn setup(settings: TrafficSettings) -> (Writer, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/w.db", dir.path().display()))
            .await
            .unwrap();
        let w = Writer::start(store.clone(), Metrics::new().unwrap(), &settings);
        (w, store, dir)
    }

    #[tokio::test]
    async fn submit_returns_after_commit_and_shutdown_flushes_the_rest() {
        let settings = TrafficSettings {
            flush_interval: Duration::from_secs(3600),
            flush_rows: 1_000_000,
            ..TrafficSettings::default()
        };
        let (w, store, _dir) = setup(settings).await;
        // Fire-and-forget events sit in the queue (the flush interval is an hour)...
        for i in 0..250 {
            w.record_self(vec![event(i)]);
        }
        assert_eq!(w.queued(), 250);
        // ...until shutdown, which commits them before returning.
        w.shutdown().await;
        assert_eq!(store.count_request_events().await.unwrap(), 250);
        assert!(matches!(
            w.submit(vec![event(1)]).await,
            Err(WriterError::Closed)
        ));
    }

    #[tokio::test]
    async fn concurrent_batches_are_all_committed_and_acknowledged() {
        let (w, store, _dir) = setup(TrafficSettings::default()).await;
        let mut tasks = Vec::new();
        for b in 0..20 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.submit((0..500).map(|i| event(b * 1000 + i)).collect::<Vec<_>>())
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 500);
        }
        assert_eq!(store.count_request_events().await.unwrap(), 10_000);
        assert_eq!(w.queued(), 0);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_instead_of_buffering() {
        let settings = TrafficSettings {
            queue_events: 1000,
            max_batch: 1000,
            flush_interval: Duration::from_secs(3600),
            flush_rows: 1_000_000,
            ..TrafficSettings::default()
        };
        let (w, store, _dir) = setup(settings).await;
        for i in 0..1000 {
            w.record_self(vec![event(i)]);
        }
        assert!(matches!(
            w.submit(vec![event(5000)]).await,
            Err(WriterError::QueueFull)
        ));
        w.shutdown().await;
        assert_eq!(store.count_request_events().await.unwrap(), 1000);
    }
}

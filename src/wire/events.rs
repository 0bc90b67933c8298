//! Pool events on their way to the JS thread.
//!
//! Workers push events into one [`Batch`]; the push that opens a batch calls the threadsafe
//! function once, and its callback (on the JS thread) drains everything queued by then for
//! the JS dispatcher (`lib/wire/events.ts`): into the [`EventArea`] when the events fit there,
//! else into an [`EventBatch`] of their own. The JS thread also takes
//! the hand-outs itself right after `finishExternal` ([`Outbox::take_hand_outs`]), so that
//! the tasks that call hands out reach it at once, in the order they left the queue, behind
//! the hand-outs already waiting, without a threadsafe-function call. Numbers, the common result, cross in typed arrays instead of one JS
//! value each; arrays a kernel returns become typed arrays over the kernel's own buffer (an
//! external ArrayBuffer), not copies.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ferris_kernels::{ArrayKind, ForeignArray, KernelError, Output};
use ferris_pool::{Batch, ExternalJob, Hooks};
use napi::bindgen_prelude::{
    ArrayBuffer, Either, Either3, Either4, Float64Array, Function, Uint32Array, Uint8Array,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::handles::Handles;
use crate::wire::args::OwnedArg;
use crate::wire::codes::EventKind;
use crate::workers::{WorkerJob, WorkerQueue};

/// A typed array a kernel returned.
pub(crate) type TypedArray = Either3<Float64Array, Uint32Array, Uint8Array>;

/// One value of a chunk's results: null, a number or a typed array.
pub(crate) type ChunkValue = Option<Either4<f64, Float64Array, Uint32Array, Uint8Array>>;

/// One JS value of the `payloads` array.
pub(crate) type Payload = Either3<String, Vec<ChunkValue>, TypedArray>;

/// Events for the JS thread, in the order they happened, when they did not fit in the
/// [`EventArea`]: event `i` is `events[3i..3i + 3]`, laid out as in the area.
#[napi(object)]
pub struct EventBatch {
    pub events: Float64Array,
    /// What each event's kind carries (its doc in [`EventKind`]); the reader knows which.
    #[napi(ts_type = "unknown[]")]
    pub payloads: Vec<Payload>,
}

/// What the dispatcher is called with: the batch's payloads, its events being in the event
/// area; or a batch of its own.
pub(crate) type Delivery = Either<Vec<Payload>, EventBatch>;

/// Events in the [`EventArea`] at most: a larger batch (a burst of completions) comes in an
/// [`EventBatch`] of its own, whose allocation is then shared by that many events.
const AREA_EVENTS: usize = 1024;

/// Where the callback writes the events of a batch for the dispatcher, so that the usual
/// batch (a few events) costs no new ArrayBuffer: three external ArrayBuffers per batch were
/// ~8 % of the JS thread's time in a worker round trip. Layout, in doubles: the event count,
/// then per event its kind (an [`EventKind`]), its task id and its number (a number result,
/// a seat, or NaN). Each event whose kind carries a payload takes the next of the payloads.
///
/// Rules: only the JS thread touches the area. The callback writes it just before it calls
/// the dispatcher, which reads it during that call, and copies whatever it leaves for a later
/// turn (`EventReader`), since the next callback writes over it.
pub(crate) struct EventArea {
    /// `f64` bits. Atomics only so that the area may be shared with the callback's closure
    /// (which must be `Send`); relaxed accesses on the JS thread compile to plain moves.
    cells: Arc<[AtomicU64]>,
}

impl EventArea {
    fn new() -> Self {
        EventArea {
            cells: (0..1 + 3 * AREA_EVENTS)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    fn set(&self, at: usize, value: f64) {
        self.cells[at].store(value.to_bits(), Ordering::Relaxed);
    }

    /// The area as an ArrayBuffer (read it as a `Float64Array`); it lives as long as the
    /// buffer or this area does.
    pub fn buffer<'env>(&self, env: &'env Env) -> Result<ArrayBuffer<'env>> {
        let cells = self.cells.clone();
        let data = cells.as_ptr() as *mut u8;
        let len = cells.len() * size_of::<AtomicU64>();
        // SAFETY: `data` points at `len` bytes of `cells`, which the finalizer keeps alive as
        // long as the JS buffer. Only the JS thread reads or writes them (see the rules above).
        let buffer =
            unsafe { ArrayBuffer::from_external(env, data, len, cells, |_, cells| drop(cells)) }?;
        if buffer.as_ptr() != data.cast_const() {
            return Err(Error::new(
                Status::GenericFailure,
                "this JavaScript runtime does not support external array buffers",
            ));
        }
        Ok(buffer)
    }
}

/// What a kernel task returns to the pool, which hands it to [`Outbox::completed`].
pub(crate) struct Completion {
    pub result: std::result::Result<Vec<Output>, KernelError>,
    /// `true` for a chunk of calls (several values), `false` for a single call.
    pub chunk: bool,
    /// The task ran past its time limit (its result, if any, is dropped).
    pub timed_out: bool,
    /// The kernel's arguments, kept alive until the event is encoded so that JS-owned buffers
    /// are released on the JS thread.
    pub args: Vec<OwnedArg>,
}

/// What a worker isolate reports about a worker task (see `src/workers`).
pub(crate) enum WorkerReport {
    /// It returned this `v8.serialize`d value.
    Value(Vec<u8>),
    Number(f64),
    /// It (a chunk) returned these numbers.
    Numbers(Vec<f64>),
    /// It threw; the error's record, `v8.serialize`d.
    Threw(Vec<u8>),
    /// Its result waits on the port of the worker at this seat.
    Posted(u32),
    /// It started, on the worker at this seat.
    Started(u32),
    /// The worker at this seat took it and waits for its arguments.
    NeedsArgs(u32),
}

pub(crate) enum Event {
    Returned { id: u64, completion: Completion },
    Panicked { id: u64, message: String },
    RunExternal { id: u64 },
    Worker { id: u64, report: WorkerReport },
}

type Notifier = ThreadsafeFunction<(), (), Delivery, Status, false, true>;

/// The pool's [`Hooks`]: everything a worker reports goes here, except the worker tasks it
/// hands out, which go to the worker isolates' hand-off.
pub(crate) struct Outbox {
    batch: Arc<Batch<Event>>,
    handles: Arc<Handles>,
    notifier: Notifier,
    workers: Arc<WorkerQueue>,
    area: Arc<EventArea>,
}

impl Outbox {
    /// Wraps the JS dispatcher in a weak threadsafe function (the executor refs it while tasks
    /// are pending, so an idle executor never keeps the process alive).
    pub fn new(dispatcher: Function<'_, Delivery, ()>, handles: Arc<Handles>) -> Result<Outbox> {
        let batch: Arc<Batch<Event>> = Arc::default();
        let area = Arc::new(EventArea::new());
        let (drained, callback_handles, callback_area) =
            (batch.clone(), handles.clone(), area.clone());
        let notifier = dispatcher
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |_ctx| Ok(drain(&drained, &callback_handles, &callback_area)))?;
        Ok(Outbox {
            batch,
            handles,
            notifier,
            workers: Arc::default(),
            area,
        })
    }

    /// Where the dispatcher reads the events of most batches (see [`EventArea`]).
    pub fn area(&self) -> &EventArea {
        &self.area
    }

    /// Where the worker tasks the pool hands out go.
    pub fn workers(&self) -> &Arc<WorkerQueue> {
        &self.workers
    }

    pub fn send(&self, event: Event) {
        if self.batch.push(event) {
            self.notify();
        }
    }

    fn notify(&self) {
        // `Closing` means the JS environment is going away: nobody is left to tell.
        let _ = self
            .notifier
            .call((), ThreadsafeFunctionCallMode::NonBlocking);
    }

    /// On the JS thread: runs `f`, which makes the pool hand tasks out, and writes into `ids`
    /// the ids of every hand-out pending by then, in order (at most `ids.len()`: one per
    /// slot is enough). Returns how many. Other events stay for the dispatcher.
    pub fn take_hand_outs(&self, f: impl FnOnce(), ids: &mut [f64]) -> usize {
        let hold = self.batch.hold();
        f();
        let mut taken = Vec::new();
        let notify = self
            .batch
            .release_taking(hold, &mut taken, ids.len(), |event| {
                matches!(event, Event::RunExternal { .. })
            });
        if notify {
            self.notify();
        }
        let mut handles = self.handles.lock();
        for (slot, event) in ids.iter_mut().zip(&taken) {
            if let Event::RunExternal { id } = *event {
                handles.remove(&id);
                *slot = id as f64;
            }
        }
        taken.len()
    }

    /// The raw threadsafe function, for ref/unref from the JS thread.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }
}

impl Hooks<Completion> for Outbox {
    fn completed(&self, tag: u64, completion: Completion) {
        self.send(Event::Returned {
            id: tag,
            completion,
        });
    }

    fn external_ready(&self, tag: u64, job: ExternalJob) {
        match job.downcast::<WorkerJob>() {
            Ok(job) => self.workers.give(*job),
            Err(_) => self.send(Event::RunExternal { id: tag }),
        }
    }

    fn panicked(&self, tag: u64, message: String) {
        self.send(Event::Panicked { id: tag, message });
    }
}

fn drain(batch: &Batch<Event>, handles: &Handles, area: &EventArea) -> Delivery {
    let mut events = Vec::new();
    batch.drain(&mut events);
    encode(events, handles, area)
}

/// A typed array over the memory a kernel returned, without a copy: the kernel's free function
/// runs when the garbage collector releases the array (or at once for an empty one).
fn typed_array(array: ForeignArray) -> TypedArray {
    let (kind, data, len) = (array.kind(), array.as_ptr(), array.len());
    if len == 0 {
        drop(array);
        return match kind {
            ArrayKind::Float64 => Either3::A(Float64Array::new(Vec::new())),
            ArrayKind::Uint32 => Either3::B(Uint32Array::new(Vec::new())),
            ArrayKind::Uint8 => Either3::C(Uint8Array::new(Vec::new())),
        };
    }
    // SAFETY: `data` holds `len` elements of the kind's type, aligned and not null (the host
    // checked), and stays valid until `array` is dropped, which only the finalizer does.
    unsafe {
        match kind {
            ArrayKind::Float64 => Either3::A(Float64Array::with_external_data(
                data.cast(),
                len,
                move |_, _| drop(array),
            )),
            ArrayKind::Uint32 => Either3::B(Uint32Array::with_external_data(
                data.cast(),
                len,
                move |_, _| drop(array),
            )),
            ArrayKind::Uint8 => Either3::C(Uint8Array::with_external_data(
                data.cast(),
                len,
                move |_, _| drop(array),
            )),
        }
    }
}

fn chunk_value(output: Output) -> ChunkValue {
    match output {
        Output::Null => None,
        Output::Number(n) => Some(Either4::A(n)),
        Output::Array(array) => Some(match typed_array(array) {
            Either3::A(floats) => Either4::B(floats),
            Either3::B(words) => Either4::C(words),
            Either3::C(bytes) => Either4::D(bytes),
        }),
    }
}

/// The kind, number and payload of a kernel task's completion.
fn returned(completion: Completion) -> (EventKind, f64, Option<Payload>) {
    let Completion {
        result,
        chunk,
        timed_out,
        args,
    } = completion;
    drop(args); // here, on the JS thread
    match result {
        _ if timed_out => (EventKind::TimedOut, f64::NAN, None),
        Ok(values) if chunk => {
            let values = values.into_iter().map(chunk_value).collect();
            (EventKind::Values, f64::NAN, Some(Either3::B(values)))
        }
        Ok(values) => match values.into_iter().next().unwrap_or(Output::Null) {
            Output::Null => (EventKind::Null, f64::NAN, None),
            Output::Number(n) => (EventKind::Number, n, None),
            Output::Array(array) => (
                EventKind::Array,
                f64::NAN,
                Some(Either3::C(typed_array(array))),
            ),
        },
        Err(error) => (EventKind::Failed, f64::NAN, Some(Either3::A(error.message))),
    }
}

/// The kind, number and payload of a worker's report.
fn worker_report(report: WorkerReport) -> (EventKind, f64, Option<Payload>) {
    let bytes = |bytes| Some(Either3::C(Either3::C(Uint8Array::new(bytes))));
    match report {
        WorkerReport::Value(value) => (EventKind::WorkerValue, f64::NAN, bytes(value)),
        WorkerReport::Number(n) => (EventKind::Number, n, None),
        WorkerReport::Numbers(values) => (
            EventKind::WorkerNumbers,
            f64::NAN,
            Some(Either3::C(Either3::A(Float64Array::new(values)))),
        ),
        WorkerReport::Threw(record) => (EventKind::WorkerThrew, f64::NAN, bytes(record)),
        WorkerReport::Posted(seat) => (EventKind::WorkerPosted, seat as f64, None),
        WorkerReport::Started(seat) => (EventKind::WorkerStarted, seat as f64, None),
        WorkerReport::NeedsArgs(seat) => (EventKind::WorkerNeedsArgs, seat as f64, None),
    }
}

/// Turns drained events into what the dispatcher gets (see [`Delivery`]); forgets the
/// handles of tasks that can no longer be cancelled.
fn encode(events: Vec<Event>, handles: &Handles, area: &EventArea) -> Delivery {
    let in_area = events.len() <= AREA_EVENTS;
    let mut own = Vec::with_capacity(if in_area { 0 } else { 3 * events.len() });
    let mut payloads = Vec::new();
    let mut handles = handles.lock();
    if in_area {
        area.set(0, events.len() as f64);
    }
    for (i, event) in events.into_iter().enumerate() {
        let (id, (kind, number, payload)) = match event {
            Event::Returned { id, completion } => (id, returned(completion)),
            Event::Panicked { id, message } => (
                id,
                (EventKind::Panicked, f64::NAN, Some(Either3::A(message))),
            ),
            Event::RunExternal { id } => (id, (EventKind::RunExternal, f64::NAN, None)),
            Event::Worker { id, report } => (id, worker_report(report)),
        };
        handles.remove(&id);
        let event = [kind as u8 as f64, id as f64, number];
        if in_area {
            for (k, value) in event.into_iter().enumerate() {
                area.set(1 + 3 * i + k, value);
            }
        } else {
            own.extend(event);
        }
        payloads.extend(payload);
    }
    if in_area {
        Either::A(payloads)
    } else {
        Either::B(EventBatch {
            events: Float64Array::new(own),
            payloads,
        })
    }
}

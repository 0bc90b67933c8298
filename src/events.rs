//! Pool events on their way to the JS thread.
//!
//! Workers push events into one [`Batch`]; the push that opens a batch calls the threadsafe
//! function once, and its callback (on the JS thread) drains everything queued by then into
//! four arguments for the JS dispatcher: `kinds` (one [`Kind`] code per event), `ids`,
//! `numbers` (the value of a number result, NaN otherwise) and `payloads` (one entry, in event
//! order, for each event whose kind carries one). Numbers, the common case, thus cross in two
//! typed arrays instead of one JS value each. Arrays a kernel returns become typed arrays over
//! the kernel's own buffer (an external ArrayBuffer): they are not copied.
use std::sync::{Arc, Mutex, PoisonError};

use ferris_kernels::{KernelError, Value};
use ferris_pool::{Batch, Hooks};
use napi::bindgen_prelude::{
    Either3, Either4, Float64Array, FnArgs, Function, Uint32Array, Uint8Array,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};

use crate::executor::Handles;
use crate::kernel_args::OwnedArg;

/// Event codes, mirrored in `lib/dispatch.ts`.
#[repr(u8)]
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// A kernel returned a number (in `numbers`).
    Number = 0,
    /// A kernel returned null.
    Null = 1,
    /// A chunk of kernel calls returned these values (payload: array of number | null |
    /// typed array).
    Values = 2,
    /// A kernel failed (payload: message).
    Failed = 3,
    /// A kernel panicked (payload: message).
    Panicked = 4,
    /// A JS task was taken from the queue: run it now (it holds a slot).
    RunJs = 5,
    /// A kernel ran past its time limit.
    TimedOut = 6,
    /// A kernel returned a typed array (payload: the array).
    Array = 7,
}

/// A typed array a kernel returned.
pub(crate) type TypedArray = Either3<Float64Array, Uint32Array, Uint8Array>;

/// One value of a chunk's results: null, a number or a typed array.
pub(crate) type ChunkValue = Option<Either4<f64, Float64Array, Uint32Array, Uint8Array>>;

/// One JS value of the `payloads` argument.
pub(crate) type Payload = Either3<String, Vec<ChunkValue>, TypedArray>;

/// The arguments of the JS dispatcher, spelled out where `#[napi]` needs the type.
pub(crate) type DispatchArgs = FnArgs<(Uint8Array, Float64Array, Float64Array, Vec<Payload>)>;

/// What a kernel task returns to the pool, which hands it to [`Outbox::completed`].
pub(crate) struct Completion {
    pub result: std::result::Result<Vec<Value>, KernelError>,
    /// `true` for a chunk of calls (several values), `false` for a single call.
    pub chunk: bool,
    /// The task ran past its time limit (its result, if any, is dropped).
    pub timed_out: bool,
    /// The kernel's arguments, kept alive until the event is encoded so that JS-owned buffers
    /// are released on the JS thread.
    pub args: Vec<OwnedArg>,
}

pub(crate) enum Event {
    Returned { id: u64, completion: Completion },
    Panicked { id: u64, message: String },
    RunJs { id: u64 },
}

type Notifier = ThreadsafeFunction<(), (), DispatchArgs, Status, false, true>;

/// The pool's [`Hooks`] and the kernels' way out: everything a worker reports goes here.
pub(crate) struct Outbox {
    batch: Arc<Batch<Event>>,
    notifier: Notifier,
}

impl Outbox {
    /// Wraps the JS dispatcher in a weak threadsafe function (the executor refs it while tasks
    /// are pending, so an idle executor never keeps the process alive).
    pub fn new(
        dispatcher: Function<'_, DispatchArgs, ()>,
        handles: Arc<Mutex<Handles>>,
    ) -> Result<Outbox> {
        let batch: Arc<Batch<Event>> = Arc::default();
        let drained = batch.clone();
        let notifier = dispatcher
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |_ctx| {
                let mut events = Vec::new();
                drained.drain(&mut events);
                let mut handles = handles.lock().unwrap_or_else(PoisonError::into_inner);
                Ok(encode(events, &mut handles))
            })?;
        Ok(Outbox { batch, notifier })
    }

    pub fn send(&self, event: Event) {
        if self.batch.push(event) {
            // `Closing` means the JS environment is going away: nobody is left to tell.
            let _ = self
                .notifier
                .call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// Takes the JS tasks handed out so far, in hand-out order, for the caller to run at once;
    /// the other events go back in line for the dispatcher. Called on the JS thread, which
    /// runs a dispatched batch's JS tasks as it reads them, before it calls this: so these
    /// come after every JS task dispatched so far, and before any handed out later.
    pub fn take_run_js(&self, ids: &mut Vec<u64>) {
        let mut events = Vec::new();
        self.batch.drain(&mut events);
        for event in events {
            match event {
                Event::RunJs { id } => ids.push(id),
                other => self.send(other),
            }
        }
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

    fn external_ready(&self, tag: u64) {
        self.send(Event::RunJs { id: tag });
    }

    fn panicked(&self, tag: u64, message: String) {
        self.send(Event::Panicked { id: tag, message });
    }
}

fn chunk_value(value: Value) -> ChunkValue {
    match value {
        Value::Null => None,
        Value::Number(n) => Some(Either4::A(n)),
        Value::Float64Array(data) => Some(Either4::B(Float64Array::new(data))),
        Value::Uint32Array(data) => Some(Either4::C(Uint32Array::new(data))),
        Value::Uint8Array(data) => Some(Either4::D(Uint8Array::new(data))),
    }
}

/// Turns a drained batch into the dispatcher's arguments; forgets the handles of tasks that
/// can no longer be cancelled.
fn encode(events: Vec<Event>, handles: &mut Handles) -> DispatchArgs {
    let mut kinds = Vec::with_capacity(events.len());
    let mut ids = Vec::with_capacity(events.len());
    let mut numbers = Vec::with_capacity(events.len());
    let mut payloads = Vec::new();
    for event in events {
        let (id, kind, number) = match event {
            Event::Returned { id, completion } => {
                let Completion {
                    result,
                    chunk,
                    timed_out,
                    args,
                } = completion;
                drop(args); // here, on the JS thread
                match result {
                    _ if timed_out => (id, Kind::TimedOut, f64::NAN),
                    Ok(values) if chunk => {
                        let values = values.into_iter().map(chunk_value).collect();
                        payloads.push(Either3::B(values));
                        (id, Kind::Values, f64::NAN)
                    }
                    Ok(values) => match values.into_iter().next().unwrap_or(Value::Null) {
                        Value::Null => (id, Kind::Null, f64::NAN),
                        Value::Number(n) => (id, Kind::Number, n),
                        Value::Float64Array(data) => {
                            payloads.push(Either3::C(Either3::A(Float64Array::new(data))));
                            (id, Kind::Array, f64::NAN)
                        }
                        Value::Uint32Array(data) => {
                            payloads.push(Either3::C(Either3::B(Uint32Array::new(data))));
                            (id, Kind::Array, f64::NAN)
                        }
                        Value::Uint8Array(data) => {
                            payloads.push(Either3::C(Either3::C(Uint8Array::new(data))));
                            (id, Kind::Array, f64::NAN)
                        }
                    },
                    Err(error) => {
                        payloads.push(Either3::A(error.message));
                        (id, Kind::Failed, f64::NAN)
                    }
                }
            }
            Event::Panicked { id, message } => {
                payloads.push(Either3::A(message));
                (id, Kind::Panicked, f64::NAN)
            }
            Event::RunJs { id } => (id, Kind::RunJs, f64::NAN),
        };
        handles.remove(&id);
        kinds.push(kind as u8);
        ids.push(id as f64);
        numbers.push(number);
    }
    (
        Uint8Array::new(kinds),
        Float64Array::new(ids),
        Float64Array::new(numbers),
        payloads,
    )
        .into()
}

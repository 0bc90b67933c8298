//! JavaScript worker isolates: the functions worker tasks call ([`functions`]), the meeting
//! point of a pool and its isolates ([`hub`]), the tasks and sleepers between them
//! ([`queue`]), an isolate's end of it ([`port`]) and the JS thread's ([`control`]).
pub(crate) mod control;
pub(crate) mod functions;
pub(crate) mod hub;
pub(crate) mod port;
pub(crate) mod queue;

pub(crate) use hub::{WorkerArgs, WorkerJob};
pub(crate) use queue::WorkerQueue;

//! Slots: the right to run a task. There are `workers` of them, so at most `workers` tasks of
//! any kind (native or external) run at once.
//!
//! Invariant: `free` + slots held by workers + `external` (external tasks handed out and not
//! finished) = `workers`. Every change is one of four moves, each a single atomic update of one
//! counter, with the holder's side kept by the holder (a worker's `has_slot`, the caller of
//! `reclaim_external`):
//! * [`Slots::try_acquire`]: free -> a worker. A worker keeps its slot across consecutive
//!   native tasks (no shared write per task) and gives it back before it parks.
//! * [`Slots::release`]: a holder -> free.
//! * [`Slots::lend_to_external`]: a holder -> an external task it hands out.
//! * [`Slots::reclaim_external`]: finished external tasks -> the caller of
//!   `finish_external`, which lends them to the next queued external tasks or releases them.
//!
//! Whoever releases a slot must then wake a parked worker if queued or forked work waits for
//! one (`Shared::release_slots`): a worker parks without a slot when none is free.
use crossbeam_utils::CachePadded;

use crate::sync::{AtomicUsize, Ordering};

pub(crate) struct Slots {
    free: CachePadded<AtomicUsize>,
    external: CachePadded<AtomicUsize>,
}

impl Slots {
    /// All `workers` slots free.
    pub fn new(workers: usize) -> Slots {
        Slots {
            free: CachePadded::new(AtomicUsize::new(workers)),
            external: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Takes a free slot, if any.
    pub fn try_acquire(&self) -> bool {
        self.free
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Gives back `n` slots the caller holds.
    pub fn release(&self, n: usize) {
        self.free.fetch_add(n, Ordering::SeqCst);
    }

    /// The caller's slot goes with an external task it hands out.
    pub fn lend_to_external(&self) {
        self.external.fetch_add(1, Ordering::SeqCst);
    }

    /// `n` external tasks are over: the caller now holds their slots.
    pub fn reclaim_external(&self, n: usize) {
        self.external.fetch_sub(n, Ordering::SeqCst);
    }

    pub fn free(&self) -> usize {
        self.free.load(Ordering::SeqCst)
    }

    /// External tasks holding a slot.
    pub fn external(&self) -> usize {
        self.external.load(Ordering::SeqCst)
    }
}

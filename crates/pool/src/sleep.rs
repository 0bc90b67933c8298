//! The idle/wake policy of the workers: when an idle worker spins, when it parks, and who
//! wakes whom. Every rule lives here; the rest of the pool only reports events
//! ([`Sleep::notify_work`], [`Sleep::found_work`]) and calls [`Sleep::search`] and
//! [`Sleep::sleep`] from the worker loop.
//!
//! A worker is *running* (a task or a forked job), *searching* (awake with nothing to run,
//! looking at the queues) or *sleeping* (parked on the condition variable).
//!
//! 1. **Post.** Whoever publishes work (a submission, a forked job, a freed slot) then calls
//!    `notify_work` (`notify_forked` for a forked job), which wakes one sleeper unless a worker
//!    is searching: a searcher will find the work. A burst of posts thus costs one load each while someone searches.
//! 2. **Pass the wake on.** A worker that comes from idle (searching, or just woken) and
//!    starts something calls `found_work`. If work is left that it cannot take itself (more
//!    queued tasks, or forked jobs, and a free slot), nobody else is searching and a worker
//!    sleeps, it wakes one, which searches in turn (tokio's and Go's rule, limited to work that
//!    is there). A burst is thus passed on worker by worker instead of waking every sleeper at
//!    once. A worker that took the only task wakes nobody: if the task forks, the fork posts
//!    (rule 1) and wakes a sibling then, microseconds later. Waking one up front for every task
//!    was tried and dropped: on the 2-vCPU machine of the benchmarks the futex wake costs
//!    10-40 us on the path to the task's start, and the sibling, woken for nothing, competes
//!    with the JavaScript thread for a core (traced, the native part of an idle `spin(0)`
//!    round trip, from the submit call to the JavaScript thread taking the result, went from
//!    85-97 us to 61-79 us at the p50).
//! 3. **Search.** A searcher looks at the queues a few times before it parks. After work (it
//!    ran or handed out something since it last parked) it backs off as crossbeam's `Backoff`
//!    does, spinning, then yielding, for some microseconds in all: work comes in bursts. A
//!    spare that has not worked since it parked (woken for work someone else took) only
//!    spins, [`SPARE_LOOKS`] looks, and never yields. A longer spin after work (100 us) was
//!    tried and dropped: on the 2-vCPU machine of the benchmarks the kernel runs a woken
//!    thread on its waker's vCPU, where a worker still spinning after a task holds up the
//!    JavaScript thread that takes the result, and paired runs showed no gain. A searcher
//!    stops counting as one when its search ends, found or not; one that found nothing
//!    parks, and nothing but work wakes a parked worker, so an idle pool burns no CPU.
//! 4. **Park** (a Dekker-style handshake, as in rayon-core's sleep module, simplified to one
//!    lock, and one condition variable and wake token per worker). A sleeper takes the lock,
//!    registers (pushes its index on the parked stack, `sleepers += 1`), issues a SeqCst fence
//!    and only then re-checks for work; if there is some it unregisters and returns, otherwise
//!    it waits for its token. A waker issues a SeqCst fence after publishing, then reads
//!    `sleepers` (and `searching`); only if a sleeper is registered does it take the lock,
//!    pop the last parked worker, set its token and notify its condition variable. Knowing
//!    whom it wakes, a worker waking a sibling for a job it forked keeps it off its own core
//!    for the wake (`placement.rs`; not part of this protocol: it only changes where the
//!    sibling runs).
//!
//! Why nothing is lost: the fences order "publish; read searching and sleepers" against
//! "stop searching or register; read work". A poster that skipped the wake because it saw a
//! searcher is ordered before that searcher's later look at the queues (in `search`, or the
//! re-check in `sleep` once it stopped searching), so the searcher finds the work. A poster
//! that saw no sleeper is ordered before the would-be sleeper's re-check. A sleeper holds the
//! lock from registration until `Condvar::wait` releases it, so a waker that saw it cannot
//! notify before it waits; the waker (not the sleeper) unregisters the woken thread, so a
//! burst of posts wakes distinct threads; a token is the woken worker's own, so no other
//! thread can take it, and it makes spurious condvar wakeups harmless.
use std::sync::PoisonError;

use crossbeam_utils::CachePadded;

use crate::placement::Seat;
use crate::sync::{fence, AtomicUsize, Backoff, Condvar, Mutex, MutexGuard, Ordering};

/// Looks a spare searcher takes before it parks again: crossbeam's backoff spins 2^0 to 2^6
/// times between them (its spinning phase, ~127 pause instructions, a few microseconds).
/// Under loom two looks: each interleaves with every other step, and each extra one multiplies
/// the schedules explored.
#[cfg(not(loom))]
const SPARE_LOOKS: u32 = 7;
#[cfg(loom)]
const SPARE_LOOKS: u32 = 2;

struct State {
    /// Indices of the workers waiting for a token, the most recently parked last.
    parked: Vec<usize>,
    /// Per worker: woken, and not yet back from `sleep` (its token).
    token: Vec<bool>,
    /// Per worker: where it runs, once it has said (see `placement.rs`).
    seats: Vec<Option<Seat>>,
}

pub(crate) struct Sleep {
    state: Mutex<State>,
    /// Per worker, always used with `state`'s lock: a waker wakes the worker it picked.
    condvars: Box<[Condvar]>,
    /// Mirror of `State::sleeping` readable without the lock: the posters' fast path.
    sleepers: CachePadded<AtomicUsize>,
    /// Workers inside [`Sleep::search`] (rule 3).
    searching: CachePadded<AtomicUsize>,
}

impl Sleep {
    /// The sleep state of `workers` workers, indexed from 0.
    pub fn new(workers: usize) -> Self {
        Sleep {
            state: Mutex::new(State {
                parked: Vec::with_capacity(workers),
                token: vec![false; workers],
                seats: (0..workers).map(|_| None).collect(),
            }),
            condvars: (0..workers).map(|_| Condvar::new()).collect(),
            sleepers: Default::default(),
            searching: Default::default(),
        }
    }

    /// Called by worker `index` on its own thread as it starts: lets wakers place it.
    pub fn take_seat(&self, index: usize) {
        let seat = Seat::take();
        self.lock().seats[index] = seat;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding this lock; recover the state if something ever did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rule 1: work was published; wakes a sleeper unless a worker is searching or
    /// `worth_it` (read after the fence; say, a slot is free to run the work) is false.
    pub fn notify_work(&self, worth_it: impl Fn() -> bool) {
        self.notify(false, worth_it);
    }

    /// Rule 1 for a job the calling worker forked from its running task: as `notify_work`,
    /// and the sibling it wakes is kept off the caller's core for the wake (`placement.rs`).
    pub fn notify_forked(&self, worth_it: impl Fn() -> bool) {
        self.notify(true, worth_it);
    }

    fn notify(&self, steer: bool, worth_it: impl Fn() -> bool) {
        fence(Ordering::SeqCst);
        if self.searching.load(Ordering::SeqCst) == 0 {
            self.wake_one_if(steer, worth_it);
        }
    }

    /// Rule 2: the calling worker, back from idle (searching, or woken), starts something.
    /// Wakes another searcher if nobody searches, a worker sleeps and `work_left` (read after
    /// the fence: work remains that a slot is free to run) holds.
    pub fn found_work(&self, work_left: impl Fn() -> bool) {
        self.notify_work(work_left);
    }

    /// Rule 3: searches until `look` finds something (true) or the budget runs out (false);
    /// `ran_since_parked` picks the budget. The caller counts as a searcher only while this
    /// runs: on true it goes on to take the work, on false it parks.
    pub fn search(&self, ran_since_parked: bool, look: impl Fn() -> bool) -> bool {
        self.searching.fetch_add(1, Ordering::SeqCst);
        let backoff = Backoff::new();
        let mut looks = 0;
        let found = loop {
            if look() {
                break true;
            }
            looks += 1;
            if ran_since_parked {
                if backoff.is_completed() {
                    break false;
                }
                backoff.snooze();
            } else {
                if looks >= SPARE_LOOKS {
                    break false;
                }
                backoff.spin();
            }
        };
        // Stop counting as a searcher before the last check in `sleep`, so that a poster that
        // saw this worker searching and woke nobody is seen by that check.
        self.searching.fetch_sub(1, Ordering::SeqCst);
        found
    }

    /// Rule 4: blocks worker `index` (the caller) until woken, unless `has_work` (checked
    /// after registering) says there is something to do; returns at once in that case.
    pub fn sleep(&self, index: usize, has_work: impl Fn() -> bool) {
        let mut state = self.lock();
        state.parked.push(index);
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if has_work() {
            // Still the last parked: the lock has been held since the push.
            state.parked.pop();
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        while !state.token[index] {
            state = self.condvars[index]
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.token[index] = false;
    }

    /// Wakes one sleeping worker, if any and if `worth_it` (read after the caller's fence)
    /// still holds; with `steer`, away from the caller's core.
    fn wake_one_if(&self, steer: bool, worth_it: impl Fn() -> bool) {
        if self.sleepers.load(Ordering::SeqCst) == 0 || !worth_it() {
            return;
        }
        let mut state = self.lock();
        let Some(index) = state.parked.pop() else {
            return;
        };
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        state.token[index] = true;
        let steered = match &state.seats[index] {
            Some(seat) if steer && seat.steer_from_caller() => Some(seat.clone()),
            _ => None,
        };
        self.condvars[index].notify_one();
        drop(state);
        // Only after the unlock: the woken worker runs once it has the lock again, and the
        // unlock wakes it a second time if it was waiting for it.
        if let Some(seat) = steered {
            seat.widen();
        }
    }

    /// Wakes every sleeping worker (shutdown).
    pub fn wake_all(&self) {
        fence(Ordering::SeqCst);
        let mut state = self.lock();
        let State { parked, token, .. } = &mut *state;
        self.sleepers.fetch_sub(parked.len(), Ordering::SeqCst);
        for index in parked.drain(..) {
            token[index] = true;
            self.condvars[index].notify_one();
        }
    }

    /// Loom checks: once every worker has returned from `sleep` for good, none is registered
    /// as parked and no token is left unconsumed (a token left over would let its worker skip
    /// its next park without work).
    #[cfg(loom)]
    pub fn assert_quiet(&self) {
        let state = self.lock();
        assert!(state.parked.is_empty(), "a returned worker is still parked");
        assert!(!state.token.contains(&true), "a token was never consumed");
        assert_eq!(self.sleepers.load(Ordering::SeqCst), 0);
    }

    /// Number of workers parked right now.
    pub fn sleeping(&self) -> usize {
        self.sleepers.load(Ordering::Relaxed)
    }
}

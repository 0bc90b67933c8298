//! [`Handoff`]: external tasks on their way to threads the pool does not own (the binding's
//! JavaScript worker isolates), which come and take them.
//!
//! Protocol:
//! * [`Handoff::give`] appends at the back and, if a taker is parked, wakes one, unless the
//!   item is the only one queued and a taker is spinning: that taker takes it. (A spinner
//!   that stops spinning takes the lock and looks again before it parks, and a giver that
//!   takes the lock after that sees it no longer spinning, so an item is never left with
//!   every taker parked.)
//! * [`Handoff::take`] takes the front item. When there is none, the taker spins for up to
//!   `spin` (a taker that has just finished a task is likely to get the next one within
//!   microseconds, and a parked thread takes tens of microseconds to wake on a VM), then parks
//!   for up to `wait`, then gives up with `None`. One taker spins at a time, yielding its core
//!   between looks: more spinners would only take cores from the thread that gives (on two
//!   cores, two spinning workers halved the giving thread's rate). It never parks without a bound: a JavaScript
//!   thread must get back to its event loop now and then, or its timers stop and terminating
//!   it hangs.
//! * The parked count is only changed under the queue's lock, and `give` reads it under the
//!   same lock, so a wake-up is never lost between a taker's last look and its parking.
//! * [`Handoff::close`] wakes every parked taker; from then on `take` returns what is left,
//!   then `None` at once.
//! * [`Handoff::give_back`] returns to the front an item its taker could not run.
//! * [`Handoff::withdraw`] removes a given item that no taker has taken yet (a cancelled task).
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub struct Handoff<T> {
    state: Mutex<State<T>>,
    /// Items queued: lets spinning takers look without the lock.
    len: AtomicUsize,
    /// A taker is spinning.
    spinning: AtomicBool,
    closed: AtomicBool,
    given: Condvar,
}

struct State<T> {
    queue: VecDeque<T>,
    parked: usize,
}

impl<T> Default for Handoff<T> {
    fn default() -> Self {
        Handoff {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                parked: 0,
            }),
            len: AtomicUsize::new(0),
            spinning: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            given: Condvar::new(),
        }
    }
}

impl<T> Handoff<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pop(&self, state: &mut State<T>) -> Option<T> {
        let item = state.queue.pop_front()?;
        self.len.fetch_sub(1, Ordering::Release);
        Some(item)
    }

    fn push(&self, item: T, front: bool) {
        let mut state = self.lock();
        if front {
            state.queue.push_front(item);
        } else {
            state.queue.push_back(item);
        }
        self.len.fetch_add(1, Ordering::Release);
        // A lone item goes to the spinning taker, if there is one: waking a parked taker too
        // would cost the giver a futex call, and the woken taker's core, for nothing.
        let spinner_takes_it = state.queue.len() == 1 && self.spinning.load(Ordering::Acquire);
        if state.parked > 0 && !spinner_takes_it {
            self.given.notify_one();
        }
    }

    /// Queues `item` for the next taker.
    pub fn give(&self, item: T) {
        self.push(item, false);
    }

    /// Puts back at the front an item taken and not used: the taker could not run it.
    pub fn give_back(&self, item: T) {
        self.push(item, true);
    }

    /// The front item: at once, after spinning for up to `spin`, or after parking for up to
    /// `wait`; `None` if nothing came (see the protocol above).
    pub fn take(&self, spin: Duration, wait: Duration) -> Option<T> {
        if let Some(item) = self.pop(&mut self.lock()) {
            return Some(item);
        }
        if !spin.is_zero() && !self.spinning.swap(true, Ordering::AcqRel) {
            let item = self.spin(spin);
            self.spinning.store(false, Ordering::Release);
            if item.is_some() {
                return item;
            }
        }
        let until = Instant::now() + wait;
        let mut state = self.lock();
        loop {
            if let Some(item) = self.pop(&mut state) {
                return Some(item);
            }
            let now = Instant::now();
            if now >= until || self.closed.load(Ordering::Acquire) {
                return None;
            }
            state.parked += 1;
            state = self
                .given
                .wait_timeout(state, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.parked -= 1;
        }
    }

    /// Looks for an item until `spin` has passed, yielding the core between looks.
    fn spin(&self, spin: Duration) -> Option<T> {
        let until = Instant::now() + spin;
        while Instant::now() < until && !self.closed.load(Ordering::Acquire) {
            if self.len.load(Ordering::Acquire) > 0 {
                if let Some(item) = self.pop(&mut self.lock()) {
                    return Some(item);
                }
            }
            std::thread::yield_now();
        }
        None
    }

    /// Removes the first queued item for which `matches` is true, if no taker has taken it.
    pub fn withdraw(&self, matches: impl Fn(&T) -> bool) -> Option<T> {
        let mut state = self.lock();
        let at = state.queue.iter().position(matches)?;
        let item = state.queue.remove(at)?;
        self.len.fetch_sub(1, Ordering::Release);
        Some(item)
    }

    /// Items given and not taken yet.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Wakes every parked taker; takers no longer wait (see the protocol above).
    pub fn close(&self) {
        let _state = self.lock();
        self.closed.store(true, Ordering::Release);
        self.given.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    const LONG: Duration = Duration::from_secs(10);

    #[test]
    fn items_are_taken_in_the_order_given() {
        let handoff = Handoff::default();
        for i in 0..5 {
            handoff.give(i);
        }
        let taken: Vec<_> = (0..5)
            .filter_map(|_| handoff.take(Duration::ZERO, Duration::ZERO))
            .collect();
        assert_eq!(taken, [0, 1, 2, 3, 4]);
        assert_eq!(handoff.take(Duration::ZERO, Duration::ZERO), None);
    }

    #[test]
    fn a_parked_taker_is_woken_by_give() {
        let handoff = Arc::new(Handoff::default());
        let taker = {
            let handoff = handoff.clone();
            thread::spawn(move || handoff.take(Duration::ZERO, LONG))
        };
        while handoff.lock().parked == 0 {
            thread::yield_now();
        }
        handoff.give(7);
        assert_eq!(taker.join().unwrap(), Some(7));
    }

    #[test]
    fn close_releases_parked_takers() {
        let handoff: Arc<Handoff<u32>> = Arc::default();
        let takers: Vec<_> = (0..2)
            .map(|_| {
                let handoff = handoff.clone();
                thread::spawn(move || handoff.take(Duration::ZERO, LONG))
            })
            .collect();
        while handoff.lock().parked < 2 {
            thread::yield_now();
        }
        handoff.close();
        for taker in takers {
            assert_eq!(taker.join().unwrap(), None);
        }
    }

    #[test]
    fn a_withdrawn_item_is_never_taken() {
        let handoff = Handoff::default();
        handoff.give(1);
        handoff.give(2);
        assert_eq!(handoff.withdraw(|&i| i == 1), Some(1));
        assert_eq!(handoff.withdraw(|&i| i == 1), None);
        assert_eq!(handoff.len(), 1);
        assert_eq!(handoff.take(Duration::ZERO, Duration::ZERO), Some(2));
    }

    /// A lone item given while a taker spins wakes no parked taker; if the spin ends first,
    /// the spinner's last look (or a wake) must still get it taken. Round trips one item at a
    /// time, given at once or after the spins have ended, with spins short enough to end at
    /// any moment: an item left with every taker parked would wait out their 20 s wait and
    /// fail the bound.
    #[test]
    fn a_lone_item_is_never_left_while_every_taker_is_parked() {
        let handoff: Arc<Handoff<u32>> = Arc::default();
        let taken = Arc::new(AtomicUsize::new(0));
        const TRIPS: usize = 2000;
        let takers: Vec<_> = (0..2)
            .map(|t| {
                let (handoff, taken) = (handoff.clone(), taken.clone());
                thread::spawn(move || {
                    let mut spin = 1;
                    while let Some(_item) =
                        handoff.take(Duration::from_micros(spin), Duration::from_secs(20))
                    {
                        taken.fetch_add(1, Ordering::AcqRel);
                        spin = (spin * 7 + t) % 40 + 1;
                    }
                })
            })
            .collect();
        for trip in 0..TRIPS {
            if trip % 3 == 0 {
                thread::sleep(Duration::from_micros(60)); // past the spin: both takers park
            }
            handoff.give(trip as u32);
            let deadline = Instant::now() + Duration::from_secs(5);
            while taken.load(Ordering::Acquire) <= trip {
                assert!(Instant::now() < deadline, "item {trip} was not taken");
                thread::yield_now();
            }
        }
        handoff.close();
        takers.into_iter().for_each(|t| t.join().unwrap());
    }

    #[test]
    fn every_item_given_by_many_threads_is_taken_once() {
        let handoff: Arc<Handoff<u32>> = Arc::default();
        let givers: Vec<_> = (0..4)
            .map(|g| {
                let handoff = handoff.clone();
                thread::spawn(move || (0..1000).for_each(|i| handoff.give(g * 1000 + i)))
            })
            .collect();
        let count = Arc::new(AtomicUsize::new(0));
        let takers: Vec<_> = (0..3)
            .map(|_| {
                let (handoff, count) = (handoff.clone(), count.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while count.load(Ordering::Acquire) < 4000 {
                        let wait = Duration::from_millis(5);
                        if let Some(i) = handoff.take(Duration::from_micros(50), wait) {
                            got.push(i);
                            count.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                    got
                })
            })
            .collect();
        givers.into_iter().for_each(|g| g.join().unwrap());
        let mut all: Vec<u32> = takers.into_iter().flat_map(|t| t.join().unwrap()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..4000).collect::<Vec<_>>());
    }
}

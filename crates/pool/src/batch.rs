//! Completion batching: many producers, one consumer that is notified once per batch.
//!
//! Protocol: producers append under a lock. The push that finds the batch unscheduled marks it
//! scheduled and returns `true`: that producer (and only it) must notify the consumer. The
//! consumer's `drain` takes every item and clears the mark under the same lock, so an item
//! pushed after a drain starts a new batch and a new notification, and no item is ever left
//! behind without a notification in flight. With the JS thread as consumer this turns N
//! completions into one threadsafe-function call per turn of its event loop instead of N.
//!
//! A consumer that wants some items at once (the JS thread, for the tasks a call of its own
//! hands out) brackets that call with `hold` and `release_taking`: the hold marks the batch
//! scheduled, so pushes in between notify nobody; the release takes the items it selects, in
//! order, and leaves the others with a notification: the one already in flight, if the hold
//! found one, else one the releaser must send (`release_taking` returns true).
use std::mem;
use std::sync::{Mutex, PoisonError};

pub struct Batch<T> {
    inner: Mutex<Inner<T>>,
}

/// A batch held by its consumer (see [`Batch::hold`]).
pub struct Hold {
    /// A notification was in flight when the hold began.
    notified: bool,
}

struct Inner<T> {
    items: Vec<T>,
    scheduled: bool,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            inner: Mutex::new(Inner {
                items: Vec::new(),
                scheduled: false,
            }),
        }
    }
}

impl<T> Batch<T> {
    /// Appends `item`. Returns true when the caller must notify the consumer.
    #[must_use = "the consumer must be notified when push returns true"]
    pub fn push(&self, item: T) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.items.push(item);
        !mem::replace(&mut inner.scheduled, true)
    }

    /// Marks the batch scheduled without notifying until `release_taking`.
    #[must_use = "a hold must be released"]
    pub fn hold(&self) -> Hold {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Hold {
            notified: mem::replace(&mut inner.scheduled, true),
        }
    }

    /// Ends `hold`: moves into `out` the items `take` selects, in order and at most `limit`,
    /// and leaves the others. Returns true when the caller must notify the consumer for them.
    #[must_use = "the consumer must be notified when release_taking returns true"]
    pub fn release_taking(
        &self,
        hold: Hold,
        out: &mut Vec<T>,
        limit: usize,
        mut take: impl FnMut(&T) -> bool,
    ) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut room = limit;
        out.extend(inner.items.extract_if(.., |item| {
            let taken = room > 0 && take(item);
            room -= usize::from(taken);
            taken
        }));
        if hold.notified {
            return false; // that notification drains what is left
        }
        inner.scheduled = !inner.items.is_empty();
        inner.scheduled
    }

    /// Takes everything pushed so far, leaving `buffer`'s allocation for the next batch.
    pub fn drain(&self, buffer: &mut Vec<T>) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.scheduled = false;
        mem::swap(&mut inner.items, buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifies_once_per_batch() {
        let batch = Batch::default();
        assert!(batch.push(1));
        assert!(!batch.push(2));
        let mut out = Vec::new();
        batch.drain(&mut out);
        assert_eq!(out, vec![1, 2]);
        assert!(batch.push(3), "a push after a drain starts a new batch");
    }

    #[test]
    fn a_release_takes_what_it_selects_and_leaves_the_rest_notified() {
        let batch = Batch::default();
        let hold = batch.hold();
        assert!(!batch.push(1), "during a hold, pushes notify nobody");
        assert!(!batch.push(2));
        assert!(!batch.push(3));
        let mut odd = Vec::new();
        assert!(
            batch.release_taking(hold, &mut odd, 8, |n| n % 2 == 1),
            "2 is left: the releaser notifies"
        );
        assert_eq!(odd, vec![1, 3]);
        assert!(
            !batch.push(4),
            "the releaser's notification covers later pushes"
        );
        let mut rest = Vec::new();
        batch.drain(&mut rest);
        assert_eq!(rest, vec![2, 4]);

        let hold = batch.hold();
        assert!(!batch.push(5));
        let mut all = Vec::new();
        assert!(!batch.release_taking(hold, &mut all, 8, |_| true));
        assert_eq!(all, vec![5]);
        assert!(
            batch.push(6),
            "nothing left, nothing in flight: the next push notifies"
        );
    }

    #[test]
    fn a_release_leaves_items_to_a_notification_already_in_flight_and_respects_its_limit() {
        let batch = Batch::default();
        assert!(batch.push(1)); // a notification is on its way
        let hold = batch.hold();
        assert!(!batch.push(2));
        assert!(!batch.push(3));
        let mut taken = Vec::new();
        assert!(!batch.release_taking(hold, &mut taken, 1, |_| true));
        assert_eq!(taken, vec![1]);
        let mut rest = Vec::new();
        batch.drain(&mut rest);
        assert_eq!(rest, vec![2, 3]);
    }
}

//! Completion batching: many producers, one consumer that is notified once per batch.
//!
//! Protocol: producers append under a lock. The push that finds the batch unscheduled marks it
//! scheduled and returns `true`: that producer (and only it) must notify the consumer. The
//! consumer's `drain` takes every item and clears the mark under the same lock, so an item
//! pushed after a drain starts a new batch and a new notification, and no item is ever left
//! behind without a notification in flight. With the JS thread as consumer this turns N
//! completions into one threadsafe-function call per turn of its event loop instead of N.
//!
//! A consumer about to drain anyway (the JS thread, right after a call that makes workers
//! push) first calls `hold`: it marks the batch scheduled, so pushes until its `drain` notify
//! nobody, and that drain takes them. A notification already in flight stays in flight and
//! may find the batch empty.
use std::mem;
use std::sync::{Mutex, PoisonError};

pub struct Batch<T> {
    inner: Mutex<Inner<T>>,
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

    /// Marks the batch scheduled without notifying: the caller promises to `drain` next.
    pub fn hold(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scheduled = true;
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
    fn a_hold_silences_pushes_until_the_drain() {
        let batch = Batch::default();
        batch.hold();
        assert!(!batch.push(1), "the holder drains: nobody else notifies");
        let mut out = Vec::new();
        batch.drain(&mut out);
        assert_eq!(out, vec![1]);
        assert!(batch.push(2), "after the drain, pushes notify again");
    }
}

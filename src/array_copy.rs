//! Copies of ordinary typed arrays, taken at submission, at memory bandwidth.
//!
//! A kernel cannot read an array over an ordinary `ArrayBuffer` in place: the caller may
//! write to it, transfer or detach it once `submit` returns. The copy itself is cheap (a
//! `memcpy`), but its destination is fresh memory, which Linux maps one 4 KiB page at a time on
//! first write: on the 2-core VM the benchmarks run on, `to_vec` of 32 MB took 62 ms, 45 of
//! them in page faults (about 5 us each), against 8 ms for the same copy into memory already
//! mapped. So a copy of [`HUGE_PAGE`] or more goes to memory aligned to 2 MiB and advised as
//! huge pages (`MADV_HUGEPAGE`, honoured when transparent huge pages are `always` or
//! `madvise`, the usual settings): one fault per 2 MiB. The kernel still zeroes each huge page
//! before the copy writes it, so a copy of [`PARALLEL_PART`] or more is split over a few
//! scoped threads (at most the cores, at most [`MAX_THREADS`]), each faulting and filling its
//! own huge pages: the caller waits for all of them, as for one `memcpy`. Elsewhere, and for
//! small arrays, it is a plain `Vec`.
//!
//! Zeroing and mapping fresh huge pages still costs about as much as the copy itself, so the
//! buffers of freed huge copies are kept for the next copies of the same size ([`Spares`]): a
//! caller that passes arrays of one size again and again (the usual case) copies into memory
//! already mapped. At most [`SPARE_COUNT`] buffers and [`SPARE_BYTES`] are kept; beyond
//! that the oldest is freed. That memory stays with the process until a copy takes it back.
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Mutex;

/// Size and alignment of a transparent huge page on x86-64 and aarch64 (4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// Fewest bytes per thread of a parallel copy: a thread costs tens of microseconds to start,
/// a copy of 8 MiB about a millisecond.
const PARALLEL_PART: usize = 8 << 20;

/// Most threads of one copy: memory bandwidth, not cores, is the limit beyond a few.
const MAX_THREADS: usize = 4;

/// An owned copy of a slice, in huge pages when it is large (see the module's doc).
pub(crate) enum ArrayCopy<T> {
    Small(Vec<T>),
    /// `len` elements at `ptr`, in an allocation of `layout`.
    Huge {
        ptr: NonNull<T>,
        len: usize,
        layout: Layout,
    },
}

// SAFETY: `Huge` owns its allocation like a `Vec<T>` does; the `Copy` element types
// used here (f64, u8) are Send and Sync.
unsafe impl<T: Send> Send for ArrayCopy<T> {}
// SAFETY: as above; shared access only reads.
unsafe impl<T: Sync> Sync for ArrayCopy<T> {}

impl<T: Copy + Sync> ArrayCopy<T> {
    pub fn of(data: &[T]) -> Self {
        let bytes = std::mem::size_of_val(data);
        if bytes < HUGE_PAGE || !cfg!(target_os = "linux") {
            return ArrayCopy::Small(data.to_vec());
        }
        let Ok(layout) = Layout::from_size_align(bytes.next_multiple_of(HUGE_PAGE), HUGE_PAGE)
        else {
            return ArrayCopy::Small(data.to_vec());
        };
        let ptr = SPARES.take(layout).unwrap_or_else(|| {
            // SAFETY: the layout's size is not zero (`bytes` >= HUGE_PAGE).
            let Some(ptr) = NonNull::new(unsafe { alloc(layout) }) else {
                handle_alloc_error(layout)
            };
            advise_huge_pages(ptr.as_ptr(), layout.size());
            ptr
        });
        let ptr = ptr.cast::<T>();
        copy_in_parallel(data, SendPtr(ptr.as_ptr()));
        ArrayCopy::Huge {
            ptr,
            len: data.len(),
            layout,
        }
    }
}

/// A pointer another thread may hold: the destination of a parallel copy (each thread writes
/// its own part, and the caller waits for them), or a spare buffer (which only [`Spares`] holds).
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: see the type's doc: no two threads use the memory at once.
unsafe impl<T> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// The pointer (a method, so that closures capture the whole `SendPtr`).
    fn get(self) -> *mut T {
        self.0
    }
}

/// Most buffers [`Spares`] keeps.
const SPARE_COUNT: usize = 4;

/// Most bytes [`Spares`] keeps: two 8M-double arrays' worth.
const SPARE_BYTES: usize = 128 << 20;

/// Buffers of freed huge copies, oldest first, each with the layout it was allocated with.
/// Only [`ArrayCopy::of`] takes them back (one of exactly the layout it needs); nothing else
/// touches them.
struct Spares(Mutex<Vec<(SendPtr<u8>, Layout)>>);

static SPARES: Spares = Spares(Mutex::new(Vec::new()));

impl Spares {
    /// A kept buffer of exactly `layout`, if there is one.
    fn take(&self, layout: Layout) -> Option<NonNull<u8>> {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let index = kept.iter().rposition(|(_, l)| *l == layout)?;
        NonNull::new(kept.remove(index).0.get())
    }

    /// Keeps a freed copy's buffer (allocated with `layout`, no longer used), freeing the
    /// oldest ones beyond the bounds, or this one if it alone is beyond them.
    fn keep(&self, ptr: NonNull<u8>, layout: Layout) {
        let mut freed = Vec::new();
        {
            let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
            kept.push((SendPtr(ptr.as_ptr()), layout));
            let mut bytes: usize = kept.iter().map(|(_, l)| l.size()).sum();
            while kept.len() > SPARE_COUNT || bytes > SPARE_BYTES {
                let (oldest, l) = kept.remove(0);
                bytes -= l.size();
                freed.push((oldest, l));
            }
        }
        for (ptr, layout) in freed {
            // SAFETY: allocated by `ArrayCopy::of` with this layout, and no longer in `kept`
            // nor used by any copy: freed once (here).
            unsafe { dealloc(ptr.get(), layout) };
        }
    }
}

/// Copies `data` to `dst` in parts of whole huge pages, one per thread, this thread included.
fn copy_in_parallel<T: Copy + Sync>(data: &[T], dst: SendPtr<T>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (std::mem::size_of_val(data) / PARALLEL_PART).clamp(1, cores.min(MAX_THREADS));
    let page = HUGE_PAGE / std::mem::size_of::<T>().max(1);
    let part = data.len().div_ceil(threads).next_multiple_of(page);
    let copy = move |start: usize| {
        let piece = &data[start..(start + part).min(data.len())];
        // SAFETY: `dst` holds `data.len()` elements (see `ArrayCopy::of`), is aligned for T and
        // does not overlap `data`; each part `[start, start + part)` is written by one thread.
        unsafe { std::ptr::copy_nonoverlapping(piece.as_ptr(), dst.get().add(start), piece.len()) };
    };
    std::thread::scope(|scope| {
        for start in (part..data.len()).step_by(part) {
            scope.spawn(move || copy(start));
        }
        copy(0);
    });
}

/// Asks Linux to back `[ptr, ptr + len)` with huge pages; without them it still works, slower.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    // SAFETY: the range is one allocation of ours, not yet touched; the advice changes how it
    // is backed, not its contents or validity. A refusal (EINVAL where THP is compiled out)
    // changes nothing.
    unsafe { libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE) };
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _len: usize) {}

impl<T> Deref for ArrayCopy<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            ArrayCopy::Small(data) => data,
            // SAFETY: `of` initialised `len` elements at `ptr`, owned by `self` until dropped.
            ArrayCopy::Huge { ptr, len, .. } => unsafe {
                std::slice::from_raw_parts(ptr.as_ptr(), *len)
            },
        }
    }
}

impl<T> Drop for ArrayCopy<T> {
    fn drop(&mut self) {
        if let ArrayCopy::Huge { ptr, layout, .. } = self {
            SPARES.keep(ptr.cast(), *layout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A huge copy freed then taken again of the same size reuses the buffer, and holds the
    /// new elements, not the old ones.
    #[test]
    fn freed_huge_buffers_are_reused_for_the_same_size() {
        if !cfg!(target_os = "linux") {
            return;
        }
        // A size no other test uses, so that a spare of theirs cannot be taken here.
        let len = 5 * HUGE_PAGE / 8 + 3;
        let first: Vec<f64> = (0..len).map(|i| i as f64).collect();
        let copy = ArrayCopy::of(&first);
        let ptr = copy.as_ptr();
        drop(copy);
        let second: Vec<f64> = (0..len).map(|i| -(i as f64)).collect();
        let again = ArrayCopy::of(&second);
        assert_eq!(again.as_ptr(), ptr, "the freed buffer was not reused");
        assert_eq!(&*again, &second[..]);
    }

    #[test]
    fn copies_hold_the_same_elements_small_and_huge() {
        for len in [
            0,
            1,
            1000,
            HUGE_PAGE / 8 - 1,
            HUGE_PAGE / 8,
            3 * HUGE_PAGE / 8 + 5,
        ] {
            let data: Vec<f64> = (0..len).map(|i| i as f64 * 0.5).collect();
            let copy = ArrayCopy::of(&data);
            assert_eq!(&*copy, &data[..]);
            let huge = matches!(copy, ArrayCopy::Huge { .. });
            assert_eq!(
                huge,
                cfg!(target_os = "linux") && len * 8 >= HUGE_PAGE,
                "len {len}"
            );
        }
    }
}

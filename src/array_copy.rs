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
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ops::Deref;
use std::ptr::NonNull;

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
        // SAFETY: the layout's size is not zero (`bytes` >= HUGE_PAGE).
        let Some(ptr) = NonNull::new(unsafe { alloc(layout) }) else {
            handle_alloc_error(layout)
        };
        advise_huge_pages(ptr.as_ptr(), layout.size());
        let ptr = ptr.cast::<T>();
        copy_in_parallel(data, SendPtr(ptr.as_ptr()));
        ArrayCopy::Huge {
            ptr,
            len: data.len(),
            layout,
        }
    }
}

/// The destination of a parallel copy, handed to its threads (each writes its own part).
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: see the type's doc: the threads write disjoint parts, and the caller waits for them.
unsafe impl<T> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// The pointer (a method, so that closures capture the whole `SendPtr`).
    fn get(self) -> *mut T {
        self.0
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
            // SAFETY: allocated by `of` with this layout, freed once (here).
            unsafe { dealloc(ptr.as_ptr().cast(), *layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! Copies of ordinary typed arrays, taken at submission, at memory bandwidth.
//!
//! A kernel cannot read an array over an ordinary `ArrayBuffer` in place: the caller may
//! write to it, transfer or detach it once `submit` returns. The copy itself is cheap (a
//! `memcpy`), but its destination is fresh memory, which Linux maps one 4 KiB page at a time on
//! first write: on the 2-core VM the benchmarks run on, `to_vec` of 32 MB took 62 ms, 45 of
//! them in page faults (about 5 us each), against 8 ms for the same copy into memory already
//! mapped. So a copy of [`HUGE_PAGE`] or more goes to memory aligned to 2 MiB and advised as
//! huge pages (`MADV_HUGEPAGE`, honoured when transparent huge pages are `always` or
//! `madvise`, the usual settings): one fault per 2 MiB. Elsewhere, and for small arrays, it is
//! a plain `Vec`.
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ops::Deref;
use std::ptr::NonNull;

/// Size and alignment of a transparent huge page on x86-64 and aarch64 (4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

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

impl<T: Copy> ArrayCopy<T> {
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
        // SAFETY: the allocation holds `data.len()` elements of T (`bytes` rounded up), is
        // aligned for T (2 MiB is a multiple of any element's alignment), and is new, so it
        // does not overlap `data`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), ptr.as_ptr(), data.len()) };
        ArrayCopy::Huge {
            ptr,
            len: data.len(),
            layout,
        }
    }
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

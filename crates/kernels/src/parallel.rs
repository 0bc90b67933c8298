//! Splitting a kernel's work over the pool with fork-join.
//!
//! Work is halved recursively with [`Context::join`] down to pieces of a given grain, so
//! idle workers steal the biggest pieces first and a kernel on a one-worker pool simply runs
//! its pieces in order. Cancellation: no piece starts once the task's flag is up, a leaf may
//! stop early when it sees the flag, and the split returns an error if the flag is up when all
//! pieces are done (the flag never goes down again, so no partial result slips through).
use std::ops::Range;

use ferris_kernel_sdk::{cancelled, Context, KernelError};

/// Pieces per worker a split aims for, so that a worker done early still finds some to steal.
const PIECES_PER_WORKER: usize = 8;

/// Grain for splitting `len` items: about [`PIECES_PER_WORKER`] pieces per worker, never
/// smaller than `min` items (below which forking costs more than it saves).
pub fn grain(ctx: &Context<'_>, len: usize, min: usize) -> usize {
    grain_for(ctx.workers(), len, min)
}

/// [`grain`] for a pool of `workers`; also the host's grain for `Context::for_range` when the
/// kernel leaves the choice to it.
pub(crate) fn grain_for(workers: usize, len: usize, min: usize) -> usize {
    (len / (workers.max(1) * PIECES_PER_WORKER)).max(min).max(1)
}

fn checked<R>(ctx: &Context<'_>, result: R) -> Result<R, KernelError> {
    if ctx.is_cancelled() {
        Err(cancelled())
    } else {
        Ok(result)
    }
}

/// A leaf of [`reduce`]: the pieces' context and range.
pub type ReduceLeaf<'a, R> = dyn Fn(&Context<'_>, Range<usize>) -> R + Sync + 'a;

/// Runs `leaf` on consecutive pieces of `range` no longer than `grain`, in parallel, and
/// combines their results pairwise, in order: `combine(left, right)`.
pub fn reduce<R: Send>(
    ctx: &Context<'_>,
    range: Range<usize>,
    grain: usize,
    leaf: &ReduceLeaf<'_, R>,
    combine: &(dyn Fn(R, R) -> R + Sync),
) -> Result<R, KernelError> {
    fn split<R: Send>(
        ctx: &Context<'_>,
        range: Range<usize>,
        grain: usize,
        leaf: &ReduceLeaf<'_, R>,
        combine: &(dyn Fn(R, R) -> R + Sync),
    ) -> Option<R> {
        if ctx.is_cancelled() {
            return None;
        }
        if range.len() <= grain {
            return Some(leaf(ctx, range));
        }
        let mid = range.start + range.len() / 2;
        let (left, right) = ctx.join(
            |ctx| split(ctx, range.start..mid, grain, leaf, combine),
            |ctx| split(ctx, mid..range.end, grain, leaf, combine),
        );
        Some(combine(left?, right?))
    }
    let result = split(ctx, range, grain.max(1), leaf, combine);
    checked(ctx, result)?.ok_or_else(cancelled)
}

/// A leaf of [`for_rows`]: the piece's context, the index of its first row, and its rows.
pub type RowsLeaf<'a, T> = dyn Fn(&Context<'_>, usize, &mut [T]) + Sync + 'a;

/// Runs `leaf` over `data` cut into whole rows of `row_len` items, at most `grain_rows` rows
/// per piece, in parallel.
pub fn for_rows<T: Send>(
    ctx: &Context<'_>,
    data: &mut [T],
    row_len: usize,
    grain_rows: usize,
    leaf: &RowsLeaf<'_, T>,
) -> Result<(), KernelError> {
    fn split<T: Send>(
        ctx: &Context<'_>,
        data: &mut [T],
        row_len: usize,
        first_row: usize,
        grain_rows: usize,
        leaf: &RowsLeaf<'_, T>,
    ) {
        let rows = data.len() / row_len;
        if ctx.is_cancelled() {
            return;
        }
        if rows <= grain_rows {
            return leaf(ctx, first_row, data);
        }
        let half = rows / 2;
        let (top, bottom) = data.split_at_mut(half * row_len);
        ctx.join(
            |ctx| split(ctx, top, row_len, first_row, grain_rows, leaf),
            |ctx| split(ctx, bottom, row_len, first_row + half, grain_rows, leaf),
        );
    }
    if row_len > 0 && !data.is_empty() {
        split(ctx, data, row_len, 0, grain_rows.max(1), leaf);
    }
    checked(ctx, ())
}

//! Stack budget for the interpreter: how far below its entry point the current poll has recursed.
//!
//! Interpreting nested expressions recurses through boxed futures, and each
//! level costs stack (several KiB in debug builds). A count limit alone
//! cannot know how big a level is, so the entry point records the stack
//! address it is polled at, and the recursive steps refuse to go deeper than
//! [`STACK_BUDGET`] below it. Poll always starts from the task's root, so
//! the comparison is between frames of the same thread and the same poll.

use super::interp::BoxFut;
use crate::otp::rpc::Exception;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Stack the interpreter may use below its entry (tokio workers have 2 MiB).
pub(super) const STACK_BUDGET: usize = 640 * 1024;

thread_local! {
    static BASE: Cell<usize> = const { Cell::new(0) };
}

#[inline(never)]
fn here() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Has the current poll used up the interpreter's stack budget?
pub(super) fn exhausted() -> bool {
    let base = BASE.with(Cell::get);
    base != 0 && base.abs_diff(here()) > STACK_BUDGET
}

/// Wraps the interpreter's entry future: while it is polled, its frame is the
/// base the budget is measured from (an inner entry keeps the outer base).
pub(super) struct Rooted<'a, T> {
    inner: BoxFut<'a, T>,
}

impl<'a, T> Rooted<'a, T> {
    pub(super) fn new(inner: BoxFut<'a, T>) -> Self {
        Rooted { inner }
    }
}

struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        BASE.with(|b| b.set(0));
    }
}

impl<T> Future for Rooted<'_, T> {
    type Output = Result<T, Exception>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _reset = if BASE.with(Cell::get) == 0 {
            BASE.with(|b| b.set(here()));
            Some(Reset)
        } else {
            None
        };
        self.inner.as_mut().poll(cx)
    }
}

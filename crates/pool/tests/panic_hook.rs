//! The pool's panic hook (see `unwind.rs`): a panic the pool catches is reported with its
//! location and not printed; any other panic still reaches the hook installed before. In a
//! test binary of its own: the hook is process-wide.
mod common;

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{pool, run_task};
use ferris_pool::SchedulerKind;

#[test]
fn caught_panics_are_not_printed_and_other_panics_reach_the_previous_hook() {
    // Stands for the default hook (which prints): counts the panics it is given.
    let printed = Arc::new(AtomicUsize::new(0));
    let seen = printed.clone();
    panic::set_hook(Box::new(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    }));

    let (pool, hooks) = pool(2, SchedulerKind::WorkStealing);
    let outcome = run_task(&pool, &hooks, |_| -> () { panic!("kernel exploded") });
    let message = outcome.expect_err("the task panicked");
    assert!(message.starts_with("kernel exploded (at "), "{message}");
    assert!(message.contains("panic_hook.rs:"), "{message}");
    // A forked job's panic, resumed on the forker, keeps the location where it happened.
    let forked = run_task(&pool, &hooks, |ctx| {
        ctx.join(|_| 1, |_| -> i32 { panic!("forked half exploded") })
    });
    let forked = forked.expect_err("the forked half panicked");
    assert!(forked.starts_with("forked half exploded (at "), "{forked}");
    assert_eq!(
        printed.load(Ordering::SeqCst),
        0,
        "a caught panic was printed"
    );

    // A panic on a thread that is not the pool's still goes to the previous hook.
    let other = std::thread::spawn(|| panic!("not the pool's")).join();
    assert!(other.is_err());
    assert_eq!(printed.load(Ordering::SeqCst), 1);
    // So does a panic outside any task on the thread that submitted them.
    let outside = panic::catch_unwind(|| panic!("outside the pool"));
    assert!(outside.is_err());
    assert_eq!(printed.load(Ordering::SeqCst), 2);
    let _ = panic::take_hook();
}

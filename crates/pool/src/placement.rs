//! Where a woken worker runs: a worker that wakes a sibling for a job it forked keeps it off
//! its own core.
//!
//! Linux places a woken thread on its waker's core when it judges that core about to be free
//! (`wake_affine`); some kernels do so on purpose (the VMs of our benchmarks boot with
//! `sched_vcpu_pack`). A worker that wakes a sibling for a job it forked is not about to be
//! free: it goes on running its task, and the sibling waits behind it until the load balancer
//! moves one of them, which on those VMs took 1.5-3 ms, as long as the kernels it was woken to
//! help with. So for the wake only, the forking worker narrows the sibling's allowed cores to
//! the ones it had minus its own, and widens them back right after: the kernel still picks
//! the core among the others, and nothing stays pinned (several processes
//! on one machine keep the whole machine to share). Only wakes for forked jobs steer, which
//! come from a worker in the middle of a task: a task submitted from outside the pool is
//! better started on the submitting thread's core, which that thread leaves soon (on those VMs
//! a worker woken there started in 30 us, one woken on an idle core in 80-110 us), and a burst
//! of short queued tasks is handed on worker to worker so often that the two system calls of a
//! steered wake (5-10 us, at times 60) cost `map` over 100 000 tiny items 5-19 % of its rate
//! in paired runs of `npm run bench:overhead`.
//!
//! On other systems, and under loom, every function here does nothing.

#[cfg(all(target_os = "linux", not(loom)))]
mod imp {
    use std::cell::Cell;
    use std::mem;

    thread_local! {
        /// Set on pool workers: only they steer the siblings they wake.
        static IS_WORKER: Cell<bool> = const { Cell::new(false) };
    }

    /// A worker thread as the kernel knows it: its id and the cores it may run on.
    #[derive(Clone)]
    pub(crate) struct Seat {
        pub(in crate::placement) tid: libc::pid_t,
        allowed: libc::cpu_set_t,
    }

    impl Seat {
        /// The calling thread's seat; marks it as a pool worker. `None` if the kernel does not
        /// say which cores the thread may use.
        pub(crate) fn take() -> Option<Seat> {
            IS_WORKER.with(|w| w.set(true));
            // SAFETY: the gettid system call has no preconditions (made directly: glibc has the
            // wrapper only from 2.30 on, and the release addon must load on glibc 2.17, where
            // `libc::gettid` is an undefined symbol); cpu_set_t is plain data, valid all zeros,
            // and sched_getaffinity writes at most `size_of::<cpu_set_t>()` bytes into it.
            unsafe {
                let mut allowed: libc::cpu_set_t = mem::zeroed();
                let tid = libc::syscall(libc::SYS_gettid) as libc::pid_t;
                let got =
                    libc::sched_getaffinity(0, mem::size_of::<libc::cpu_set_t>(), &mut allowed);
                (got == 0).then_some(Seat { tid, allowed })
            }
        }

        fn set(&self, cores: &libc::cpu_set_t) -> bool {
            // SAFETY: `cores` is a valid cpu_set_t of the size given; a thread that has exited
            // makes the call fail with ESRCH, which is harmless (the pool joins its workers
            // before dropping their seats, so it does not happen).
            unsafe {
                libc::sched_setaffinity(self.tid, mem::size_of::<libc::cpu_set_t>(), cores) == 0
            }
        }

        /// Called by the thread waking this seat's worker, before the wake: keeps the worker
        /// off the caller's current core if the caller is a pool worker and the seat allows
        /// another core. Returns whether it did (then call [`Seat::widen`] after the wake).
        pub(crate) fn steer_from_caller(&self) -> bool {
            if !IS_WORKER.with(Cell::get) {
                return false;
            }
            // SAFETY: sched_getcpu has no preconditions.
            let Ok(mine) = usize::try_from(unsafe { libc::sched_getcpu() }) else {
                return false;
            };
            let mut others = self.allowed;
            // SAFETY: CPU_ISSET/CPU_CLR/CPU_COUNT only read and write inside the set; an index
            // beyond it is ignored.
            unsafe {
                if !libc::CPU_ISSET(mine, &others) {
                    return false;
                }
                libc::CPU_CLR(mine, &mut others);
                if libc::CPU_COUNT(&others) == 0 {
                    return false;
                }
            }
            self.set(&others)
        }

        /// Gives the worker back every core it had.
        pub(crate) fn widen(&self) {
            self.set(&self.allowed);
        }
    }
}

#[cfg(not(all(target_os = "linux", not(loom))))]
mod imp {
    #[derive(Clone)]
    pub(crate) struct Seat;

    impl Seat {
        pub(crate) fn take() -> Option<Seat> {
            None
        }

        pub(crate) fn steer_from_caller(&self) -> bool {
            false
        }

        pub(crate) fn widen(&self) {}
    }
}

pub(crate) use imp::Seat;

#[cfg(all(test, target_os = "linux", not(loom)))]
mod tests {
    use std::mem;
    use std::sync::mpsc::channel;

    use super::Seat;

    fn cores_of(tid: libc::pid_t) -> libc::cpu_set_t {
        // SAFETY: as in `Seat::take`.
        unsafe {
            let mut set: libc::cpu_set_t = mem::zeroed();
            assert_eq!(
                libc::sched_getaffinity(tid, mem::size_of::<libc::cpu_set_t>(), &mut set),
                0
            );
            set
        }
    }

    /// A worker steering a parked sibling: during the wake the sibling may use every core it
    /// had but the waker's; afterwards every core again. A thread that is not a worker does
    /// not steer.
    #[test]
    fn a_worker_keeps_the_sibling_it_wakes_off_its_own_core_for_the_wake_only() {
        let (seat_tx, seat_rx) = channel();
        let (done_tx, done_rx) = channel::<()>();
        let sibling = std::thread::spawn(move || {
            seat_tx.send(Seat::take().unwrap()).unwrap();
            done_rx.recv().unwrap();
        });
        let seat = seat_rx.recv().unwrap();
        let before = cores_of(seat.tid);
        assert!(!seat.steer_from_caller(), "the test thread is no worker");

        let waker = std::thread::spawn(move || {
            let _mine = Seat::take().unwrap();
            let steered = seat.steer_from_caller();
            let during = cores_of(seat.tid);
            seat.widen();
            (steered, during, cores_of(seat.tid))
        });
        let (steered, during, after) = waker.join().unwrap();
        // SAFETY: CPU_COUNT/CPU_ISSET only read the sets.
        unsafe {
            if libc::CPU_COUNT(&before) > 1 {
                assert!(steered);
                // The core the waker was on when it steered (it may have moved since).
                assert_eq!(libc::CPU_COUNT(&during), libc::CPU_COUNT(&before) - 1);
            } else {
                assert!(!steered, "one core: nowhere else to go");
            }
            assert_eq!(libc::CPU_COUNT(&after), libc::CPU_COUNT(&before));
            for cpu in 0..libc::CPU_SETSIZE as usize {
                assert_eq!(libc::CPU_ISSET(cpu, &after), libc::CPU_ISSET(cpu, &before));
            }
        }
        done_tx.send(()).unwrap();
        sibling.join().unwrap();
    }
}

use std::sync::Arc;

use super::*;
use crate::sync::Ordering;

const ZERO: Option<Duration> = Some(Duration::ZERO);
const T: Holder = Holder::Transient;
const H: Holder = Holder::Handle;

#[test]
fn readers_share_and_exclude_writers() {
    let l = FileLock::default();
    l.read(T, ZERO).expect("free");
    l.read(H, ZERO).expect("shared");
    assert_eq!(
        l.holds(),
        Holds::Shared {
            handles: 1,
            transient: 1
        }
    );
    assert_eq!(l.write(T, ZERO), Err(LockTimedOut));
    l.unlock_read(T);
    l.unlock_read(H);
    assert_eq!(l.holds(), Holds::None);
    l.write(H, ZERO).expect("free");
    assert_eq!(l.holds(), Holds::Exclusive(H));
    assert_eq!(l.read(T, ZERO), Err(LockTimedOut));
    assert_eq!(l.write(T, ZERO), Err(LockTimedOut));
    l.unlock_write(H);
    assert_eq!(l.holds(), Holds::None);
}

#[test]
fn a_timed_wait_gives_up_and_leaves_the_lock_usable() {
    let l = FileLock::new_handle_write_locked();
    assert_eq!(
        l.read(T, Some(Duration::from_millis(20))),
        Err(LockTimedOut)
    );
    assert_eq!(
        l.write(T, Some(Duration::from_millis(20))),
        Err(LockTimedOut)
    );
    l.unlock_write(H);
    l.read(T, ZERO)
        .expect("free again: the timed-out writer left no trace");
    l.unlock_read(T);
}

#[test]
fn a_huge_timeout_means_wait_forever_not_overflow() {
    let l = Arc::new(FileLock::new_handle_write_locked());
    let waiter = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.read(T, Some(Duration::MAX)))
    };
    l.unlock_write(H);
    assert_eq!(waiter.join().expect("no panic"), Ok(()));
}

/// Spins until `condition` holds; fails the test if it never does.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never happened"
        );
        std::thread::yield_now();
    }
}

#[test]
fn a_waiting_writer_blocks_new_readers_then_gets_the_lock() {
    let l = Arc::new(FileLock::default());
    l.read(T, ZERO).expect("free");
    let writer = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.write(H, None))
    };
    // Once the writer waits, a new reader must be refused.
    wait_until("the writer waiting", || l.writers_waiting() > 0);
    assert_eq!(l.read(T, ZERO), Err(LockTimedOut));
    l.unlock_read(T);
    assert_eq!(writer.join().expect("no panic"), Ok(()));
    assert_eq!(l.holds(), Holds::Exclusive(H));
    l.unlock_write(H);
}

#[test]
fn a_writer_timing_out_wakes_readers_queued_behind_it() {
    let l = Arc::new(FileLock::default());
    l.read(T, ZERO).expect("free");
    let writer = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.write(H, Some(Duration::from_millis(100))))
    };
    wait_until("the writer waiting", || l.writers_waiting() > 0);
    // A reader now queues behind the waiting writer and must be let in
    // when the writer gives up, without any unlock happening.
    let reader = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.read(T, None))
    };
    assert_eq!(writer.join().expect("no panic"), Err(LockTimedOut));
    assert_eq!(reader.join().expect("no panic"), Ok(()));
    l.unlock_read(T);
    l.unlock_read(T);
    assert_eq!(l.holds(), Holds::None);
}

#[test]
fn the_relinker_is_busy_at_once_while_a_handle_holds_the_file() {
    let l = FileLock::default();
    l.read(H, ZERO).expect("free");
    l.read(T, ZERO).expect("shared");
    assert_eq!(l.relink(), Err(Busy));
    l.unlock_read(H);
    l.unlock_read(T);
    l.write(H, ZERO).expect("free");
    assert_eq!(l.relink(), Err(Busy));
    l.unlock_write(H);
    assert_eq!(l.holds(), Holds::None);
}

#[test]
fn the_relinkers_holds_nest_and_the_last_releases_the_lock() {
    let l = FileLock::default();
    l.relink().expect("free");
    l.relink().expect("its own hold: nested, not busy");
    assert_eq!(l.holds(), Holds::Relinker);
    assert_eq!(l.read(H, ZERO), Err(LockTimedOut));
    assert_eq!(l.write(T, ZERO), Err(LockTimedOut));
    l.unlock_relink();
    assert_eq!(l.holds(), Holds::Relinker, "one nested hold is left");
    l.unlock_relink();
    assert_eq!(l.holds(), Holds::None);
    l.write(T, ZERO).expect("free again");
    l.unlock_write(T);
}

#[test]
fn the_relinker_waits_for_transient_holders_and_keeps_new_holders_out() {
    for transient_writer in [false, true] {
        let l = Arc::new(FileLock::default());
        if transient_writer {
            l.write(T, ZERO).expect("free");
        } else {
            l.read(T, ZERO).expect("free");
            l.read(T, ZERO).expect("shared");
        }
        let relinker = {
            let l = Arc::clone(&l);
            std::thread::spawn(move || l.relink())
        };
        wait_until("the relinker waiting", || l.relinker_waiting());
        // No new hold of any kind while it waits, so it cannot become busy.
        assert_eq!(l.read(H, ZERO), Err(LockTimedOut));
        assert_eq!(l.read(T, ZERO), Err(LockTimedOut));
        assert_eq!(l.write(H, ZERO), Err(LockTimedOut));
        if transient_writer {
            l.unlock_write(T);
        } else {
            l.unlock_read(T);
            l.unlock_read(T);
        }
        assert_eq!(relinker.join().expect("no panic"), Ok(()));
        assert_eq!(l.holds(), Holds::Relinker);
        l.unlock_relink();
        assert_eq!(l.holds(), Holds::None);
    }
}

#[test]
fn the_relinkers_depth_lives_in_the_word_and_leaves_no_trace() {
    let l = FileLock::default();
    for _ in 0..1000 {
        l.relink().expect("free or nested");
    }
    assert_eq!(Word(l.word.load(Ordering::Relaxed)).relink_depth(), 1000);
    assert_eq!(l.read(T, ZERO), Err(LockTimedOut));
    for _ in 0..1000 {
        assert_eq!(l.holds(), Holds::Relinker);
        l.unlock_relink();
    }
    assert_eq!(l.holds(), Holds::None);
    assert_eq!(l.word.load(Ordering::Relaxed), 0, "no bit left behind");
}

#[test]
fn a_full_reader_count_makes_the_next_reader_wait_not_overflow() {
    let full = Word::COUNT_MAX << Word::count_shift(H);
    let l = FileLock::with_word(Word(full));
    assert_eq!(
        l.read(H, ZERO),
        Err(LockTimedOut),
        "no room for another handle"
    );
    l.read(T, ZERO)
        .expect("transient readers are counted apart");
    l.unlock_read(T);
    assert_eq!(
        l.holds(),
        Holds::Shared {
            handles: Word::COUNT_MAX as u32,
            transient: 0
        }
    );
    // A handle that waits for room gets in when one goes.
    let l = Arc::new(l);
    let waiter = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.read(H, None))
    };
    wait_until("the reader waiting", || {
        Word(l.word.load(Ordering::Relaxed)).waiting()
    });
    l.unlock_read(H);
    assert_eq!(waiter.join().expect("no panic"), Ok(()));
}

#[test]
fn the_waiting_bits_go_once_the_last_waiter_does() {
    let l = Arc::new(FileLock::default());
    l.read(T, ZERO).expect("free");
    let relinker = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.relink())
    };
    wait_until("the relinker waiting", || l.relinker_waiting());
    let writer = {
        let l = Arc::clone(&l);
        std::thread::spawn(move || l.write(H, None))
    };
    wait_until("the writer waiting", || l.writers_waiting() > 0);
    l.unlock_read(T);
    assert_eq!(relinker.join().expect("no panic"), Ok(()));
    assert!(!l.relinker_waiting());
    assert!(
        Word(l.word.load(Ordering::Relaxed)).waiting(),
        "the writer still waits"
    );
    l.unlock_relink();
    assert_eq!(writer.join().expect("no panic"), Ok(()));
    assert_eq!(l.holds(), Holds::Exclusive(H));
    l.unlock_write(H);
    assert_eq!(l.word.load(Ordering::Relaxed), 0, "no bit left behind");
}

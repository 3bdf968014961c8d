//! Loom models of the dmemfs locking and publication protocols.
//!
//! The models live in `tests/models/` and are compiled only with
//! `--cfg loom`, which also switches every dmemfs crate's `sync` facade to
//! loom's primitives, so each model runs the code that ships (the file lock,
//! the quota ledger, file storage, the reply slot and request channel, the
//! filesystem itself) under loom's exhaustive scheduler:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 CARGO_TARGET_DIR=target/loom \
//!     cargo test -p loom-tests --release
//! ```
//!
//! | file | protocol | properties |
//! |---|---|---|
//! | `file_lock.rs` | per-file reader/writer lock | mutual exclusion; no lost wake-up; try and timeout paths return; a waiting writer is not starved by readers |
//! | `quota.rs` | quota ledger | reservations never exceed the limit; a dropped reservation returns exactly what it took; the ledger returns to zero |
//! | `chunk_list.rs` | chunk-list publication | a reader sees a whole old or new list during an append or truncate; retired chunks are freed |
//! | `actor.rs` | reply slot, request channel, actor engine | a reply is never lost; a caller of a dropped actor gets an error, not a hang |
//! | `open_remove.rs` | handle open versus remove, rename, replacing import; the writer's batch holding file locks; reads without a handle versus a rename | never both succeed; never both fail; a lock the batch holds is never `ResourceBusy` to the batch; a transient read never makes a rename busy |
//! | `twin.rs` | the writer's twin trees (left-right publication) | a held snapshot never changes; readers see publications in order; none is lost, whether the twin was reused or a reader held it |
//! | `relink.rs` | the tree writer's hold versus handles and transient holders | waits out transient holders and is never refused by them; never waits for a handle; no lost wake-up |
//!
//! Each protocol also has a deliberately broken variant (a copy with one
//! defect, run through the same model) in a `#[should_panic]` test, which
//! shows that the model catches the defect.
//!
//! In a normal build this crate is empty and its test binary holds one test
//! that only says where the models are.

// The library holds no code; the models in `tests/models/` are crates of
// their own and use `unsafe` to reach loom's `UnsafeCell`.
#![forbid(unsafe_code)]

//! Property tests over the pure core: nothing in it may panic (a panic in the Wasm build is a
//! trap that poisons the module for every later send), and what it answers must follow the
//! contract whatever it is given.
//!
//! Each property first replays the inputs kept in `tests/corpus/<target>/*.json` (inputs that
//! once found a bug or sit on an edge; add one there for every failure this suite finds), then
//! runs `PROPTEST_CASES` generated cases (default 256, so `cargo test` stays fast). Failures are
//! not persisted by proptest (no `proptest-regressions/` files): put the minimal input in the
//! corpus instead. The number of cases and the time of each property are printed on stderr even
//! when the test passes. The longer run is `scripts/fuzz.sh`.

// proptest is a native dev-dependency: under `wasm-pack test` this crate compiles to nothing.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod config;
mod generators;
mod harness;
mod interpret;
mod render;
mod send;
mod signing;

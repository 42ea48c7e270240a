//! Stillpoint's integration tests, in one crate so that they link once.
//!
//! - `scenes`: every shipped scene validates; broken scenes give the right
//!   error at the right line and column; arbitrary input never panics.
//! - `cli`: the command line as a user runs it.
//! - `app`: the whole app headless, driven by intents and keys.
//! - `audio`: the mix rendered offline: loudness, peaks, spatial cues,
//!   pause and resume, sessions changed mid-way, no allocation while it
//!   plays.
//! - `exposure`: graded exposure: steps, glides, places behind the veil,
//!   events, the safe place and back, the format's errors, the commands.
//! - `headset`: the app in Monado's simulated headset, end to end.
//! - `console`: the therapist's console over HTTP on loopback: pairing,
//!   the token, `Host` and `Origin` checks, bad input, controls.
//! - `journal`: the session record: recorded as it happens, the command
//!   line, the report, deletes that leave no trace, and a writer killed at
//!   random moments.
//! - `remote`: the app's WebRTC end against one made in the test, over
//!   loopback: the data channel both ways, the therapist's voice in the mix.
//! - `render`: real frames of every shipped scene, rendered offscreen on
//!   the CPU (lavapipe), checked pixel by pixel, and the picture's phase
//!   changes against the sound's chimes over an hour.
//! - `tidy`: what reading the source can check: the pure cores import no
//!   Bevy ECS, rodio or axum, and every file says what it owns.

mod app;
mod audio;
mod cli;
mod common;
mod console;
mod exposure;
mod headset;
mod journal;
mod remote;
mod render;
mod scenes;
mod tidy;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts each thread's heap allocations and frees, so that a test can
/// check that a piece of code (the mix) makes none.
struct Counting;

thread_local! {
    static TOUCHES: Cell<u64> = const { Cell::new(0) };
}

fn touch() {
    // During a thread's teardown its counter may be gone: nothing to count.
    let _ = TOUCHES.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed to the system allocator unchanged; the
// counter is a thread-local cell that itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        touch();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        touch();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        touch();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        touch();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations, reallocations and frees made on this thread so far.
pub fn allocations_here() -> u64 {
    TOUCHES.with(Cell::get)
}

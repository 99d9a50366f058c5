//! Spilling during a one-shot index of a large tree: values parked in anonymous temporary files and
//! references packed compactly, so the whole tree's facts are never held in memory at once.

pub mod packed;
pub mod park;

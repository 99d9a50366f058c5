//! Typed ids of the resolved index: [`SymbolId`] and [`FileId`], so that a file id can never index the
//! symbol table.
//!
//! Both are dense `u32` indices, assigned by the graph builder in file-path order (files) and file-then-source
//! order (symbols); a snapshot stores them as plain little-endian `u32`, which `#[repr(transparent)]` and
//! `Pod` make a zero-copy cast. Per-file facts ([`crate::model::SymbolFact::parent`], `RefFact::from`) use
//! *local* indices within one file, not these ids.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The id of the `index`-th entry. Panics when `index` does not fit a `u32`, which the snapshot
            /// writer rules out before any id is made (it refuses more than `u32::MAX - 1` entries).
            pub fn new(index: usize) -> Self {
                Self(u32::try_from(index).expect(concat!(stringify!($name), " overflows u32")))
            }

            /// The id as an index into the table it names.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// Every id below `count`, in order.
            pub fn all(count: usize) -> impl DoubleEndedIterator<Item = Self> + ExactSizeIterator {
                (0..count as u32).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

dense_id!(
    /// Global id of a symbol: its index in `IndexData::symbols` and in a snapshot's symbol table.
    SymbolId
);
dense_id!(
    /// Global id of a file: its index in `IndexData::files` and in a snapshot's file table (sorted by path).
    FileId
);

impl SymbolId {
    /// "No symbol": the parent of a top-level symbol in records and snapshots (`u32::MAX` on disk).
    pub const NONE: SymbolId = SymbolId(u32::MAX);

    /// The `local`-th symbol of a file whose first symbol is `self` (per-file facts count symbols from 0).
    pub fn local(self, local: u32) -> SymbolId {
        SymbolId(self.0 + local)
    }

    /// `None` for [`SymbolId::NONE`], the id otherwise.
    pub fn some(self) -> Option<SymbolId> {
        (self != Self::NONE).then_some(self)
    }
}

//! One module per LSP method or tight family of methods (rust-analyzer's `handlers/`, ruff's
//! `api/requests/`). Request handlers are plain functions of a [`crate::world::WorldSnapshot`] and the
//! request's parameters, run on the blocking pool by [`crate::dispatch`]; they decide what to answer with
//! `leindex_engine::navigate` and the engine's queries, and shape it with [`crate::to_proto`].
//! Notification handlers (text sync, configuration, watched files) run in arrival order on the async side.

pub mod call_hierarchy;
pub mod code_lens;
pub mod configuration;
pub mod deep_analyze;
pub mod definition;
pub mod document_symbol;
pub mod hover;
pub mod impact;
pub mod references;
pub mod search;
pub mod status;
pub mod text_sync;
pub mod watched_files;
pub mod workspace_symbol;

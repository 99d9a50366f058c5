//! The JSON-RPC 2.0 checks both LeIndex front doors share: the LSP server (`Content-Length` framed, in
//! `leindex-lsp`'s `framing` module) and the MCP bridge (newline-delimited, through [`lines`]). Neither the
//! LSP library (tower-lsp-server) nor the MCP library (rmcp) survives every malformed message, so each
//! front door reads its input itself, hands every body to [`check`], forwards only what passes —
//! re-serialized, with lone surrogate escapes repaired — and answers the rest with the error response that
//! [`Rejection::response`] builds.
//!
//! The rules (JSON-RPC 2.0, section 5.1, and what the two libraries accept):
//!
//! | body | answer |
//! |---|---|
//! | not UTF-8, empty, not JSON, nested deeper than serde_json's limit of 128 | `-32700` Parse error, id `null` |
//! | JSON that is not an object (`null`, `42`, `"x"`) | `-32600` Invalid Request, id `null` |
//! | an array: a batch (also `[]`) — batches are not supported | one `-32600`, id `null`, for the whole batch |
//! | an object that is not a request, notification or response (see [`Invalid`]) | `-32600`, with the request's `id` when it has a `method` and a string or number `id`, else `null` |
//! | a string holding a lone UTF-16 surrogate escape (`"\udc00"`, as JavaScript's `JSON.stringify` writes) | none: the escape becomes `\ufffd` and the message goes through |
//!
//! A message without `method` is a response to one of the server's own requests: its `id` is in the
//! server's numbering, so a rejection of it is answered with id `null`, never with that `id`.

pub mod lines;
mod message;
mod surrogates;

pub use message::{
    INVALID_REQUEST, Invalid, Kind, Message, PARSE_ERROR, Rejection, check, error_response,
};
pub use surrogates::repair_lone_surrogates;

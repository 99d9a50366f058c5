//! `workspace/didChangeConfiguration`: new settings (`{leindex: {...}}`) apply at once; lenses are
//! refreshed when the client supports it, and bad settings are shown to the user, not applied.

use crate::lens::Settings;
use crate::server::Backend;
use std::sync::atomic::Ordering;
use tower_lsp_server::ls_types::{DidChangeConfigurationParams, MessageType};

/// Applies the settings (a `null` payload, which pull-model clients send, changes nothing).
pub async fn did_change(backend: &Backend, params: DidChangeConfigurationParams) {
    if params.settings.is_null() {
        return;
    }
    match Settings::from_json(&params.settings) {
        Ok(settings) => {
            backend.set_settings(settings);
            tracing::info!(?settings, "settings changed");
            if backend.support.lens_refresh.load(Ordering::Relaxed)
                && let Err(e) = backend.client.code_lens_refresh().await
            {
                tracing::debug!(error = %e, "codeLens/refresh failed");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "settings not applied");
            backend
                .client
                .show_message(MessageType::WARNING, format!("LeIndex: {e}"))
                .await;
        }
    }
}

//! `leindex mcp --http`: MCP over streamable HTTP (rmcp's `StreamableHttpService`, served by axum), so that
//! several clients share one process — one set of snapshot mappings, one writer. It binds to loopback by
//! default, requires a bearer token on every request and refuses browser origins it was not told to allow
//! (the MCP specification's security warning for local HTTP servers: DNS rebinding and cross-site calls).

use crate::roots::Roots;
use crate::tools::Bridge;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Port of `--http` given without an address (`127.0.0.1:7437`; unassigned by IANA).
pub const DEFAULT_PORT: u16 = 7437;

/// The path of the MCP endpoint.
pub const ENDPOINT: &str = "/mcp";

/// The environment variable holding the bearer token; without it a token is generated at start.
pub const TOKEN_ENV: &str = "LEINDEX_MCP_TOKEN";

/// Bytes of randomness in a generated token (256 bits, printed as 64 hex digits).
const TOKEN_BYTES: usize = 32;

/// The HTTP transport's flags.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct HttpArgs {
    /// Serve MCP over streamable HTTP instead of stdio, at `PORT`, `HOST:PORT`, or (no value)
    /// 127.0.0.1:7437; port 0 picks a free one. The endpoint is `/mcp`; every request needs
    /// `Authorization: Bearer <token>`: LEINDEX_MCP_TOKEN, else a token generated and printed at start.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
    pub http: Option<String>,
    /// A browser origin allowed to call the HTTP endpoint (e.g. `http://localhost:6274`; repeatable).
    /// Requests from other origins are refused (403); requests without an `Origin` header (programs, not
    /// browsers) are served.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    pub allowed_origins: Vec<String>,
}

impl HttpArgs {
    /// The address to serve on: `None` for stdio. Errors: the message for a value that is neither a port
    /// nor `HOST:PORT` with an IP address.
    pub fn address(&self) -> Result<Option<SocketAddr>, String> {
        let Some(raw) = self.http.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        if raw.is_empty() {
            return Ok(Some(SocketAddr::new(loopback, DEFAULT_PORT)));
        }
        if let Ok(port) = raw.parse::<u16>() {
            return Ok(Some(SocketAddr::new(loopback, port)));
        }
        let raw = raw
            .strip_prefix("localhost:")
            .map_or_else(|| raw.to_string(), |port| format!("127.0.0.1:{port}"));
        raw.parse::<SocketAddr>().map(Some).map_err(|_| {
            format!("--http {raw}: expected a port (7437), HOST:PORT (127.0.0.1:7437) or nothing")
        })
    }
}

/// The bearer token every request must carry: [`TOKEN_ENV`] when set and not blank, else 256 random bits
/// in hex. The flag says whether it was generated (and must be shown to the user). Errors: the OS has no
/// randomness to give.
fn bearer_token() -> Result<(String, bool), String> {
    if let Ok(token) = std::env::var(TOKEN_ENV)
        && !token.trim().is_empty()
    {
        return Ok((token.trim().to_string(), false));
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| format!("cannot generate a bearer token: {e}"))?;
    let hex = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, true))
}

/// Serves MCP at `http://address/mcp` until SIGINT or SIGTERM: one rmcp session per client, all answering
/// for the same `roots`. Prints the URL (and a generated token) on stdout once listening — stdout is not
/// the protocol here, and a script starting the server reads the bound port from it. Returns why it
/// stopped; errors: the address cannot be bound, the token cannot be generated, the server fails.
pub async fn serve(
    roots: Arc<Roots>,
    address: SocketAddr,
    args: &HttpArgs,
) -> Result<String, String> {
    let (token, generated) = bearer_token()?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let config = transport_config(bound, &args.allowed_origins);
    let stop = config.cancellation_token.clone();
    let service = StreamableHttpService::new(
        move || Ok(Bridge::new(roots.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app =
        axum::Router::new()
            .route_service(ENDPOINT, service)
            .layer(middleware::from_fn_with_state(
                Arc::<str>::from(token.as_str()),
                require_bearer_token,
            ));
    announce(bound, generated.then_some(token.as_str()));
    tracing::info!(%bound, endpoint = ENDPOINT, token_from_env = !generated, "serving MCP over streamable HTTP");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Ends the open SSE streams, which graceful shutdown would otherwise wait for.
            stop.cancel();
        })
        .await
        .map_err(|e| format!("the HTTP server failed: {e}"))?;
    Ok("stopped by a signal".to_string())
}

/// rmcp's transport settings: `Host` must name the bound address (or `localhost` on loopback) — rmcp's
/// DNS-rebinding check —, and `Origin`, when a request carries one, must be one of `allowed_origins`.
fn transport_config(bound: SocketAddr, allowed_origins: &[String]) -> StreamableHttpServerConfig {
    let ip = bound.ip();
    let mut hosts = vec![ip.to_string(), format!("[{ip}]")];
    if ip.is_loopback() {
        hosts.extend(["localhost", "127.0.0.1", "::1"].map(String::from));
    } else {
        tracing::warn!(%bound, "serving MCP on a non-loopback address: anyone who can reach it and holds the token can read the project");
    }
    StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(allowed_origins.iter().cloned())
        .enforce_origin_validation()
}

/// Prints where the server listens and, when it was generated, the token — on stdout, flushed, so that a
/// person sees it and a script can read it.
fn announce(bound: SocketAddr, generated_token: Option<&str>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "MCP endpoint: http://{bound}{ENDPOINT}");
    match generated_token {
        Some(token) => {
            let _ = writeln!(out, "Bearer token: {token}");
            let _ = writeln!(out, "(set {TOKEN_ENV} to choose the token)");
        }
        None => {
            let _ = writeln!(out, "Bearer token: the value of {TOKEN_ENV}");
        }
    }
    let _ = out.flush();
}

/// The middleware in front of every route: a request without `Authorization: Bearer <token>`, or with
/// another token, gets 401 with `WWW-Authenticate: Bearer` (RFC 6750) and never reaches the MCP service.
/// The comparison takes the same time wherever the tokens differ.
async fn require_bearer_token(
    State(token): State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match given {
        Some(t) if constant_time_eq::constant_time_eq(t.as_bytes(), token.as_bytes()) => {
            next.run(request).await
        }
        _ => {
            tracing::info!(path = %request.uri().path(), "refused a request without the bearer token");
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                format!("missing or wrong bearer token: send `Authorization: Bearer <token>` (the token printed at start, or {TOKEN_ENV})\n"),
            )
                .into_response()
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cannot watch SIGTERM: {e}");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(flag: Option<&str>) -> Result<Option<SocketAddr>, String> {
        HttpArgs {
            http: flag.map(String::from),
            allowed_origins: vec![],
        }
        .address()
    }

    #[test]
    fn the_address_defaults_to_loopback() {
        let cases = [
            (None, Ok(None)),
            (Some(""), Ok(Some("127.0.0.1:7437"))),
            (Some("8080"), Ok(Some("127.0.0.1:8080"))),
            (Some("localhost:9"), Ok(Some("127.0.0.1:9"))),
            (Some("0.0.0.0:80"), Ok(Some("0.0.0.0:80"))),
            (Some("[::1]:80"), Ok(Some("[::1]:80"))),
            (Some("example.com:80"), Err(())),
            (Some("70000"), Err(())),
        ];
        for (flag, want) in cases {
            let got = address(flag)
                .map(|a| a.map(|a| a.to_string()))
                .map_err(|_| ());
            let want = want.map(|a| a.map(String::from));
            assert_eq!(got, want, "--http {flag:?}");
        }
    }
}

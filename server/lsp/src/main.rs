//! `leindex-lsp`: the LeIndex language server over stdio. Logs go to stderr (stdout is the protocol);
//! `LEINDEX_LOG` sets the filter (`debug` logs every request's timing).

// The process allocator (mimalloc, with its options set before main): declared by the binaries only.
use leindex_alloc as _;

fn main() -> std::process::ExitCode {
    // `--version` lets editor plugins check the binary before starting it (as rust-analyzer's do).
    // `--stdio` is what generic clients pass to choose the transport (vscode-languageclient's
    // `TransportKind.stdio`, for one): stdio is the only one, so it is accepted and changes nothing. Any
    // other argument is an error rather than silently ignored.
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("--version" | "-V") => {
                println!("leindex-lsp {}", env!("CARGO_PKG_VERSION"));
                return std::process::ExitCode::SUCCESS;
            }
            Some("--stdio") => {}
            _ => {
                eprintln!(
                    "leindex-lsp: unknown argument `{}`; it speaks LSP on stdio and takes only --stdio and --version",
                    arg.to_string_lossy()
                );
                return std::process::ExitCode::from(2);
            }
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEINDEX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = leindex_lsp::serve_stdio() {
        eprintln!("leindex-lsp: cannot start the async runtime: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

//! The real `leindex-lsp` binary driven by clients we did not write, on a scratch copy of the tokio corpus:
//! node's `vscode-languageserver-protocol` (the protocol layer of VS Code's language client,
//! `tests/lsp/vscode_client.js`). Needs `npm ci` in `tests/lsp` and the corpus; a missing prerequisite
//! fails under CI and skips otherwise.

use leindex_test_support::{corpus, missing, repo, runs, scratch_corpus, sibling_bin};
use std::process::Command;

/// Runs a client under test and returns the first stdout line containing `marker`, from the marker on
/// (headless Neovim may print messages ahead of it on the same line); fails with the client's output and
/// the tail of its stderr when it exits non-zero or prints no such line.
fn run_client(cmd: &mut Command, what: &str, marker: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
    let line = stdout
        .lines()
        .find_map(|l| l.find(marker).map(|at| &l[at..]));
    assert!(
        out.status.success() && line.is_some(),
        "{what} failed ({}): {stdout}\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let line = line.unwrap_or_default().to_string();
    eprintln!("{what}: {line}");
    line
}

/// The `leindex` CLI built next to the server (what the editor plugins start) and a scratch copy of tokio;
/// `None` (skipped, or failed under CI) when either is missing.
fn cli_and_tokio() -> Option<(std::path::PathBuf, tempfile::TempDir, std::path::PathBuf)> {
    let cli = sibling_bin(env!("CARGO_BIN_EXE_leindex-lsp"), "leindex");
    if !cli.exists() {
        return missing("the leindex CLI is not built: cargo test --release --workspace");
    }
    let (tmp, project) = scratch_corpus("tokio")?;
    Some((cli, tmp, project))
}

/// `tests/lsp`, when its node_modules (vscode-languageserver-protocol) are installed; `None` (skipped, or
/// failed under CI) otherwise.
fn lsp_client_dir() -> Option<std::path::PathBuf> {
    let dir = repo().join("tests/lsp");
    if !dir
        .join("node_modules/vscode-languageserver-protocol")
        .exists()
    {
        return missing("vscode-languageserver-protocol not installed: run npm ci in tests/lsp");
    }
    Some(dir)
}

/// `timeout 300 nvim --headless -u NONE -c "luafile <script>"` from the repository root.
fn nvim(script: &str) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "nvim", "--headless", "-u", "NONE", "-c"])
        .arg(format!("luafile {script}"))
        .current_dir(repo());
    cmd
}

#[test]
fn vscode_languageserver_protocol_client() {
    let Some(dir) = lsp_client_dir() else {
        return;
    };
    if !runs("node", &["--version"], "node is not installed") {
        return;
    }
    let Some((_tmp, project)) = scratch_corpus("tokio") else {
        return;
    };
    // The MCP bridge (built by the same `cargo test --workspace`) and its Inspector CLI check that an
    // assistant sees the editor's unsaved edit.
    let bridge = sibling_bin(env!("CARGO_BIN_EXE_leindex-lsp"), "leindex-mcp");
    let inspector = repo().join("tests/mcp/node_modules/.bin/mcp-inspector");
    if !bridge.exists() || !inspector.exists() {
        missing::<()>(
            "leindex-mcp or the MCP Inspector missing: cargo test --workspace, npm ci in tests/mcp",
        );
        return;
    }
    let line = run_client(
        Command::new("node")
            .arg("vscode_client.js")
            .current_dir(&dir)
            .env("LEINDEX_LSP_BIN", env!("CARGO_BIN_EXE_leindex-lsp"))
            .env("LEINDEX_MCP_BIN", &bridge)
            .env("MCP_INSPECTOR", &inspector)
            .env("LEINDEX_PROJECT", &project),
        "vscode client",
        "{",
    );
    let summary: serde_json::Value = serde_json::from_str(&line).expect("a JSON summary");
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["bridgeSawEdit"], true, "{summary}");
}

/// Steady-state memory of the server through 10,000 edit + codeLens + resolve cycles after a 1,000-cycle
/// warm-up, with the writer publishing generations underneath (`tests/lsp/leak.js`): anonymous memory grows
/// by at most 4 MiB per 10,000 cycles (measured on 2 cores: 60 KiB and 220 KiB in two runs of about 170 s,
/// ~870 generations each).
#[test]
fn edit_and_lens_cycles_do_not_leak() {
    let Some(dir) = lsp_client_dir() else {
        return;
    };
    if !runs("node", &["--version"], "node is not installed") || corpus("tokio").is_none() {
        return;
    }
    run_client(
        Command::new("node")
            .args(["leak.js", "--cycles", "10000", "tokio"])
            .current_dir(&dir)
            .env("LEINDEX_LSP_BIN", env!("CARGO_BIN_EXE_leindex-lsp")),
        "lsp leak check",
        "growth",
    );
}

/// `--version` for editor plugins' binary checks; any other argument is refused with a message.
#[test]
fn version_flag() {
    let bin = env!("CARGO_BIN_EXE_leindex-lsp");
    let out = Command::new(bin).arg("--version").output().expect("runs");
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        version.trim(),
        format!("leindex-lsp {}", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(bin)
        .arg("--stdio-please")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stdio-please"));
}

/// Neovim's built-in LSP client (0.7.2 headless, `tests/lsp/nvim_client.lua`): lenses resolved by Neovim,
/// real buffer edits as incremental didChange with UTF-16 columns, custom requests.
#[test]
fn neovim_builtin_client() {
    if !runs(
        "nvim",
        &["--version"],
        "Neovim is not installed: apt-get install neovim",
    ) {
        return;
    }
    let Some((_tmp, project)) = scratch_corpus("tokio") else {
        return;
    };
    run_client(
        nvim("tests/lsp/nvim_client.lua")
            .env("LEINDEX_LSP_BIN", env!("CARGO_BIN_EXE_leindex-lsp"))
            .env("LEINDEX_PROJECT", &project),
        "neovim client",
        "OK {",
    );
}

/// The Neovim plugin (`editors/nvim`, headless 0.7.2, `editors/nvim/tests/e2e.lua`) with the `leindex`
/// CLI as its server, found through `LEINDEX_SERVER_PATH` as a user's setup would: attach on the project
/// root, lenses refreshed by the server, a lens command filling the quickfix list, `:LeIndexAnalyze`,
/// `:LeIndexStatus`, `:checkhealth leindex`.
#[test]
fn neovim_plugin() {
    if !runs(
        "nvim",
        &["--version"],
        "Neovim is not installed: apt-get install neovim",
    ) {
        return;
    }
    let Some((cli, _tmp, project)) = cli_and_tokio() else {
        return;
    };
    run_client(
        nvim("editors/nvim/tests/e2e.lua")
            .env("LEINDEX_SERVER_PATH", &cli)
            .env("LEINDEX_PROJECT", &project),
        "neovim plugin",
        "nvim plugin: ok:",
    );
}

/// The VS Code extension (`editors/vscode`) through `npm run ci`: strict type-check, lint, esbuild
/// bundle, unit tests — including the live ones against the `leindex` CLI on a scratch copy of tokio —
/// and `vsce package`. Needs `npm ci` in `editors/vscode`.
#[test]
fn vscode_extension() {
    let dir = repo().join("editors/vscode");
    if !dir.join("node_modules").exists() {
        missing::<()>("editors/vscode/node_modules missing: run npm ci in editors/vscode");
        return;
    }
    if !runs("npm", &["--version"], "npm is not installed") {
        return;
    }
    let Some((cli, _tmp, project)) = cli_and_tokio() else {
        return;
    };
    let summary = run_client(
        Command::new("npm")
            .args(["run", "--silent", "ci"])
            .current_dir(&dir)
            .env("LEINDEX_SERVER_PATH", &cli)
            .env("LEINDEX_PROJECT", &project),
        "vscode extension ci",
        "vscode ci: ok:",
    );
    assert!(
        summary.contains(", 0 failed,") && summary.contains("(with live server)"),
        "{summary}"
    );
}

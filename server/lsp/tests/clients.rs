//! The real `leindex-lsp` binary driven by clients we did not write, on a scratch copy of the tokio corpus:
//! node's `vscode-languageserver-protocol` (the protocol layer of VS Code's language client,
//! `tests/lsp/vscode_client.js`). Needs `npm ci` in `tests/lsp` and the corpus; a missing prerequisite
//! fails under CI and skips otherwise.

use leindex_test_support::{missing, repo, runs, scratch_corpus, sibling_bin};
use std::process::Command;

#[test]
fn vscode_languageserver_protocol_client() {
    let dir = repo().join("tests/lsp");
    if !dir
        .join("node_modules/vscode-languageserver-protocol")
        .exists()
    {
        missing::<()>("vscode-languageserver-protocol not installed: run npm ci in tests/lsp");
        return;
    }
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
    let out = Command::new("node")
        .arg("vscode_client.js")
        .current_dir(&dir)
        .env("LEINDEX_LSP_BIN", env!("CARGO_BIN_EXE_leindex-lsp"))
        .env("LEINDEX_MCP_BIN", &bridge)
        .env("MCP_INSPECTOR", &inspector)
        .env("LEINDEX_PROJECT", &project)
        .output()
        .expect("runs node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
    assert!(
        out.status.success(),
        "vscode client failed: {stdout}\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("a JSON summary");
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["bridgeSawEdit"], true, "{summary}");
    eprintln!("vscode client: {summary}");
}

/// `--version` for editor plugins' binary checks; any other argument is refused with a message.
#[test]
fn version_flag() {
    let bin = env!("CARGO_BIN_EXE_leindex-lsp");
    let out = Command::new(bin).arg("--version").output().expect("runs");
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout);
    assert_eq!(version.trim(), format!("leindex-lsp {}", env!("CARGO_PKG_VERSION")));
    let out = Command::new(bin).arg("--stdio-please").output().expect("runs");
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
    let out = Command::new("timeout")
        .args([
            "300",
            "nvim",
            "--headless",
            "-u",
            "NONE",
            "-c",
            "luafile tests/lsp/nvim_client.lua",
        ])
        .current_dir(repo())
        .env("LEINDEX_LSP_BIN", env!("CARGO_BIN_EXE_leindex-lsp"))
        .env("LEINDEX_PROJECT", &project)
        .output()
        .expect("runs nvim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fail_lines: Vec<&str> = stderr.lines().filter(|l| l.contains("FAIL")).collect();
    assert!(
        out.status.success() && stdout.contains("OK {"),
        "neovim client failed ({}): {stdout}\n{}",
        out.status,
        fail_lines.join("\n")
    );
    eprintln!("neovim client: {}", stdout.trim());
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
    let cli = sibling_bin(env!("CARGO_BIN_EXE_leindex-lsp"), "leindex");
    if !cli.exists() {
        missing::<()>("the leindex CLI is not built: cargo test --release --workspace");
        return;
    }
    let Some((_tmp, project)) = scratch_corpus("tokio") else {
        return;
    };
    let out = Command::new("timeout")
        .args([
            "300",
            "nvim",
            "--headless",
            "-u",
            "NONE",
            "-c",
            "luafile editors/nvim/tests/e2e.lua",
        ])
        .current_dir(repo())
        .env("LEINDEX_SERVER_PATH", &cli)
        .env("LEINDEX_PROJECT", &project)
        .output()
        .expect("runs nvim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
    let summary = stdout.lines().find(|l| l.starts_with("nvim plugin: ok:"));
    assert!(
        out.status.success() && summary.is_some(),
        "neovim plugin test failed ({}): {stdout}\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    eprintln!("{}", summary.unwrap_or_default());
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
    let cli = sibling_bin(env!("CARGO_BIN_EXE_leindex-lsp"), "leindex");
    if !cli.exists() {
        missing::<()>("the leindex CLI is not built: cargo test --release --workspace");
        return;
    }
    let Some((_tmp, project)) = scratch_corpus("tokio") else {
        return;
    };
    let out = Command::new("npm")
        .args(["run", "--silent", "ci"])
        .current_dir(&dir)
        .env("LEINDEX_SERVER_PATH", &cli)
        .env("LEINDEX_PROJECT", &project)
        .output()
        .expect("runs npm");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
    let summary = stdout.lines().find(|l| l.starts_with("vscode ci: ok:"));
    assert!(
        out.status.success() && summary.is_some(),
        "vscode extension ci failed ({}): {stdout}\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let summary = summary.unwrap_or_default();
    assert!(
        summary.contains(", 0 failed,") && summary.contains("(with live server)"),
        "{summary}"
    );
    eprintln!("{summary}");
}

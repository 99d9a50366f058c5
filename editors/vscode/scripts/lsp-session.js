// A minimal LSP session with the real LeIndex server, over stdio, without the `vscode` module: used by
// `capture-fixtures.js` (records the server's JSON shapes for the unit tests) and by the live unit test
// (checks the extension's request types against the server that is running now). Node-only on purpose:
// a real VS Code cannot run in CI here, but the protocol layer VS Code's client is built on can.
'use strict';

const cp = require('child_process');
const path = require('path');
const { pathToFileURL } = require('url');
const rpc = require('vscode-languageserver-protocol/node');

/** Arguments that start the LSP server from `bin`: the `leindex` CLI needs `lsp`, `leindex-lsp` none. */
function serverArgs(bin) {
  return /^leindex-lsp(\.exe)?$/i.test(path.basename(bin)) ? [] : ['lsp'];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server on `root`, initializes it with VS Code-like capabilities and `initializationOptions`,
 * and waits until the first snapshot answers `leindex/status`. Returns the connection and helpers.
 */
async function startSession(bin, root, initializationOptions) {
  const child = cp.spawn(bin, serverArgs(bin), {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LEINDEX_LOG: process.env.LEINDEX_LOG || 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin),
  );
  const refreshes = { count: 0 };
  conn.onRequest(rpc.CodeLensRefreshRequest.type, () => {
    refreshes.count += 1;
    return null;
  });
  conn.onRequest(rpc.WorkDoneProgressCreateRequest.type, () => null);
  conn.onRequest(rpc.ConfigurationRequest.type, (p) => p.items.map(() => null));
  conn.onNotification(rpc.LogMessageNotification.type, () => {});
  conn.onNotification('$/progress', () => {});
  conn.listen();
  const rootUri = pathToFileURL(root).toString();
  const init = await conn.sendRequest(rpc.InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'Visual Studio Code', version: '1.101.0' },
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: path.basename(root) }],
    initializationOptions,
    capabilities: {
      general: { positionEncodings: ['utf-16'] },
      window: { workDoneProgress: true },
      workspace: { codeLens: { refreshSupport: true }, workspaceFolders: true, configuration: true },
      textDocument: {
        synchronization: { didSave: true },
        codeLens: {},
        references: {},
        callHierarchy: {},
        hover: { contentFormat: ['markdown', 'plaintext'] },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
      },
    },
  });
  conn.sendNotification(rpc.InitializedNotification.type, {});
  const started = Date.now();
  let status;
  for (;;) {
    try {
      status = await conn.sendRequest('leindex/status');
      if (Number.isInteger(status.generation)) break;
    } catch (e) {
      if (e.code !== -32803) throw e; // RequestFailed: the first index is still running
    }
    if (Date.now() - started > 120000) throw new Error(`no index after 120 s; server stderr:\n${stderr}`);
    await sleep(100);
  }
  async function stop() {
    try {
      await conn.sendRequest(rpc.ShutdownRequest.type);
      conn.sendNotification(rpc.ExitNotification.type);
    } catch {
      // already gone
    }
    await Promise.race([new Promise((r) => child.on('exit', r)), sleep(5000)]);
    child.kill();
    conn.dispose();
  }
  return { conn, init, status, refreshes, rootUri, stop, stderr: () => stderr, rpc };
}

module.exports = { startSession, serverArgs, sleep };

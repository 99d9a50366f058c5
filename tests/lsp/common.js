// Shared by the LSP benchmark (bench.js) and leak check (leak.js): a scratch copy of a pinned corpus, the real
// leindex-lsp started over stdio with vscode-languageserver-protocol, and the wait for its first lenses.
'use strict';

const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const rpc = require('vscode-languageserver-protocol/node');

const TARGET = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/leindex-target');
const BIN = process.env.LEINDEX_LSP_BIN || path.join(TARGET, 'release/leindex-lsp');
const CORPUS = process.env.LEINDEX_CORPUS || path.join(os.homedir(), '.cache/leindex-corpus');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A scratch copy (without `.leindex`) of corpus `name`: `{tmp, root}`, or null when it was not fetched. */
function scratchCopy(name, prefix) {
  const src = path.join(CORPUS, name);
  if (!fs.existsSync(path.join(src, '.complete'))) return null;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-${name}-`));
  const root = path.join(tmp, name);
  // The index directory stays behind; `.leindex.toml` (a corpus's settings) comes along.
  fs.cpSync(src, root, { recursive: true, filter: (p) => path.basename(p) !== '.leindex' });
  return { tmp, root };
}

/** Starts the server on `root` with `LEINDEX_LOG=log`, initializes it (lens refresh supported) and returns
 * `{child, conn}`; its stderr is piped when `pipeStderr`, else ignored. */
async function startServer(root, name, log, pipeStderr) {
  const child = cp.spawn(BIN, [], { cwd: root, stdio: ['pipe', 'pipe', pipeStderr ? 'pipe' : 'ignore'], env: { ...process.env, LEINDEX_LOG: log } });
  const conn = rpc.createProtocolConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.onRequest(rpc.CodeLensRefreshRequest.type, () => null);
  conn.listen();
  await conn.sendRequest(rpc.InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(root).toString(),
    workspaceFolders: [{ uri: pathToFileURL(root).toString(), name }], capabilities: { workspace: { codeLens: { refreshSupport: true } } } });
  conn.sendNotification(rpc.InitializedNotification.type, {});
  return { child, conn };
}

/** The lenses of `uri` as soon as the first index is published (RequestFailed until then). */
async function firstLenses(conn, uri) {
  for (;;) {
    try {
      const lenses = await conn.sendRequest(rpc.CodeLensRequest.type, { textDocument: { uri } });
      if (lenses && lenses.length) return lenses;
    } catch (e) { if (e.code !== -32803) throw e; }
    await sleep(20);
  }
}

/** Shuts the server down and waits for it to exit. */
async function stopServer({ child, conn }) {
  await conn.sendRequest(rpc.ShutdownRequest.type);
  conn.sendNotification(rpc.ExitNotification.type);
  await new Promise((r) => child.on('exit', r));
}

module.exports = { BIN, CORPUS, TARGET, sleep, scratchCopy, startServer, firstLenses, stopServer };

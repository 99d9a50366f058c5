// leindex-lsp driven by vscode-languageserver-protocol (the protocol layer of VS Code's language client)
// over stdio, on a scratch copy of a real corpus (tokio). Exits non-zero with a message on the first failure.
//
// Environment: LEINDEX_LSP_BIN (the server binary), LEINDEX_PROJECT (scratch copy of tokio, editable).
'use strict';

const cp = require('child_process');
const path = require('path');
const { pathToFileURL } = require('url');
const rpc = require('vscode-languageserver-protocol/node');

const BIN = process.env.LEINDEX_LSP_BIN;
const ROOT = process.env.LEINDEX_PROJECT;
const FILE = path.join(ROOT, 'src/runtime/scheduler/multi_thread/worker.rs');
const FILE_URI = pathToFileURL(FILE).toString();

function check(cond, what) {
  if (!cond) {
    throw new Error(`check failed: ${what}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, timeoutMs, fn) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return [v, Date.now() - start];
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

async function main() {
  const child = cp.spawn(BIN, [], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LEINDEX_LOG: 'info' } });
  const conn = rpc.createProtocolConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  let refreshes = 0;
  conn.onRequest(rpc.CodeLensRefreshRequest.type, () => { refreshes += 1; return null; });
  conn.onRequest(rpc.WorkDoneProgressCreateRequest.type, () => null);
  // VS Code accepts dynamic registrations (the server asks it to watch files for it).
  const registrations = [];
  conn.onRequest(rpc.RegistrationRequest.type, (p) => { registrations.push(...p.registrations.map((r) => r.method)); return null; });
  conn.onNotification(rpc.LogMessageNotification.type, () => {});
  const progress = [];
  conn.onNotification('$/progress', (p) => progress.push(p.value.kind));
  conn.listen();

  // Capabilities as VS Code 1.9x sends them (the parts that matter here).
  const init = await conn.sendRequest(rpc.InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'Visual Studio Code', version: '1.96.0' },
    rootUri: pathToFileURL(ROOT).toString(),
    workspaceFolders: [{ uri: pathToFileURL(ROOT).toString(), name: 'tokio' }],
    capabilities: {
      general: { positionEncodings: ['utf-16'] },
      window: { workDoneProgress: true, showMessage: {}, showDocument: { support: true } },
      workspace: {
        codeLens: { refreshSupport: true },
        workspaceFolders: true,
        symbol: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
      },
      textDocument: {
        synchronization: { dynamicRegistration: true, didSave: true, willSave: true },
        codeLens: { dynamicRegistration: true },
        references: { dynamicRegistration: true },
        definition: { dynamicRegistration: true, linkSupport: true },
        hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
        documentSymbol: { dynamicRegistration: true, hierarchicalDocumentSymbolSupport: true },
        callHierarchy: { dynamicRegistration: true },
      },
    },
  });
  check(init.serverInfo && init.serverInfo.name === 'leindex-lsp', 'serverInfo');
  check(init.capabilities.textDocumentSync === rpc.TextDocumentSyncKind.Incremental, 'incremental sync');
  check(init.capabilities.experimental.leindex.deepAnalyze === true, 'experimental.leindex');
  conn.sendNotification(rpc.InitializedNotification.type, {});

  const [, indexMs] = await waitFor('the first snapshot', 60000, async () => {
    try {
      const st = await conn.sendRequest('leindex/status');
      return Number.isInteger(st.generation) ? st : null;
    } catch (e) {
      if (e.code !== -32803) throw e;
      return null; // not ready yet: RequestFailed
    }
  });

  await waitFor('the first-index progress to end', 5000, async () => progress.includes('end'));
  check(progress[0] === 'begin', `progress ${progress}`);

  const doc = { uri: FILE_URI };
  const symbols = await conn.sendRequest(rpc.DocumentSymbolRequest.type, { textDocument: doc });
  const steal = symbols.find((s) => s.name === 'steal_work');
  check(steal, 'documentSymbol lists steal_work');
  const line = steal.location.range.start.line;

  const t0 = Date.now();
  const lenses = await conn.sendRequest(rpc.CodeLensRequest.type, { textDocument: doc });
  const lensMs = Date.now() - t0;
  const lensOf = (kind) => lenses.find((l) => l.data && l.data.name === 'Core::steal_work' && l.data.lens === kind);
  check(lensOf('usage') && !lensOf('usage').command, 'unresolved usage lens on Core::steal_work');
  const resolved = await conn.sendRequest(rpc.CodeLensResolveRequest.type, lensOf('usage'));
  check(/^\d+ references? · \d+ callers?$/.test(resolved.command.title) && resolved.command.command === 'leindex.showCallers',
    `usage lens ${JSON.stringify(resolved.command)}`);
  const metrics = await conn.sendRequest(rpc.CodeLensResolveRequest.type, lensOf('metrics'));
  check(/^complexity \d+ · impact \d+$/.test(metrics.command.title) && metrics.command.command === 'leindex.showImpact',
    `metrics lens ${JSON.stringify(metrics.command)}`);

  const pos = { textDocument: doc, position: { line, character: 8 } };
  const refs = await conn.sendRequest(rpc.ReferencesRequest.type, { ...pos, context: { includeDeclaration: false } });
  check(refs.length >= 1, 'references of steal_work');
  // Each reference is the name at a call: the text its range spans (JavaScript strings count UTF-16 code
  // units, as LSP positions do) is `steal_work`.
  const { fileURLToPath } = require('url');
  for (const r of refs) {
    const at = require('fs').readFileSync(fileURLToPath(r.uri), 'utf8').split('\n')[r.range.start.line];
    const text = at.slice(r.range.start.character, r.range.end.character);
    check(r.range.start.line === r.range.end.line && text === 'steal_work', `reference ${JSON.stringify(r)} spans ${JSON.stringify(text)}`);
  }
  const callers = await conn.sendRequest(rpc.CallHierarchyIncomingCallsRequest.type, { item: (await conn.sendRequest(rpc.CallHierarchyPrepareRequest.type, pos))[0] });
  const fromRanges = callers.reduce((n, c) => n + c.fromRanges.length, 0);
  check(fromRanges === refs.length, `every reference is a call of steal_work: ${fromRanges} call ranges, ${refs.length} references`);
  const hover = await conn.sendRequest(rpc.HoverRequest.type, pos);
  check(hover.contents.value.includes('fn steal_work'), 'hover shows the signature');
  const items = await conn.sendRequest(rpc.CallHierarchyPrepareRequest.type, pos);
  const outgoing = await conn.sendRequest(rpc.CallHierarchyOutgoingCallsRequest.type, { item: items[0] });
  check(outgoing.some((c) => c.to.name.endsWith('steal_into')), 'steal_work calls steal_into');
  const wsSymbols = await conn.sendRequest(rpc.WorkspaceSymbolRequest.type, { query: 'steal work' });
  check(wsSymbols.some((s) => s.name === 'Core::steal_work'), 'workspace/symbol');

  const answer = await conn.sendRequest('leindex/deepAnalyze', { query: 'how are tasks stolen from other queues', budgetTokens: 1500, position: pos });
  check(answer.usedTokens <= 1500 && answer.entries.length > 0 && answer.freshness.writer === 'this server', 'deepAnalyze answer');
  let err = null;
  try {
    await conn.sendRequest('leindex/deepAnalyze', { query: '' });
  } catch (e) {
    err = e;
  }
  check(err && err.code === -32602, 'empty query is InvalidParams');

  // Type in the editor (unsaved): the index, and so every reader, sees the new function.
  const { readFileSync } = require('fs');
  const text = readFileSync(FILE, 'utf8');
  conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri: FILE_URI, languageId: 'rust', version: 1, text } });
  const lines = text.split('\n').length - 1;
  const typedAt = Date.now();
  conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri: FILE_URI, version: 2 },
    contentChanges: [{ range: { start: { line: lines, character: 0 }, end: { line: lines, character: 0 } }, text: '\nfn typed_in_vscode_é() -> usize { 1 }\n' }],
  });
  const [, editMs] = await waitFor('the unsaved edit in workspace/symbol', 10000, async () => {
    const found = await conn.sendRequest(rpc.WorkspaceSymbolRequest.type, { query: 'typed_in_vscode_é' });
    return found.some((s) => s.name === 'typed_in_vscode_é');
  });
  await waitFor('a codeLens refresh', 5000, async () => refreshes > 0);

  // Files changed outside the editor reach the server as VS Code reports them: it asked us to watch
  // (dynamic registration of workspace/didChangeWatchedFiles) and does not watch the tree itself.
  check(registrations.includes('workspace/didChangeWatchedFiles'), `registrations ${registrations}`);
  const status = await conn.sendRequest('leindex/status');
  check(status.writer && status.writer.watcher === 'editor', `writer watcher ${JSON.stringify(status.writer)}`);
  const { writeFileSync } = require('fs');
  const watched = path.join(ROOT, 'src', 'watched_by_editor.rs');
  writeFileSync(watched, 'pub fn reported_by_the_editor() -> u8 { 3 }\n');
  conn.sendNotification(rpc.DidChangeWatchedFilesNotification.type, { changes: [{ uri: pathToFileURL(watched).toString(), type: rpc.FileChangeType.Created }] });
  const [, watchedMs] = await waitFor('the reported file in workspace/symbol', 10000, async () => {
    const found = await conn.sendRequest(rpc.WorkspaceSymbolRequest.type, { query: 'reported_by_the_editor' });
    return found.some((s) => s.name === 'reported_by_the_editor');
  });

  // The live-index promise across processes: an MCP bridge on the same project (a reader: this server
  // holds the writer role), asked through the MCP Inspector CLI, answers with the unsaved edit.
  let bridgeSawEdit = null;
  if (process.env.LEINDEX_MCP_BIN && process.env.MCP_INSPECTOR) {
    const out = cp.execFileSync(process.env.MCP_INSPECTOR, ['--cli', process.env.LEINDEX_MCP_BIN, '--method', 'tools/call',
      '--tool-name', 'leindex_search', '--tool-arg', 'query=typed_in_vscode_é', '--tool-arg', 'limit=1'], { cwd: ROOT, encoding: 'utf8' });
    const hits = JSON.parse(out).structuredContent.hits;
    check(hits.length === 1 && hits[0].symbol === 'typed_in_vscode_é', `bridge answer ${out}`);
    check(JSON.parse(out).structuredContent.freshness.writer.startsWith('lsp pid'), 'the bridge reads what the LSP server writes');
    bridgeSawEdit = true;
  }

  await conn.sendRequest(rpc.ShutdownRequest.type);
  conn.sendNotification(rpc.ExitNotification.type);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  check(code === 0, `server exit code ${code}`);
  console.log(JSON.stringify({ ok: true, indexMs, lensMs, editToIndexMs: editMs, watchedFileMs: watchedMs, sinceTypedMs: Date.now() - typedAt, refreshes, bridgeSawEdit }));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  },
);

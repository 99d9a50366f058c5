// Records the real server's answers to every request the extension sends, as JSON fixtures for the unit
// tests (test/fixtures/*.json), so the request types in src/lsp_ext.ts are checked against what the
// server really sends rather than against what we believe it sends.
//
//   LEINDEX_SERVER_PATH=.../leindex LEINDEX_PROJECT=/tmp/scratch/tokio node scripts/capture-fixtures.js
//
// LEINDEX_PROJECT must be a scratch copy of the tokio corpus (the server writes `.leindex/` into it). The
// project root is replaced by `/PROJECT` so the fixtures do not depend on where the copy was.
'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { startSession } = require('./lsp-session');

const BIN = process.env.LEINDEX_SERVER_PATH;
const ROOT = process.env.LEINDEX_PROJECT;
const OUT = path.join(__dirname, '..', 'test', 'fixtures');

async function main() {
  if (!BIN || !ROOT) throw new Error('set LEINDEX_SERVER_PATH and LEINDEX_PROJECT (a scratch copy of tokio)');
  const s = await startSession(BIN, ROOT, { lenses: { references: true, callers: true, complexity: true, impact: true }, budgetTokens: 1500 });
  const { conn, rpc } = s;
  const uri = pathToFileURL(path.join(ROOT, 'src/runtime/scheduler/multi_thread/worker.rs')).toString();
  const doc = { uri };
  const lenses = await conn.sendRequest(rpc.CodeLensRequest.type, { textDocument: doc });
  const steal = lenses.filter((l) => l.data && l.data.name === 'Core::steal_work');
  if (steal.length === 0) throw new Error('no lens on Core::steal_work');
  const resolved = [];
  for (const l of steal) resolved.push(await conn.sendRequest(rpc.CodeLensResolveRequest.type, l));
  const [, position] = resolved[0].command.arguments;
  const pos = { textDocument: doc, position };
  const items = await conn.sendRequest(rpc.CallHierarchyPrepareRequest.type, pos);
  const incoming = await conn.sendRequest(rpc.CallHierarchyIncomingCallsRequest.type, { item: items[0] });
  const references = await conn.sendRequest(rpc.ReferencesRequest.type, { ...pos, context: { includeDeclaration: false } });
  const impact = await conn.sendRequest('leindex/impact', { ...pos, depth: 3 });
  const deepAnalyze = await conn.sendRequest('leindex/deepAnalyze', {
    query: 'how are tasks stolen from other queues',
    budgetTokens: 1500,
    position: pos,
  });
  const search = await conn.sendRequest('leindex/search', { query: 'steal work', limit: 5 });
  const status = await conn.sendRequest('leindex/status');
  let invalidParams = null;
  try {
    await conn.sendRequest('leindex/deepAnalyze', { query: '' });
  } catch (e) {
    invalidParams = { code: e.code, message: e.message };
  }
  await s.stop();

  const fixtures = {
    initialize: s.init,
    codeLens: steal,
    codeLensResolve: resolved,
    prepareCallHierarchy: items,
    incomingCalls: incoming,
    references,
    impact,
    deepAnalyze,
    search,
    status,
    invalidParams,
  };
  fs.mkdirSync(OUT, { recursive: true });
  const rootUri = pathToFileURL(ROOT).toString();
  for (const [name, value] of Object.entries(fixtures)) {
    const text = JSON.stringify(value, null, 2).split(rootUri).join('file:///PROJECT').split(ROOT).join('/PROJECT');
    fs.writeFileSync(path.join(OUT, `${name}.json`), text + '\n');
  }
  console.log(`captured ${Object.keys(fixtures).length} fixtures into ${path.relative(process.cwd(), OUT)}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  },
);

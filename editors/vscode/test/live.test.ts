// The extension's protocol logic against the real server, running now (not against stored fixtures):
// the lookup accepts the binary, every resolved lens carries a command the extension implements with
// arguments it can parse, the requests behind showCallers / showImpact / deepAnalyze / the status bar get
// answers that pass the shape checks and render with links to files that exist, and settings reach the
// server. Needs LEINDEX_SERVER_PATH (the `leindex` CLI or `leindex-lsp`) and LEINDEX_PROJECT (a scratch
// copy of the tokio corpus, which the server indexes into `.leindex/`); skipped without them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readSettings, serverSettings, didChangeConfigurationParams } from '../src/config';
import * as ext from '../src/lsp_ext';
import { analysisDocument, callerLocations, fileLink, impactItems, statusBarView } from '../src/render';
import { findServer, isFound, nodeDeps } from '../src/server';

const BIN = process.env.LEINDEX_SERVER_PATH;
const ROOT = process.env.LEINDEX_PROJECT;
const skip = !BIN || !ROOT ? 'LEINDEX_SERVER_PATH and LEINDEX_PROJECT not set' : false;

// scripts/lsp-session.js drives the server with vscode-languageserver-protocol (VS Code's client's layer).
interface Session {
  conn: {
    sendRequest(method: string | object, params?: unknown): Promise<unknown>;
    sendNotification(method: string | object, params?: unknown): void;
  };
  refreshes: { count: number };
  stop(): Promise<void>;
  stderr(): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSession } = require(path.join(__dirname, '..', '..', 'scripts', 'lsp-session.js')) as {
  startSession(bin: string, root: string, init: unknown): Promise<Session>;
};

const settings = readSettings((key) => ({ budgetTokens: 1200 })[key]);
let s: Session;
const file = () => pathToFileURL(path.join(ROOT as string, 'src/runtime/scheduler/multi_thread/worker.rs')).toString();

before(async () => {
  if (skip) return;
  const found = await findServer(nodeDeps(undefined, __dirname));
  assert.ok(isFound(found), !isFound(found) ? found.message : '');
  s = await startSession(found.path, ROOT as string, serverSettings(settings));
});

after(async () => {
  if (s) await s.stop();
});

type Lens = { range: { start: { line: number; character: number } }; data?: { name: string }; command?: { command: string; title: string; arguments: unknown[] } };

async function resolvedLenses(name: string): Promise<Lens[]> {
  const lenses = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: file() } })) as Lens[];
  const mine = lenses.filter((l) => l.data?.name === name);
  return Promise.all(mine.map((l) => s.conn.sendRequest('codeLens/resolve', l) as Promise<Lens>));
}

test('every resolved lens in a file has a command the extension implements', { skip }, async () => {
  const lenses = (await s.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: file() } })) as Lens[];
  assert.ok(lenses.length > 20, `lenses in worker.rs: ${lenses.length}`);
  for (const lens of lenses.slice(0, 40)) {
    const r = (await s.conn.sendRequest('codeLens/resolve', lens)) as Lens;
    assert.ok(r.command, 'resolved lens has a command');
    assert.ok(ext.LENS_COMMANDS.includes(r.command.command), `command ${r.command.command} (${r.command.title})`);
    const args = ext.parseLensArgs(r.command.arguments);
    assert.equal(args.uri, file());
    assert.equal(args.name, lens.data?.name);
  }
});

test('showCallers: call hierarchy + references give the caller of Core::steal_work', { skip }, async () => {
  const [lens] = await resolvedLenses('Core::steal_work');
  const args = ext.parseLensArgs(lens.command!.arguments);
  const at = { textDocument: { uri: args.uri }, position: args.position };
  const items = (await s.conn.sendRequest('textDocument/prepareCallHierarchy', at)) as { name: string }[];
  assert.equal(items[0].name, 'Core::steal_work');
  const incoming = (await s.conn.sendRequest('callHierarchy/incomingCalls', { item: items[0] })) as Parameters<typeof callerLocations>[0];
  const refs = (await s.conn.sendRequest('textDocument/references', { ...at, context: { includeDeclaration: false } })) as Parameters<typeof callerLocations>[1];
  const locs = callerLocations(incoming, refs);
  assert.ok(locs.length >= 1);
  assert.ok(locs.every((l) => fs.existsSync(fileURLToPath(l.uri))));
});

test('showImpact: leindex/impact at the lens position, depth 3', { skip }, async () => {
  const [lens] = await resolvedLenses('Core::steal_work');
  const args = ext.parseLensArgs(lens.command!.arguments);
  const r = (await s.conn.sendRequest(ext.impact.method, { textDocument: { uri: args.uri }, position: args.position, depth: 3 })) as ext.ImpactResult;
  assert.deepEqual(ext.impactProblems(r), []);
  assert.equal(r.root.symbol, 'Core::steal_work');
  assert.equal(r.root.lineStart, args.position.line + 1);
  assert.equal(r.depth, 3);
  const items = impactItems(r).filter((i) => !i.separator);
  assert.ok(items.length >= 1);
  for (const i of items) assert.ok(fs.existsSync(path.join(ROOT as string, i.target!.path)), i.detail);
});

test('deepAnalyze: the answer renders with links to existing files and lines', { skip }, async () => {
  const r = (await s.conn.sendRequest(ext.deepAnalyze.method, { query: 'how does the runtime shut down', budgetTokens: settings.budgetTokens })) as ext.DeepAnalyzeResult;
  assert.deepEqual(ext.deepAnalyzeProblems(r), []);
  assert.ok(r.usedTokens <= settings.budgetTokens && r.entries.length > 0);
  const doc = analysisDocument(r, fileLink(ROOT as string));
  const links = [...doc.matchAll(/\]\((file:[^)#]+)#L(\d+)\)/g)];
  assert.ok(links.length >= r.entries.length);
  for (const [, url, line] of links) {
    const text = fs.readFileSync(fileURLToPath(url), 'utf8');
    assert.ok(Number(line) >= 1 && Number(line) <= text.split('\n').length, `${url}#L${line}`);
  }
  let err: { code?: number } | undefined;
  await s.conn.sendRequest(ext.deepAnalyze.method, { query: ' ' }).catch((e: { code?: number }) => (err = e));
  assert.equal(err?.code, ext.INVALID_PARAMS);
});

test('status: the status bar shows the generation', { skip }, async () => {
  const st = (await s.conn.sendRequest(ext.status.method)) as ext.StatusResult;
  assert.deepEqual(ext.statusProblems(st), []);
  assert.equal(st.thisServerIsWriter, true);
  assert.equal(statusBarView({ kind: 'ready', status: st }, Date.now()).text.includes(`g${st.generation}`), true);
  const search = (await s.conn.sendRequest(ext.search.method, { query: 'steal work', limit: 3 })) as ext.SearchResult;
  assert.deepEqual(ext.searchProblems(search), []);
});

test('settings: lenses off per kind through didChangeConfiguration, then a lens refresh', { skip }, async () => {
  const before = await resolvedLenses('Core::steal_work');
  const commands = before.map((l) => l.command!.command).sort();
  assert.deepEqual(commands, [ext.SHOW_CALLERS, ext.SHOW_IMPACT]);
  const refreshes = s.refreshes.count;
  const off = readSettings((key) => ({ budgetTokens: 1200, 'lenses.complexity': false, 'lenses.impact': false })[key]);
  s.conn.sendNotification('workspace/didChangeConfiguration', didChangeConfigurationParams(off));
  const deadline = Date.now() + 5000;
  while (s.refreshes.count === refreshes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.ok(s.refreshes.count > refreshes, 'workspace/codeLens/refresh after the settings change');
  const after = await resolvedLenses('Core::steal_work');
  assert.deepEqual(
    after.map((l) => l.command!.command),
    [ext.SHOW_CALLERS],
    `lenses after turning complexity and impact off: ${JSON.stringify(after.map((l) => l.command!.title))}`,
  );
  s.conn.sendNotification('workspace/didChangeConfiguration', didChangeConfigurationParams(settings));
});

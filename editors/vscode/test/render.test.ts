// Rendering (src/render.ts) of answers captured from the real server: the deep-analysis document and its
// links, the impact quick pick, the callers' locations, the status bar and status details.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeepAnalyzeResult, ImpactResult, StatusResult } from '../src/lsp_ext';
import {
  analysisDocument,
  callerLocations,
  fileLink,
  impactItems,
  impactTitle,
  linkify,
  statusBarView,
  statusDetails,
} from '../src/render';
import deepAnalyzeFixture from './fixtures/deepAnalyze.json';
import impactFixture from './fixtures/impact.json';
import incomingFixture from './fixtures/incomingCalls.json';
import referencesFixture from './fixtures/references.json';
import statusFixture from './fixtures/status.json';

const deep: DeepAnalyzeResult = deepAnalyzeFixture;
const impact: ImpactResult = impactFixture;
const status: StatusResult = statusFixture;
const link = fileLink('/work/project dir');

const fences = (s: string) => s.split('\n').filter((l) => /^(```|~~~)/.test(l)).length;

test('the analysis document links every entry to its file and line', () => {
  const doc = analysisDocument(deep, link);
  for (const e of deep.entries) {
    const url = `file:///work/project%20dir/${e.path}#L${e.lineStart}`;
    assert.ok(doc.includes(`](${url}) \`${e.symbol}\``), `no link for ${e.symbol}: ${url}`);
  }
  assert.ok(doc.startsWith(`# LeIndex: ${deep.query}\n`));
  assert.match(doc, new RegExp(`generation ${deep.generation} .*${deep.usedTokens} of ${deep.budgetTokens} tokens`));
});

test('the server Markdown keeps its text and code; only headings become links', () => {
  const out = linkify(deep.markdown, link);
  assert.equal(fences(out), fences(deep.markdown));
  const before = deep.markdown.split('\n');
  const after = out.split('\n');
  assert.equal(after.length, before.length);
  let changed = 0;
  let inFence = false;
  before.forEach((line, i) => {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    if (after[i] !== line) {
      changed += 1;
      assert.ok(!inFence, `line ${i} inside a code fence was changed: ${line}`);
      assert.match(line, /^##/);
    }
  });
  const files = new Set(deep.entries.map((e) => e.path));
  for (const f of files) {
    assert.ok(out.includes(`## [${f.replace(/_/g, '\\_')}](file:///work/project%20dir/${f}#L1)`), `file heading ${f}`);
  }
  const bodies = before.filter((l) => /^### `/.test(l));
  assert.ok(bodies.length > 0, 'the fixture has symbol headings with bodies');
  assert.equal(changed, files.size + bodies.length);
  // The symbol heading links to its first line.
  assert.match(out, /### \[`Core::steal_work`\]\(file:\/\/\/work\/project%20dir\/src\/runtime\/scheduler\/multi_thread\/worker\.rs#L1168\) \(method, L1168–1196\)/);
});

test('a "## " line inside a code block is left alone', () => {
  const md = '## a.py\n```python\n## not a heading\n```\n### `f` (function, L3–4)\n';
  assert.equal(
    linkify(md, (p, l) => `${p}@${l}`),
    '## [a.py](a.py@1)\n```python\n## not a heading\n```\n### [`f`](a.py@3) (function, L3–4)\n',
  );
});

test('impact items: nearest first, one separator per depth, each item goes to its symbol', () => {
  const items = impactItems(impact);
  const seps = items.filter((i) => i.separator);
  const rows = items.filter((i) => !i.separator);
  assert.equal(rows.length, impact.reached.length);
  assert.equal(seps.length, new Set(impact.reached.map((r) => r.depth)).size);
  assert.equal(seps[0].label, `1 hop away (${impact.byDepth[0]})`);
  let depth = 0;
  for (const item of items) {
    if (item.separator) {
      depth = Number(/^(\d+)/.exec(item.label)?.[1]);
      continue;
    }
    const r = impact.reached.find((x) => x.symbol === item.label && x.path === item.target?.path);
    assert.ok(r, item.label);
    assert.equal(r.depth, depth);
    assert.equal(item.target?.line, r.lineStart);
    assert.equal(item.detail, `${r.path}:${r.lineStart}`);
    assert.ok(item.description?.includes(`${r.via} \`${r.from}\``));
    assert.equal(item.description?.includes('uncertain'), r.uncertain);
  }
  assert.match(impactTitle(impact), new RegExp(`^Impact of ${impact.root.symbol}: ${impact.total} symbols within 3 hops · ${impact.files.length} file`));
});

test('caller locations merge incoming calls and references without duplicates', () => {
  const locs = callerLocations(incomingFixture, referencesFixture);
  // The fixture's one caller (Context::run) is both an incoming call and a reference.
  assert.equal(incomingFixture.length, 1);
  assert.equal(locs.length, 1);
  assert.equal(locs[0].uri, incomingFixture[0].from.uri);
  assert.deepEqual(locs[0].range, incomingFixture[0].fromRanges[0]);
  const extra = { uri: 'file:///PROJECT/src/a.rs', range: { start: { line: 9, character: 0 }, end: { line: 9, character: 0 } } };
  const more = callerLocations(incomingFixture, [...referencesFixture, extra]);
  assert.deepEqual(
    more.map((l) => l.uri),
    ['file:///PROJECT/src/a.rs', incomingFixture[0].from.uri],
  );
  assert.deepEqual(callerLocations(null, null), []);
});

test('status bar: generation, pending edits, indexing, problems', () => {
  const now = status.publishedUnixMs as number;
  const ready = statusBarView({ kind: 'ready', status }, now);
  assert.equal(ready.text, `$(database) LeIndex g${status.generation}`);
  assert.match(ready.tooltip, new RegExp(`${status.files} files, ${status.symbols} symbols`));
  assert.equal(ready.warning, false);
  const pending = statusBarView({ kind: 'ready', status: { ...status, writer: { ...status.writer!, pendingEdits: true } } }, now);
  assert.equal(pending.text, `$(edit) LeIndex g${status.generation} · edits pending`);
  const indexing = statusBarView({ kind: 'ready', status: { ...status, writer: { ...status.writer!, indexing: true } } }, now);
  assert.match(indexing.text, /^\$\(sync~spin\)/);
  const stale = statusBarView({ kind: 'ready', status: { ...status, staleChanged: 2, staleAdded: 1 } }, now);
  assert.match(stale.text, / · 3 stale$/);
  const broken = statusBarView({ kind: 'ready', status: { ...status, problem: 'snapshot unreadable' } }, now);
  assert.equal(broken.warning, true);
  assert.match(broken.tooltip, /snapshot unreadable/);
  assert.equal(statusBarView({ kind: 'indexing' }, now).text, '$(sync~spin) LeIndex: indexing');
  assert.equal(statusBarView({ kind: 'error', message: 'x' }, now).warning, true);
});

test('status details', () => {
  const now = (status.publishedUnixMs as number) + 125000;
  const rows = statusDetails(status, now);
  assert.equal(rows[0].label, `Generation ${status.generation}`);
  assert.equal(rows[0].detail, 'published 2 min ago');
  assert.equal(rows[1].label, `${status.files} files · ${status.symbols} symbols · ${status.edges} edges`);
  assert.equal(rows[2].label, `Writer: lsp pid ${status.writer!.pid} (this server)`);
  // The size comes from the fixture (it changes when fixtures are recaptured), in MiB with one decimal.
  const indexMb = (status.indexBytes / 1048576).toFixed(1);
  assert.ok(rows.some((r) => r.label.startsWith(`Index: ${indexMb} MB`)), JSON.stringify(rows));
  assert.ok(!rows.some((r) => r.label.includes('$(warning)')));
  const failing = statusDetails({ ...status, writer: { ...status.writer!, lastError: 'disk full' } }, now);
  assert.ok(failing.some((r) => r.label === '$(warning) Last writer error: disk full'));
});

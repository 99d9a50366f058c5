// Checks the request types in src/lsp_ext.ts against answers captured from the real server
// (test/fixtures, written by scripts/capture-fixtures.js): at compile time (each fixture is assigned to its
// declared type, so `tsc` fails when a field changes type or disappears) and at run time (the shape
// checks the extension applies to every answer accept the real ones and reject broken ones).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ext from '../src/lsp_ext';
import deepAnalyzeFixture from './fixtures/deepAnalyze.json';
import impactFixture from './fixtures/impact.json';
import searchFixture from './fixtures/search.json';
import statusFixture from './fixtures/status.json';
import resolvedFixture from './fixtures/codeLensResolve.json';
import initializeFixture from './fixtures/initialize.json';
import invalidParamsFixture from './fixtures/invalidParams.json';

// Compile-time: the captured JSON must be assignable to the declared result types.
const deep: ext.DeepAnalyzeResult = deepAnalyzeFixture;
const impact: ext.ImpactResult = impactFixture;
const search: ext.SearchResult = searchFixture;
const status: ext.StatusResult = statusFixture;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

test('the captured answers pass the shape checks', () => {
  assert.deepEqual(ext.deepAnalyzeProblems(deep), []);
  assert.deepEqual(ext.impactProblems(impact), []);
  assert.deepEqual(ext.searchProblems(search), []);
  assert.deepEqual(ext.statusProblems(status), []);
  assert.ok(deep.entries.length > 0 && impact.reached.length > 0 && search.hits.length > 0, 'fixtures are not empty');
});

test('the shape checks name what is wrong', () => {
  const d = clone(deep) as unknown as Record<string, unknown>;
  delete d.markdown;
  assert.deepEqual(ext.deepAnalyzeProblems(d), ['deepAnalyze.markdown should be string, is undefined']);

  const e = clone(deep);
  (e.entries[1] as unknown as Record<string, unknown>).lineStart = '114';
  assert.deepEqual(ext.deepAnalyzeProblems(e), ['entries[1].lineStart should be number, is "114"']);

  const i = clone(impact);
  (i.reached[0] as unknown as Record<string, unknown>).uncertain = 'no';
  assert.match(ext.impactProblems(i)[0], /^reached\[0\]\.uncertain should be boolean/);

  const s = clone(status) as unknown as Record<string, unknown>;
  s.writer = { ...(s.writer as object), pendingEdits: 1 };
  assert.match(ext.statusProblems(s)[0], /^writer\.pendingEdits should be boolean/);
  // A status before any index (generation null, no writer) is valid.
  assert.deepEqual(ext.statusProblems({ ...status, generation: null, writer: null }), []);

  assert.deepEqual(ext.searchProblems(null), ['search is not an object']);
});

test('lens commands and their arguments match what the server sends', () => {
  assert.ok(resolvedFixture.length >= 1);
  for (const lens of resolvedFixture) {
    assert.ok(ext.LENS_COMMANDS.includes(lens.command.command), `unknown lens command ${lens.command.command}`);
    const args = ext.parseLensArgs(lens.command.arguments);
    assert.equal(args.uri, 'file:///PROJECT/src/runtime/scheduler/multi_thread/worker.rs');
    assert.equal(args.name, lens.data.name);
    // The position is the lens's own (the symbol's first line, 0-based) while data.line is 1-based.
    assert.deepEqual(args.position, lens.range.start);
    assert.equal(args.position.line, lens.data.line - 1);
  }
});

test('parseLensArgs rejects malformed arguments', () => {
  assert.throws(() => ext.parseLensArgs([]), /argument 1 must be a document URI/);
  assert.throws(() => ext.parseLensArgs(['/no/scheme.rs', { line: 1, character: 0 }, 'f']), /argument 1/);
  assert.throws(() => ext.parseLensArgs(['file:///a.rs', { line: '1', character: 0 }, 'f']), /argument 2/);
  assert.throws(() => ext.parseLensArgs(['file:///a.rs', { line: 1, character: 0 }, '']), /argument 3/);
  assert.deepEqual(ext.parseLensArgs(['file:///a.rs', { line: 3, character: 4, extra: true }, 'A::f']), {
    uri: 'file:///a.rs',
    position: { line: 3, character: 4 },
    name: 'A::f',
  });
});

test('the server advertises the custom requests the extension sends', () => {
  const caps = initializeFixture.capabilities;
  assert.equal(initializeFixture.serverInfo.name, 'leindex-lsp');
  for (const r of [ext.deepAnalyze, ext.impact, ext.search, ext.status]) {
    const key = r.method.replace('leindex/', '') as keyof typeof caps.experimental.leindex;
    assert.equal(caps.experimental.leindex[key], true, r.method);
  }
  assert.equal(caps.codeLensProvider.resolveProvider, true);
  assert.equal(caps.callHierarchyProvider, true);
  assert.equal(caps.referencesProvider, true);
});

test('error codes match the server', () => {
  assert.equal(invalidParamsFixture.code, ext.INVALID_PARAMS);
  assert.match(invalidParamsFixture.message, /non-empty query/);
});

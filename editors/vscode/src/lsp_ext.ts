// The LeIndex server's custom protocol, mirrored for the client: request names, parameter and result
// types, the lens commands and their arguments, the settings object. Every type mirrors one in the server's
// server/lsp/src/ext.rs (same names, same camelCase fields); change both together (see docs/lsp.md). The
// unit tests check every type here against JSON captured from the real server (test/fixtures,
// scripts/capture-fixtures.js).
//
// No `vscode` import: this module is shared by the extension and by the node unit tests.
import { RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { Position, TextDocumentIdentifier, TextDocumentPositionParams } from 'vscode-languageserver-protocol';

/** How fresh an answer is: which generation it came from and who writes the index. */
export interface Freshness {
  generation: number;
  publishedUnixMs: number;
  ageMs: number;
  pendingEdits: boolean;
  /** `this server`, `lsp pid 123`, `cli-watch pid 123`, `none`. */
  writer: string;
  warning?: string | null;
}

/** A ranked search hit before graph expansion (lines 1-based, paths relative to the project root). */
export interface EntryPoint {
  rank: number;
  path: string;
  symbol: string;
  kind: string;
  lineStart: number;
  lineEnd: number;
  score: number;
}

/** A symbol rendered in the answer's Markdown, with why it is there. */
export interface AnalysisEntry {
  path: string;
  symbol: string;
  kind: string;
  lineStart: number;
  lineEnd: number;
  /** `entry` (matched the query) or `related` (reached through the graph). */
  role: string;
  reason: string;
}

export interface DeepAnalyzeParams {
  query: string;
  budgetTokens?: number;
  /** The symbol there joins the query and its directory becomes the focus. */
  position?: TextDocumentPositionParams;
}

export interface DeepAnalyzeResult {
  query: string;
  budgetTokens: number;
  usedTokens: number;
  tokenizer: string;
  generation: number;
  entryPoints: EntryPoint[];
  entries: AnalysisEntry[];
  /** LLM-ready context, at most `budgetTokens` tokens. */
  markdown: string;
  freshness: Freshness;
  note?: string;
}

export interface SearchParams {
  query: string;
  limit?: number;
}

export interface SearchHit {
  symbol: string;
  kind: string;
  path: string;
  lineStart: number;
  lineEnd: number;
  score: number;
  location: { uri: string; range: { start: Position; end: Position } };
}

export interface SearchResult {
  generation: number;
  hits: SearchHit[];
}

export interface ImpactParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
  /** Hops to follow (server default 3, clamped to 1..=8). */
  depth?: number;
}

/** A symbol reached from the root: `via` is the edge kind, `from` the symbol it was reached from. */
export interface ImpactReached {
  symbol: string;
  kind: string;
  path: string;
  lineStart: number;
  lineEnd: number;
  depth: number;
  via: string;
  from: string;
  /** The edge was resolved by name only (several candidates). */
  uncertain: boolean;
}

/** A symbol and where it is (lines 1-based, path relative to the project root). */
export interface SymbolLocation {
  symbol: string;
  kind: string;
  path: string;
  lineStart: number;
  lineEnd: number;
}

export interface ImpactResult {
  /** The symbol at the requested position. */
  root: SymbolLocation;
  depth: number;
  reached: ImpactReached[];
  total: number;
  byDepth: number[];
  files: string[];
  tests: string[];
}

/** A process's memory budget and use (bytes). */
export interface MemoryStatus {
  budgetBytes: number;
  /** `--memory-budget`, `LEINDEX_MEMORY_BUDGET`, `.leindex.toml`, or `default (1/4 of N MiB)`. */
  budgetSource: string;
  /** RSS at which spilling starts (90% of the budget). */
  spillAtBytes: number;
  rssBytes: number;
  peakRssBytes: number;
  spills: number;
  reloads: number;
  freedBytes: number;
  lastSpill: string | null;
  /** Set when the budget is too small for the project. */
  problem: string | null;
}

export interface WriterState {
  pid: number | null;
  role: string | null;
  generation: number | null;
  indexing: boolean;
  pendingEdits: boolean;
  pendingSinceUnixMs: number | null;
  updatedUnixMs: number | null;
  lastError: string | null;
  watchProblem: string | null;
  /** Who reports file changes: `notify` or `editor`. */
  watcher: string;
  /** The writer process's memory when it last wrote its state. */
  memory: MemoryStatus | null;
  /** Its in-memory model is loaded (false after a spill, until an edit reloads it). */
  modelLoaded: boolean;
  /** Why the model is not kept at all, when the memory budget cannot hold it. */
  modelBounded: string | null;
}

export interface StatusResult {
  root: string;
  indexDir: string;
  generation: number | null;
  publishedUnixMs: number | null;
  files: number;
  symbols: number;
  edges: number;
  terms: number;
  indexBytes: number;
  snapshotBytes: number;
  staleAdded: number;
  staleChanged: number;
  staleRemoved: number;
  problem: string | null;
  writerPid: number | null;
  writer: WriterState | null;
  thisServerIsWriter: boolean;
  serverPid: number;
  rssBytes: number | null;
  /** This server's memory watch. */
  memory: MemoryStatus;
  openDocuments: number;
}

export const deepAnalyze = new RequestType<DeepAnalyzeParams, DeepAnalyzeResult, void>('leindex/deepAnalyze');
export const search = new RequestType<SearchParams, SearchResult, void>('leindex/search');
export const impact = new RequestType<ImpactParams, ImpactResult, void>('leindex/impact');
export const status = new RequestType0<StatusResult, void>('leindex/status');

/** `RequestFailed`: the server cannot answer yet (no snapshot while the first index runs). */
export const REQUEST_FAILED = -32803;
/** `InvalidParams`: e.g. an empty deepAnalyze query. */
export const INVALID_PARAMS = -32602;

/** Commands the server puts on code lenses; the extension registers one handler for each. */
export const SHOW_CALLERS = 'leindex.showCallers';
export const SHOW_IMPACT = 'leindex.showImpact';
export const LENS_COMMANDS: readonly string[] = [SHOW_CALLERS, SHOW_IMPACT];

/** The arguments of a lens command: `[uri, {line, character}, qualifiedName]` (0-based LSP position). */
export interface LensArgs {
  uri: string;
  position: Position;
  name: string;
}

/** Validates a lens command's arguments as the server sends them; throws with what was wrong. */
export function parseLensArgs(args: readonly unknown[]): LensArgs {
  const [uri, position, name] = args;
  if (typeof uri !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    throw new Error(`lens argument 1 must be a document URI, got ${JSON.stringify(uri)}`);
  }
  if (!isPosition(position)) {
    throw new Error(`lens argument 2 must be a {line, character} position, got ${JSON.stringify(position)}`);
  }
  if (typeof name !== 'string' || name === '') {
    throw new Error(`lens argument 3 must be a qualified symbol name, got ${JSON.stringify(name)}`);
  }
  return { uri, position: { line: position.line, character: position.character }, name };
}

/** Which parts of the lenses the server shows; all on by default. */
export interface LensSettings {
  references: boolean;
  callers: boolean;
  complexity: boolean;
  impact: boolean;
}

/**
 * The server's settings object: sent as `initializationOptions` and, after a change, as
 * `workspace/didChangeConfiguration` `{settings: {leindex: ServerSettings}}` (the server then sends
 * `workspace/codeLens/refresh`).
 */
export interface ServerSettings {
  lenses: LensSettings;
  budgetTokens: number;
}

// Runtime shape checks. The extension uses them to turn a server that speaks another protocol version into
// a clear message instead of `undefined` deep in a renderer; the tests run them on the captured answers.

type Shape = 'string' | 'number' | 'boolean' | 'string?' | 'number?' | 'boolean?' | 'array' | 'object' | 'object?';

function checkFields(v: unknown, what: string, fields: Record<string, Shape>): string[] {
  if (typeof v !== 'object' || v === null) return [`${what} is not an object`];
  const o = v as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, shape] of Object.entries(fields)) {
    const val = o[key];
    const optional = shape.endsWith('?');
    if (optional && (val === undefined || val === null)) continue;
    const base = shape.replace('?', '');
    const ok =
      base === 'array' ? Array.isArray(val) : base === 'object' ? typeof val === 'object' && val !== null : typeof val === base;
    if (!ok) problems.push(`${what}.${key} should be ${shape}, is ${JSON.stringify(val)}`);
  }
  return problems;
}

function isPosition(v: unknown): v is Position {
  return checkFields(v, 'position', { line: 'number', character: 'number' }).length === 0;
}

const SYMBOL_LINES: Record<string, Shape> = {
  path: 'string',
  symbol: 'string',
  kind: 'string',
  lineStart: 'number',
  lineEnd: 'number',
};

/** Problems with a `leindex/deepAnalyze` answer (empty when it matches `DeepAnalyzeResult`). */
export function deepAnalyzeProblems(v: unknown): string[] {
  const p = checkFields(v, 'deepAnalyze', {
    query: 'string',
    budgetTokens: 'number',
    usedTokens: 'number',
    tokenizer: 'string',
    generation: 'number',
    entryPoints: 'array',
    entries: 'array',
    markdown: 'string',
    freshness: 'object',
  });
  if (p.length) return p;
  const r = v as DeepAnalyzeResult;
  r.entryPoints.forEach((e, i) => p.push(...checkFields(e, `entryPoints[${i}]`, { ...SYMBOL_LINES, rank: 'number', score: 'number' })));
  r.entries.forEach((e, i) => p.push(...checkFields(e, `entries[${i}]`, { ...SYMBOL_LINES, role: 'string', reason: 'string' })));
  p.push(
    ...checkFields(r.freshness, 'freshness', {
      generation: 'number',
      publishedUnixMs: 'number',
      ageMs: 'number',
      pendingEdits: 'boolean',
      writer: 'string',
    }),
  );
  return p;
}

/** Problems with a `leindex/impact` answer. */
export function impactProblems(v: unknown): string[] {
  const p = checkFields(v, 'impact', {
    root: 'object',
    depth: 'number',
    reached: 'array',
    total: 'number',
    byDepth: 'array',
    files: 'array',
    tests: 'array',
  });
  if (p.length) return p;
  p.push(...checkFields((v as ImpactResult).root, 'root', SYMBOL_LINES));
  (v as ImpactResult).reached.forEach((e, i) =>
    p.push(...checkFields(e, `reached[${i}]`, { ...SYMBOL_LINES, depth: 'number', via: 'string', from: 'string', uncertain: 'boolean' })),
  );
  return p;
}

/** Problems with a `leindex/search` answer. */
export function searchProblems(v: unknown): string[] {
  const p = checkFields(v, 'search', { generation: 'number', hits: 'array' });
  if (p.length) return p;
  (v as SearchResult).hits.forEach((h, i) =>
    p.push(...checkFields(h, `hits[${i}]`, { ...SYMBOL_LINES, score: 'number', location: 'object' })),
  );
  return p;
}

/** Problems with a `leindex/status` answer. */
export function statusProblems(v: unknown): string[] {
  const p = checkFields(v, 'status', {
    root: 'string',
    generation: 'number?',
    files: 'number',
    symbols: 'number',
    edges: 'number',
    indexBytes: 'number',
    staleAdded: 'number',
    staleChanged: 'number',
    staleRemoved: 'number',
    writer: 'object?',
    thisServerIsWriter: 'boolean',
    serverPid: 'number',
    openDocuments: 'number',
  });
  const w = (v as StatusResult | null)?.writer;
  if (p.length === 0 && w) {
    p.push(...checkFields(w, 'writer', { indexing: 'boolean', pendingEdits: 'boolean', role: 'string?', pid: 'number?' }));
  }
  return p;
}

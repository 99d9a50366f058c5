// Turns the server's answers into what the user sees: the deep-analysis document (the server's Markdown
// with links that open `path:line`), the impact quick pick, the callers' locations, the status bar text
// and the status details. Pure functions over the types in lsp_ext.ts, so they are unit-tested on answers
// captured from the real server; extension.ts only hands the results to VS Code.
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { DeepAnalyzeResult, ImpactResult, StatusResult } from './lsp_ext';

/** A link target for `path` (relative to the project root) at 1-based `line`. */
export type LinkFn = (relPath: string, line: number) => string;

/** Links as `file:///root/path#L12`, which VS Code's Markdown preview opens at that line. */
export function fileLink(root: string): LinkFn {
  return (rel, line) => `${pathToFileURL(path.join(root, rel)).toString()}#L${line}`;
}

function escapeLinkText(s: string): string {
  return s.replace(/([\\[\]`*_])/g, '\\$1');
}

/**
 * The document shown for a deep analysis: a header (query, generation, tokens, freshness), the sources as
 * links, then the server's Markdown with each `## path` heading and each symbol heading turned into a link
 * (outside code fences only). The server's Markdown itself is what "Copy as LLM context" copies.
 */
export function analysisDocument(answer: DeepAnalyzeResult, link: LinkFn): string {
  const f = answer.freshness;
  const out: string[] = [];
  out.push(`# LeIndex: ${answer.query}`, '');
  const age = f.ageMs < 1500 ? 'just published' : `${Math.round(f.ageMs / 1000)} s old`;
  out.push(
    `generation ${answer.generation} (${age}${f.pendingEdits ? ', edits pending' : ''}) · ` +
      `${answer.usedTokens} of ${answer.budgetTokens} tokens (${answer.tokenizer}) · writer: ${f.writer}`,
  );
  if (f.warning) out.push('', `> ⚠ ${f.warning}`);
  if (answer.note) out.push('', `> ${answer.note}`);
  out.push('', '## Sources', '');
  const seen = new Set<string>();
  for (const e of answer.entries) {
    const key = `${e.path}:${e.lineStart}:${e.symbol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(
      `- [${escapeLinkText(`${e.path}:${e.lineStart}`)}](${link(e.path, e.lineStart)}) \`${e.symbol}\` (${e.kind}, ${e.role}) — ${e.reason}`,
    );
  }
  out.push('', '---', '', linkify(answer.markdown, link));
  return out.join('\n') + '\n';
}

/** Links the server Markdown's file headings (`## path`) and symbol headings (`### \`S\` (kind, L12–40)`). */
export function linkify(markdown: string, link: LinkFn): string {
  let fence: string | null = null;
  let file: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const f = /^(`{3,}|~{3,})/.exec(line);
      if (f) {
        if (fence === null) fence = f[1];
        else if (line.startsWith(fence)) fence = null;
        return line;
      }
      if (fence !== null) return line;
      const h2 = /^## (\S.*)$/.exec(line);
      if (h2 && !h2[1].startsWith('[')) {
        file = h2[1].trim();
        return `## [${escapeLinkText(file)}](${link(file, 1)})`;
      }
      const h3 = /^### (`[^`]+`) \((\w[\w ]*), L(\d+)[–-](\d+)\)/.exec(line);
      if (h3 && file !== null) {
        return `### [${h3[1]}](${link(file, Number(h3[3]))}) (${h3[2]}, L${h3[3]}–${h3[4]})`;
      }
      return line;
    })
    .join('\n');
}

/** One row of the impact quick pick: a separator per depth, then the symbols reached at that depth. */
export interface ImpactItem {
  separator: boolean;
  label: string;
  description?: string;
  detail?: string;
  /** Where selecting the item goes (project-relative path, 1-based line); absent on separators. */
  target?: { path: string; line: number };
}

export function impactItems(r: ImpactResult): ImpactItem[] {
  const items: ImpactItem[] = [];
  let depth = 0;
  for (const s of [...r.reached].sort((a, b) => a.depth - b.depth)) {
    if (s.depth !== depth) {
      depth = s.depth;
      items.push({ separator: true, label: `${depth} hop${depth === 1 ? '' : 's'} away (${r.byDepth[depth - 1] ?? 0})` });
    }
    items.push({
      separator: false,
      label: s.symbol,
      description: `${s.kind} · ${s.via} \`${s.from}\`${s.uncertain ? ' · uncertain' : ''}`,
      detail: `${s.path}:${s.lineStart}`,
      target: { path: s.path, line: s.lineStart },
    });
  }
  return items;
}

/** The impact quick pick's title: what is affected, in numbers. */
export function impactTitle(r: ImpactResult): string {
  const listed = r.reached.length < r.total ? ` (${r.reached.length} listed)` : '';
  return (
    `Impact of ${r.root.symbol}: ${r.total} symbol${r.total === 1 ? '' : 's'}${listed} within ${r.depth} hops · ` +
    `${r.files.length} file${r.files.length === 1 ? '' : 's'} · ${r.tests.length} test${r.tests.length === 1 ? '' : 's'}`
  );
}

interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
interface Location {
  uri: string;
  range: Range;
}

/**
 * The callers' locations for the references view: the incoming calls' call sites (or the callers' ranges
 * when the server gives none), then the references not already listed, sorted by file and line.
 */
export function callerLocations(
  incoming: { from: { uri: string; range: Range; selectionRange: Range }; fromRanges: Range[] }[] | null,
  references: Location[] | null,
): Location[] {
  const out: Location[] = [];
  const seen = new Set<string>();
  const add = (l: Location): void => {
    const key = `${l.uri}#${l.range.start.line}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(l);
    }
  };
  for (const call of incoming ?? []) {
    const ranges = call.fromRanges.length > 0 ? call.fromRanges : [call.from.selectionRange];
    for (const range of ranges) add({ uri: call.from.uri, range });
  }
  for (const r of references ?? []) add(r);
  return out.sort((a, b) => (a.uri === b.uri ? a.range.start.line - b.range.start.line : a.uri < b.uri ? -1 : 1));
}

function mb(bytes: number | null | undefined): string {
  return bytes == null ? '?' : `${(bytes / 1048576).toFixed(1)} MB`;
}

function ago(unixMs: number | null | undefined, now: number): string {
  if (unixMs == null) return 'never';
  const s = Math.max(0, Math.round((now - unixMs) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** What the status bar item shows. */
export interface StatusBarView {
  text: string;
  tooltip: string;
  /** Something needs attention (an error, a stale index). */
  warning: boolean;
}

/** The status bar for a status answer, or for the states before one exists. */
export function statusBarView(
  state: { kind: 'starting' } | { kind: 'indexing' } | { kind: 'error'; message: string } | { kind: 'ready'; status: StatusResult },
  now: number,
): StatusBarView {
  switch (state.kind) {
    case 'starting':
      return { text: '$(loading~spin) LeIndex', tooltip: 'LeIndex: starting the server', warning: false };
    case 'indexing':
      return { text: '$(sync~spin) LeIndex: indexing', tooltip: 'LeIndex: the first index is being built', warning: false };
    case 'error':
      return { text: '$(error) LeIndex', tooltip: `LeIndex: ${state.message}`, warning: true };
    case 'ready': {
      const s = state.status;
      const w = s.writer;
      const pending = w?.pendingEdits ?? false;
      const indexing = w?.indexing ?? false;
      const stale = s.staleAdded + s.staleChanged + s.staleRemoved;
      const icon = indexing ? '$(sync~spin)' : pending ? '$(edit)' : '$(database)';
      const extra = pending ? ' · edits pending' : stale > 0 ? ` · ${stale} stale` : '';
      const problem = s.problem ?? w?.lastError ?? w?.watchProblem ?? null;
      return {
        text: `${icon} LeIndex g${s.generation ?? '?'}${extra}`,
        tooltip:
          `LeIndex generation ${s.generation ?? '?'} (published ${ago(s.publishedUnixMs, now)}): ` +
          `${s.files} files, ${s.symbols} symbols${indexing ? ' · indexing' : ''}${pending ? ' · edits pending' : ''}` +
          `${problem ? ` · ${problem}` : ''}\nClick for details`,
        warning: problem !== null,
      };
    }
  }
}

/** The rows of the status details quick pick. */
export function statusDetails(s: StatusResult, now: number): { label: string; detail: string }[] {
  const w = s.writer;
  const writer = !w || w.pid == null ? 'none' : `${w.role ?? 'writer'} pid ${w.pid}${s.thisServerIsWriter ? ' (this server)' : ''}`;
  const rows = [
    { label: `Generation ${s.generation ?? 'none'}`, detail: `published ${ago(s.publishedUnixMs, now)}` },
    { label: `${s.files} files · ${s.symbols} symbols · ${s.edges} edges`, detail: `project ${s.root}` },
    {
      label: `Writer: ${writer}`,
      detail: `${w?.indexing ? 'indexing · ' : ''}${w?.pendingEdits ? `edits pending since ${ago(w.pendingSinceUnixMs, now)}` : 'no pending edits'}`,
    },
    {
      label: `Working tree: ${s.staleAdded} added · ${s.staleChanged} changed · ${s.staleRemoved} removed since indexing`,
      detail: 'files the published generation does not reflect yet',
    },
    { label: `Index: ${mb(s.indexBytes)} (snapshot ${mb(s.snapshotBytes)})`, detail: s.indexDir },
    { label: `Server pid ${s.serverPid} · RSS ${mb(s.rssBytes)} · ${s.openDocuments} open documents`, detail: '' },
  ];
  for (const [what, msg] of [
    ['Problem', s.problem],
    ['Last writer error', w?.lastError],
    ['Watcher', w?.watchProblem],
  ] as const) {
    if (msg) rows.push({ label: `$(warning) ${what}: ${msg}`, detail: '' });
  }
  return rows;
}

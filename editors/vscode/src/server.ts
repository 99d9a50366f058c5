// Finds the LeIndex server binary the way rust-analyzer's extension finds its server: the
// LEINDEX_SERVER_PATH environment variable, then the `leindex.server.path` setting, then a binary bundled
// in the extension (`server/`), then `leindex` / `leindex-lsp` on PATH. Every candidate is checked with
// `--version` before it is used, and when none works the message lists what was tried and what to do.
// Also finds the MCP bridge (`leindex-mcp`) for VS Code's agent. No `vscode` import: unit-tested in node.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Where a candidate came from, in lookup order. */
export type Source = 'env' | 'setting' | 'bundled' | 'path';

export interface Attempt {
  source: Source;
  /** What was looked at: a path, or a name searched on PATH. */
  target: string;
  /** Why it was not used (absent when it was). */
  problem?: string;
}

export interface Found {
  path: string;
  /** `lsp` for the `leindex` CLI; none for `leindex-lsp`. */
  args: string[];
  /** The program name and version from `--version`, e.g. `leindex 0.1.0`. */
  version: string;
  source: Source;
  attempts: Attempt[];
}

export interface NotFound {
  attempts: Attempt[];
  message: string;
}

/** What the lookup needs from the outside world; injected so the tests can run it on fake binaries. */
export interface LookupDeps {
  env: Record<string, string | undefined>;
  /** The `leindex.server.path` setting (empty or undefined when unset). */
  settingPath?: string;
  /** The extension's install directory (holds `server/` in a platform-specific package). */
  extensionPath: string;
  platform: NodeJS.Platform;
  /** Runs `file --version` and returns its stdout, or throws. */
  version(file: string): Promise<string>;
  isFile(file: string): boolean;
}

/** Real dependencies: this process's environment, the file system, child processes. */
export function nodeDeps(settingPath: string | undefined, extensionPath: string): LookupDeps {
  return {
    env: process.env,
    settingPath,
    extensionPath,
    platform: process.platform,
    version: runVersion,
    isFile: (f) => {
      try {
        return fs.statSync(f).isFile();
      } catch {
        return false;
      }
    },
  };
}

/** `file --version` with a 10 s limit and stdin closed (a server that ignores the flag sees EOF and exits). */
export function runVersion(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, ['--version'], { timeout: 10000, windowsHide: true }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
    child.stdin?.end();
  });
}

/** `leindex 0.1.0` or `leindex-lsp 0.1.0` from `--version` output, else undefined. */
export function parseVersion(stdout: string): { program: string; version: string } | undefined {
  const m = /^(leindex(?:-lsp)?) v?(\d+\.\d+\.\d+\S*)/m.exec(stdout.trim());
  return m ? { program: m[1], version: m[2] } : undefined;
}

/** The arguments that start the LSP server: `leindex lsp`, or `leindex-lsp` alone. */
export function serverArgs(program: string): string[] {
  return program === 'leindex-lsp' ? [] : ['lsp'];
}

function exe(name: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${name}.exe` : name;
}

/** Every file named `name` on PATH, in PATH order. */
export function onPath(name: string, deps: Pick<LookupDeps, 'env' | 'platform' | 'isFile'>): string[] {
  const sep = deps.platform === 'win32' ? ';' : ':';
  const dirs = (deps.env.PATH ?? deps.env.Path ?? '').split(sep).filter((d) => d !== '');
  return dirs.map((d) => path.join(d, exe(name, deps.platform))).filter((f) => deps.isFile(f));
}

/** Expands a leading `~` (users write paths in settings that way; the OS does not expand it). */
function expandHome(p: string, env: LookupDeps['env']): string {
  const home = env.HOME ?? env.USERPROFILE;
  return home && (p === '~' || p.startsWith('~/')) ? path.join(home, p.slice(1)) : p;
}

async function check(file: string, source: Source, deps: LookupDeps, attempts: Attempt[]): Promise<Found | undefined> {
  if (!deps.isFile(file)) {
    attempts.push({ source, target: file, problem: 'no such file' });
    return undefined;
  }
  let stdout: string;
  try {
    stdout = await deps.version(file);
  } catch (e) {
    attempts.push({ source, target: file, problem: `\`--version\` failed: ${(e as Error).message.split('\n')[0]}` });
    return undefined;
  }
  const v = parseVersion(stdout);
  if (!v) {
    const got = stdout.trim().split('\n')[0] ?? '';
    attempts.push({
      source,
      target: file,
      problem: `\`--version\` printed ${got ? `"${got}"` : 'nothing'}, not "leindex X.Y.Z" (not a LeIndex binary, or too old)`,
    });
    return undefined;
  }
  attempts.push({ source, target: file });
  return { path: file, args: serverArgs(v.program), version: `${v.program} ${v.version}`, source, attempts };
}

/**
 * Resolves the server. An explicit choice (environment variable or setting) that does not work is an
 * error rather than a silent fall-back, so a typo in the setting is reported instead of hidden behind
 * another binary on PATH.
 */
export async function findServer(deps: LookupDeps): Promise<Found | NotFound> {
  const attempts: Attempt[] = [];
  const explicit: [Source, string | undefined][] = [
    ['env', deps.env.LEINDEX_SERVER_PATH],
    ['setting', deps.settingPath],
  ];
  for (const [source, value] of explicit) {
    if (value && value.trim() !== '') {
      const found = await check(expandHome(value.trim(), deps.env), source, deps, attempts);
      return found ?? { attempts, message: notFoundMessage(attempts) };
    }
  }
  for (const name of ['leindex', 'leindex-lsp']) {
    const found = await check(path.join(deps.extensionPath, 'server', exe(name, deps.platform)), 'bundled', deps, attempts);
    if (found) return found;
  }
  for (const name of ['leindex', 'leindex-lsp']) {
    const files = onPath(name, deps);
    if (files.length === 0) attempts.push({ source: 'path', target: name, problem: 'not on PATH' });
    for (const f of files) {
      const found = await check(f, 'path', deps, attempts);
      if (found) return found;
    }
  }
  return { attempts, message: notFoundMessage(attempts) };
}

export function isFound(r: Found | NotFound): r is Found {
  return (r as Found).path !== undefined;
}

const SOURCE_LABEL: Record<Source, string> = {
  env: 'LEINDEX_SERVER_PATH',
  setting: 'setting leindex.server.path',
  bundled: 'bundled with the extension',
  path: 'PATH',
};

/** The error shown when no server works: what was tried, why each failed, and how to fix it. */
export function notFoundMessage(attempts: Attempt[]): string {
  const tried = attempts
    .filter((a) => a.problem)
    .map((a) => `${SOURCE_LABEL[a.source]}: ${a.target} (${a.problem})`)
    .join('; ');
  const explicit = attempts.find((a) => a.source === 'env' || a.source === 'setting');
  const fix = explicit
    ? `Fix ${SOURCE_LABEL[explicit.source]} so it names the \`leindex\` (or \`leindex-lsp\`) binary, or clear it to search PATH.`
    : 'Build LeIndex (`cargo test --release --workspace --no-run`, binaries in $CARGO_TARGET_DIR/release) and put ' +
      '`leindex` on PATH, or set `leindex.server.path` to its full path.';
  return `LeIndex: no usable server binary. Tried ${tried || 'nothing'}. ${fix}`;
}

/** A command line: the program and its first arguments. */
export interface Command {
  command: string;
  args: string[];
}

/**
 * The MCP bridge command for a resolved server: the same binary's `mcp` subcommand when the server is
 * `leindex` (one binary serves both), else `leindex mcp` or the `leindex-mcp` alias next to the server,
 * else on PATH; undefined when there is none.
 */
export function findBridge(
  server: Pick<Found, 'path' | 'args'> | undefined,
  deps: Pick<LookupDeps, 'env' | 'platform' | 'isFile'>,
): Command | undefined {
  if (server && server.args[0] === 'lsp') return { command: server.path, args: ['mcp'] };
  const candidates: [string, string[]][] = [
    ['leindex', ['mcp']],
    ['leindex-mcp', []],
  ];
  if (server) {
    for (const [name, args] of candidates) {
      const sibling = path.join(path.dirname(server.path), exe(name, deps.platform));
      if (deps.isFile(sibling)) return { command: sibling, args };
    }
  }
  for (const [name, args] of candidates) {
    const found = onPath(name, deps)[0];
    if (found) return { command: found, args };
  }
  return undefined;
}

/** The bridge's arguments for the workspace folders: the first folder is the default root. */
export function bridgeArgs(folders: string[]): string[] {
  return folders.flatMap((f) => ['--project', f]);
}

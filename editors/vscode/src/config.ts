// The extension's settings (`contributes.configuration` in package.json) read into one typed object, and
// mapped to what the server and the process need: the server's settings object (initializationOptions and
// didChangeConfiguration), the server's environment (log level), and whether a change needs a restart.
// No `vscode` import: the extension passes a getter over `workspace.getConfiguration('leindex')`.
import type { LensSettings, ServerSettings } from './lsp_ext';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Settings {
  /** `leindex.server.path`; empty when unset. */
  serverPath: string;
  /** `leindex.budgetTokens`: the default token budget of deep analysis. */
  budgetTokens: number;
  /** `leindex.lenses.*`. */
  lenses: LensSettings;
  /** `leindex.logLevel`: the server's LEINDEX_LOG filter. */
  logLevel: LogLevel;
  /** `leindex.mcp.enabled`: offer the MCP bridge to VS Code's agent. */
  mcpEnabled: boolean;
  /** `leindex.statusBar.pollSeconds`: how often the status bar asks `leindex/status` (0: never). */
  statusPollSeconds: number;
}

export const DEFAULT_BUDGET = 4000;

/** Reads the settings through `get(key)` (a key below `leindex.`), replacing invalid values by defaults. */
export function readSettings(get: (key: string) => unknown): Settings {
  const bool = (key: string, dflt: boolean): boolean => {
    const v = get(key);
    return typeof v === 'boolean' ? v : dflt;
  };
  const int = (key: string, dflt: number, min: number): number => {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) && v >= min ? Math.floor(v) : dflt;
  };
  const level = get('logLevel');
  const serverPath = get('server.path');
  return {
    serverPath: typeof serverPath === 'string' ? serverPath.trim() : '',
    budgetTokens: int('budgetTokens', DEFAULT_BUDGET, 1),
    lenses: {
      references: bool('lenses.references', true),
      callers: bool('lenses.callers', true),
      complexity: bool('lenses.complexity', true),
      impact: bool('lenses.impact', true),
    },
    logLevel: (LOG_LEVELS as readonly unknown[]).includes(level) ? (level as LogLevel) : 'info',
    mcpEnabled: bool('mcp.enabled', true),
    statusPollSeconds: int('statusBar.pollSeconds', 5, 0),
  };
}

/** The server's settings object (initializationOptions, and `settings.leindex` after a change). */
export function serverSettings(s: Settings): ServerSettings {
  return { lenses: { ...s.lenses }, budgetTokens: s.budgetTokens };
}

/** The `workspace/didChangeConfiguration` params the server expects. */
export function didChangeConfigurationParams(s: Settings): { settings: { leindex: ServerSettings } } {
  return { settings: { leindex: serverSettings(s) } };
}

/** The server's environment: the extension host's, with LEINDEX_LOG from the log level setting. */
export function serverEnv(s: Settings, base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  env.LEINDEX_LOG = s.logLevel;
  return env;
}

/** What a settings change requires: a server restart (binary or environment), a settings push, or nothing. */
export function changeEffect(before: Settings, after: Settings): 'restart' | 'notify' | 'none' {
  if (before.serverPath !== after.serverPath || before.logLevel !== after.logLevel) return 'restart';
  const a = JSON.stringify(serverSettings(before));
  const b = JSON.stringify(serverSettings(after));
  return a !== b ? 'notify' : 'none';
}

/** Whether any lens part is on; with all off the extension asks the server for no lenses at all. */
export function anyLens(l: LensSettings): boolean {
  return l.references || l.callers || l.complexity || l.impact;
}

// Loads the real bundle (dist/extension.js) against a stand-in `vscode` module and activates it with no
// server binary available: every command package.json contributes is registered (and nothing else), the
// MCP provider is registered under the id package.json declares and offers `leindex-mcp --project
// <folder>`, and the missing binary is reported with what to do. A real VS Code cannot run here; this
// catches a manifest and code that drifted apart, and an activation that throws.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require('node:module') as { _resolveFilename: (...a: unknown[]) => string; _cache: Record<string, unknown> };

const extRoot = path.join(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(extRoot, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string }[]; mcpServerDefinitionProviders: { id: string }[] };
};

/** Anything not modelled below: a callable, constructible, infinitely nested no-op. */
function anything(): unknown {
  const fn = function () {
    return undefined;
  };
  return new Proxy(fn, {
    get: (target, prop) => (prop === 'then' ? undefined : prop in target ? Reflect.get(target, prop) : anything()),
    apply: () => anything(),
    construct: () => anything() as object,
  });
}

const commands: string[] = [];
const errors: string[] = [];
const mcp: { id: string; provider: { provideMcpServerDefinitions(): unknown } }[] = [];
let folders: { uri: { scheme: string; fsPath: string }; name: string }[] | undefined;

class EventEmitter {
  event = () => ({ dispose() {} });
  fire() {}
  dispose() {}
}
class McpStdioServerDefinition {
  cwd?: unknown;
  constructor(
    public label: string,
    public command: string,
    public args: string[],
    public env: Record<string, string>,
    public version?: string,
  ) {}
}

const vscodeStub = new Proxy(
  {
    // The bundle reads the module's own keys once (esbuild's ESM interop), so every top-level name
    // extension.ts uses must exist here; the ones not modelled are no-ops.
    EventEmitter,
    McpStdioServerDefinition,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ThemeColor: class {},
    Position: class {},
    Range: class {},
    Uri: anything(),
    ProgressLocation: { Notification: 15 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    env: anything(),
    languages: anything(),
    commands: {
      registerCommand: (id: string) => {
        commands.push(id);
        return { dispose() {} };
      },
      executeCommand: async () => undefined,
    },
    window: new Proxy(
      {
        createOutputChannel: () => ({ info() {}, warn() {}, error() {}, show() {}, dispose() {}, appendLine() {} }),
        createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
        showErrorMessage: (msg: string) => {
          errors.push(msg);
          return Promise.resolve(undefined);
        },
        state: { focused: true },
      },
      { get: (t, p) => (p in t ? Reflect.get(t, p) : anything()) },
    ),
    workspace: new Proxy(
      {
        getConfiguration: () => ({ get: () => undefined }),
        get workspaceFolders() {
          return folders;
        },
        registerTextDocumentContentProvider: () => ({ dispose() {} }),
        onDidChangeConfiguration: () => ({ dispose() {} }),
        onDidChangeWorkspaceFolders: () => ({ dispose() {} }),
      },
      { get: (t, p) => (p in t ? Reflect.get(t, p) : anything()) },
    ),
    lm: {
      registerMcpServerDefinitionProvider: (id: string, provider: { provideMcpServerDefinitions(): unknown }) => {
        mcp.push({ id, provider });
        return { dispose() {} };
      },
    },
  },
  { get: (t, p) => (p in t ? Reflect.get(t, p) : anything()) },
);

test('activation registers what package.json contributes and reports a missing server', async () => {
  const bundle = path.join(extRoot, 'dist', 'extension.js');
  assert.ok(fs.existsSync(bundle), 'dist/extension.js missing: npm run bundle first');
  // No server anywhere: empty PATH (but a leindex-mcp there for the MCP check), no variable, no bundled binary.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'leindex-activate-'));
  fs.writeFileSync(path.join(bin, 'leindex-mcp'), '#!/bin/sh\necho leindex-mcp 0.1.0\n', { mode: 0o755 });
  process.env.PATH = bin;
  delete process.env.LEINDEX_SERVER_PATH;

  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request: unknown, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  Module._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscodeStub };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ext = require(bundle) as { activate(ctx: unknown): Promise<void> };
  await ext.activate({ subscriptions: [], extensionPath: path.join(bin, 'no-such-extension-dir') });

  assert.deepEqual([...commands].sort(), manifest.contributes.commands.map((c) => c.command).sort());
  assert.equal(errors.length, 1);
  assert.match(errors[0], /no usable server binary.*PATH: leindex \(not on PATH\).*put `leindex` on PATH/);

  assert.deepEqual(
    mcp.map((m) => m.id),
    manifest.contributes.mcpServerDefinitionProviders.map((p) => p.id),
  );
  assert.deepEqual(mcp[0].provider.provideMcpServerDefinitions(), [], 'no workspace folder: no MCP server');
  folders = [{ uri: { scheme: 'file', fsPath: '/work/project' }, name: 'project' }];
  const defs = mcp[0].provider.provideMcpServerDefinitions() as McpStdioServerDefinition[];
  assert.equal(defs.length, 1);
  assert.equal(defs[0].command, path.join(bin, 'leindex-mcp'));
  assert.deepEqual(defs[0].args, ['--project', '/work/project']);
  fs.rmSync(bin, { recursive: true, force: true });
});

// Server and MCP bridge lookup (src/server.ts) on fake binaries in a temp directory: the lookup order
// (LEINDEX_SERVER_PATH, setting, bundled, PATH), the `--version` check that each candidate must pass
// (run for real, as child processes), the arguments for `leindex` vs `leindex-lsp`, and the message when
// nothing works. With LEINDEX_SERVER_PATH set (CI), the real binary is checked too.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  bridgeArgs,
  findBridge,
  findServer,
  type Found,
  isFound,
  type LookupDeps,
  nodeDeps,
  type NotFound,
  parseVersion,
  serverArgs,
} from '../src/server';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leindex-lookup-'));

/** A fake executable printing `out` for --version (or failing with `code`). */
function fake(dir: string, name: string, out: string, code = 0): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' '${out}'\nexit ${code}\n`, { mode: 0o755 });
  return file;
}

const bin = path.join(tmp, 'bin');
const other = path.join(tmp, 'other');
const ext = path.join(tmp, 'ext');
const cli = fake(bin, 'leindex', 'leindex 0.1.0');
const lsp = fake(other, 'leindex-lsp', 'leindex-lsp 0.2.0');
const broken = fake(tmp, 'broken', 'boom', 3);
const silent = fake(tmp, 'silent', '');
const bridge = fake(bin, 'leindex-mcp', 'leindex-mcp 0.1.0');

function deps(env: Record<string, string | undefined>, settingPath?: string, extensionPath = ext): LookupDeps {
  return { ...nodeDeps(settingPath, extensionPath), env, platform: 'linux' };
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('parseVersion and serverArgs', () => {
  assert.deepEqual(parseVersion('leindex 0.1.0\n'), { program: 'leindex', version: '0.1.0' });
  assert.deepEqual(parseVersion('leindex-lsp 1.2.3-beta.1'), { program: 'leindex-lsp', version: '1.2.3-beta.1' });
  assert.equal(parseVersion(''), undefined);
  assert.equal(parseVersion('rust-analyzer 1.0.0'), undefined);
  assert.deepEqual(serverArgs('leindex'), ['lsp']);
  assert.deepEqual(serverArgs('leindex-lsp'), []);
});

test('LEINDEX_SERVER_PATH wins over the setting and PATH', async () => {
  const r = (await findServer(deps({ LEINDEX_SERVER_PATH: lsp, PATH: bin }, cli))) as Found;
  assert.ok(isFound(r));
  assert.equal(r.path, lsp);
  assert.deepEqual(r.args, []);
  assert.equal(r.version, 'leindex-lsp 0.2.0');
  assert.equal(r.source, 'env');
});

test('the setting wins over PATH and expands ~', async () => {
  const r = (await findServer(deps({ PATH: other, HOME: bin }, '~/leindex'))) as Found;
  assert.ok(isFound(r));
  assert.equal(r.path, cli);
  assert.deepEqual(r.args, ['lsp']);
  assert.equal(r.source, 'setting');
});

test('an explicit binary that fails is an error, not a silent fall-back to PATH', async () => {
  const r = (await findServer(deps({ PATH: bin }, broken))) as NotFound;
  assert.ok(!isFound(r));
  assert.match(r.message, /setting leindex\.server\.path: .*broken \(`--version` failed/);
  assert.match(r.message, /Fix setting leindex\.server\.path/);
  const s = (await findServer(deps({ LEINDEX_SERVER_PATH: silent, PATH: bin }))) as NotFound;
  assert.match(s.message, /LEINDEX_SERVER_PATH: .*silent \(`--version` printed nothing/);
  const m = (await findServer(deps({ LEINDEX_SERVER_PATH: path.join(tmp, 'missing') }))) as NotFound;
  assert.match(m.message, /missing \(no such file\)/);
});

test('a bundled binary comes before PATH', async () => {
  const bundled = fake(path.join(tmp, 'ext2', 'server'), 'leindex', 'leindex 0.3.0');
  const r = (await findServer(deps({ PATH: bin }, '', path.join(tmp, 'ext2')))) as Found;
  assert.equal(r.path, bundled);
  assert.equal(r.source, 'bundled');
  assert.equal(r.version, 'leindex 0.3.0');
});

test('PATH: leindex first, then leindex-lsp, skipping binaries that fail --version', async () => {
  const r = (await findServer(deps({ PATH: [tmp, bin, other].join(':') }))) as Found;
  assert.equal(r.path, cli);
  const onlyLsp = (await findServer(deps({ PATH: other }))) as Found;
  assert.equal(onlyLsp.path, lsp);
  assert.deepEqual(onlyLsp.args, []);
  const impostor = fake(path.join(tmp, 'impostor'), 'leindex', 'not leindex');
  const skipped = (await findServer(deps({ PATH: [path.dirname(impostor), bin].join(':') }))) as Found;
  assert.equal(skipped.path, cli);
  assert.ok(skipped.attempts.some((a) => a.target === impostor && /not "leindex X\.Y\.Z"/.test(a.problem ?? '')));
});

test('nothing found: the message says what was tried and what to do', async () => {
  const r = (await findServer(deps({ PATH: tmp }))) as NotFound;
  assert.ok(!isFound(r));
  assert.match(r.message, /bundled with the extension: .*ext\/server\/leindex \(no such file\)/);
  assert.match(r.message, /PATH: leindex \(not on PATH\)/);
  assert.match(r.message, /PATH: leindex-lsp \(not on PATH\)/);
  assert.match(r.message, /put `leindex` on PATH, or set `leindex\.server\.path`/);
});

test('the MCP bridge: `leindex mcp` of the same binary, else beside the server, else PATH', () => {
  const d = { env: { PATH: other }, platform: 'linux' as const, isFile: nodeDeps(undefined, ext).isFile };
  assert.deepEqual(findBridge({ path: cli, args: ['lsp'] }, d), { command: cli, args: ['mcp'] });
  assert.equal(findBridge({ path: lsp, args: [] }, d), undefined);
  const onlyAlias = fake(path.join(tmp, 'alias'), 'leindex-mcp', 'leindex-mcp 0.1.0');
  assert.deepEqual(findBridge({ path: lsp, args: [] }, { ...d, env: { PATH: path.dirname(onlyAlias) } }), {
    command: onlyAlias,
    args: [],
  });
  assert.deepEqual(findBridge({ path: lsp, args: [] }, { ...d, env: { PATH: bin } }), { command: cli, args: ['mcp'] });
  assert.deepEqual(findBridge(undefined, { ...d, env: { PATH: `${other}:${bin}` } }), { command: cli, args: ['mcp'] });
  assert.ok(fs.existsSync(bridge));
  assert.deepEqual(bridgeArgs(['/w/a', '/w/b']), ['--project', '/w/a', '--project', '/w/b']);
});

test('the real server binary passes the lookup', { skip: !process.env.LEINDEX_SERVER_PATH && 'LEINDEX_SERVER_PATH not set' }, async () => {
  const real = process.env.LEINDEX_SERVER_PATH as string;
  const r = await findServer(nodeDeps(undefined, ext));
  assert.ok(isFound(r), (r as NotFound).message);
  assert.equal(r.path, real);
  assert.match(r.version, /^leindex(-lsp)? \d+\.\d+\.\d+/);
  assert.deepEqual(r.args, path.basename(real).startsWith('leindex-lsp') ? [] : ['lsp']);
});

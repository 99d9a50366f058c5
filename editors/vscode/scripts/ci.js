// `npm run ci`: everything that can be checked without a real VS Code, in order — strict type-check, lint,
// esbuild bundle, unit tests (with the live tests against the real server when LEINDEX_SERVER_PATH and
// LEINDEX_PROJECT are set), and `vsce package`. Prints each step's output only when it fails, then one
// summary line; exits non-zero on the first failure.
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const started = Date.now();
const done = [];

function run(name, cmd, args) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: process.env, maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.status !== 0) {
    process.stderr.write(out);
    console.log(`vscode ci: FAIL at ${name} (exit ${r.status ?? r.signal}) after ${done.join(', ') || 'nothing'}`);
    process.exit(1);
  }
  return { out, ms: Date.now() - t0 };
}

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

run('typecheck', bin('tsc'), ['--noEmit', '-p', '.']);
done.push('typecheck ok');
run('lint', bin('eslint'), ['--max-warnings', '0', 'src', 'test', 'scripts']);
done.push('lint ok');
run('bundle', 'npm', ['run', '--silent', 'bundle']);
done.push(`bundle ${Math.round(fs.statSync(path.join(root, 'dist', 'extension.js')).size / 1024)} KiB`);

fs.rmSync(path.join(root, 'out'), { recursive: true, force: true });
run('compile tests', bin('tsc'), ['-p', 'tsconfig.test.json']);
const tests = run('unit tests', process.execPath, ['--test', '--test-reporter=spec', 'out/test/']);
const count = (what) => Number((new RegExp(`ℹ ${what} (\\d+)`).exec(tests.out) || [])[1] || 0);
if (process.env.LEINDEX_CI_VERBOSE) process.stdout.write(tests.out);
const live = process.env.LEINDEX_SERVER_PATH && process.env.LEINDEX_PROJECT ? 'with live server' : 'no live server';
done.push(`tests ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped (${live})`);
if (count('pass') === 0) {
  console.log(`vscode ci: FAIL: no unit test ran after ${done.join(', ')}`);
  process.exit(1);
}

// The default package is the platform one, with the server binary inside.
for (const f of fs.readdirSync(path.join(root, 'dist'))) {
  if (f.endsWith('.vsix')) fs.rmSync(path.join(root, 'dist', f), { force: true });
}
run('package', 'npm', ['run', '--silent', 'package']);
const vsixName = fs.readdirSync(path.join(root, 'dist')).find((f) => /^leindex-[a-z0-9]+-[a-z0-9]+\.vsix$/.test(f));
if (!vsixName) {
  console.log(`vscode ci: FAIL: no platform .vsix in dist/ after ${done.join(', ')}`);
  process.exit(1);
}
const vsix = fs.readFileSync(path.join(root, 'dist', vsixName));
// A zip names its members in plain text in the central directory.
if (!vsix.includes('extension/server/leindex')) {
  console.log(`vscode ci: FAIL: ${vsixName} does not hold extension/server/leindex`);
  process.exit(1);
}
done.push(`${vsixName} ${Math.round(vsix.length / 2 ** 20)} MiB with the server`);

console.log(`vscode ci: ok: ${done.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

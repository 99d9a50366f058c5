// `npm run package`: a platform-specific .vsix with the `leindex` binary inside (`server/leindex`, the
// extension's first choice after the explicit settings), so that installing the extension is all a user
// does. The binary is LEINDEX_SERVER_PATH when that is a `leindex` binary, else
// $CARGO_TARGET_DIR/release/leindex, else ../../target/release/leindex. `npm run package -- --universal`
// builds the .vsix without a binary (the server then comes from PATH or the settings).
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const universal = process.argv.includes('--universal');

/** vsce's target for this machine (https://code.visualstudio.com/api/working-with-extensions/publishing-extension#platformspecific-extensions). */
function target() {
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch];
  if (!arch || !['linux', 'darwin', 'win32'].includes(process.platform)) {
    throw new Error(`no VS Code target for ${process.platform}-${process.arch}; use --universal`);
  }
  return `${process.platform}-${arch}`;
}

/** The `leindex` binary to bundle, or a message saying where it was looked for. */
function binary() {
  const exe = process.platform === 'win32' ? 'leindex.exe' : 'leindex';
  const candidates = [];
  const env = process.env.LEINDEX_SERVER_PATH;
  if (env && path.basename(env) === exe) candidates.push(env);
  if (process.env.CARGO_TARGET_DIR) candidates.push(path.join(process.env.CARGO_TARGET_DIR, 'release', exe));
  candidates.push(path.join(root, '..', '..', 'target', 'release', exe));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(
      `no leindex binary to bundle (looked at ${candidates.join(', ')}): build it with ` +
        '`cargo build --release --bin leindex`, set LEINDEX_SERVER_PATH to it, or pass --universal',
    );
  }
  return found;
}

/** Runs `vsce package` with `args`; returns its exit status. */
function vsce(args) {
  const bin = path.join(root, 'node_modules', '.bin', 'vsce');
  const r = spawnSync(bin, ['package', '--no-dependencies', '--skip-license', ...args], { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}

fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
const serverDir = path.join(root, 'server');
fs.rmSync(serverDir, { recursive: true, force: true });
if (universal) {
  process.exit(vsce(['-o', path.join('dist', 'leindex.vsix')]));
} else {
  let t, bin;
  try {
    t = target();
    bin = binary();
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(1);
  }
  fs.mkdirSync(serverDir);
  const bundled = path.join(serverDir, path.basename(bin));
  fs.copyFileSync(bin, bundled);
  fs.chmodSync(bundled, 0o755);
  const status = vsce(['--target', t, '-o', path.join('dist', `leindex-${t}.vsix`)]);
  fs.rmSync(serverDir, { recursive: true, force: true });
  if (status !== 0) process.exit(status);
  console.log(`package: dist/leindex-${t}.vsix with ${bin} (${Math.round(fs.statSync(bin).size / 2 ** 20)} MiB)`);
}

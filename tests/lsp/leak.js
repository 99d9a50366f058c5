// Leak check of leindex-lsp: N edit + lens cycles (a one-character didChange, then textDocument/codeLens and
// codeLens/resolve of every lens), as an editor produces them while someone types — with the writer
// re-indexing and publishing generations underneath. Samples the server's private memory (anonymous pages,
// /proc/<pid>/smaps; mapped snapshots are page cache and reported apart) after a warm-up and at the end.
// Prints the figures; exits 1 when the steady-state growth exceeds the bound.
//
//   node tests/lsp/leak.js [--cycles 10000] [--bound-kib 4096] [corpus]     (default corpus: tokio)
//
// Bound: 4 MiB of anonymous growth per 10,000 cycles after 1,000 warm-up cycles (a leak of 1 KiB per cycle
// would be 10 MiB).
'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const rpc = require('vscode-languageserver-protocol/node');
const { scratchCopy, startServer, firstLenses, stopServer } = require('./common');

const WARM_UP = 1000;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Anonymous and snapshot-mapped KiB of `pid` from /proc/<pid>/smaps. */
function memory(pid) {
  let anon = 0, snap = 0, inSnap = false;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (/^[0-9a-f]+-[0-9a-f]+$/.test(parts[0])) inSnap = line.includes('.lsnap');
    else if (parts[0] === 'Anonymous:') anon += Number(parts[1]);
    else if (parts[0] === 'Rss:' && inSnap) snap += Number(parts[1]);
  }
  return { anon, snap };
}

async function main() {
  const cycles = arg('--cycles', 10000);
  const bound = arg('--bound-kib', 4096);
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] || '').startsWith('--'));
  const name = positional[0] || 'tokio';
  const copy = scratchCopy(name, 'leindex-lsp-leak');
  if (!copy) { console.log(`${name}: corpus not fetched`); process.exit(2); }
  const { tmp, root } = copy;
  const file = fs.existsSync(path.join(root, 'src/sync/mpsc/bounded.rs')) ? path.join(root, 'src/sync/mpsc/bounded.rs')
    : path.join(root, 'django/db/models/query.py');
  const uri = pathToFileURL(file).toString();
  const rust = file.endsWith('.rs');

  const server = await startServer(root, name, 'warn', false);
  const { conn } = server;
  await firstLenses(conn, uri);
  const text = fs.readFileSync(file, 'utf8');
  conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: rust ? 'rust' : 'python', version: 1, text } });
  const line = text.split('\n').length - 1;
  conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: rust ? '\nfn leak_probe() {}\n' : '\ndef leak_probe(): pass\n' }] });
  const col = (rust ? 'fn ' : 'def ').length + 'leak_probe'.length;
  let version = 2;
  // Each cycle types a character into the probe's name or deletes it again, so the text never grows.
  async function run(n, offset) {
    for (let i = 0; i < n; i++) {
      const typing = (offset + i) % 2 === 0;
      const at = { line: line + 1, character: col };
      conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, { textDocument: { uri, version: ++version },
        contentChanges: [typing ? { range: { start: at, end: at }, text: 'x' }
          : { range: { start: at, end: { line: line + 1, character: col + 1 } }, text: '' }] });
      const ls = await conn.sendRequest(rpc.CodeLensRequest.type, { textDocument: { uri } });
      await Promise.all(ls.map((l) => conn.sendRequest(rpc.CodeLensResolveRequest.type, l)));
    }
  }
  await run(WARM_UP, 0);
  const st = await conn.sendRequest('leindex/status');
  const pid = st.serverPid;
  const m0 = memory(pid);
  const t0 = Date.now();
  await run(cycles, WARM_UP);
  const secs = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const m1 = memory(pid);
  const end = await conn.sendRequest('leindex/status');
  await stopServer(server);
  fs.rmSync(tmp, { recursive: true, force: true });

  const perTenK = ((m1.anon - m0.anon) * 10000) / cycles;
  console.log(`edit + codeLens + resolve x ${cycles} on ${path.relative(root, file)} (${secs.toFixed(0)} s, ${(secs * 1000 / cycles).toFixed(1)} ms/cycle; generations ${st.generation} -> ${end.generation})`);
  console.log(`server anonymous memory after ${WARM_UP} warm-up cycles: ${m0.anon} KiB; after ${cycles} more: ${m1.anon} KiB`);
  console.log(`growth ${m1.anon - m0.anon} KiB = ${perTenK.toFixed(0)} KiB per 10k cycles [bound ${bound} KiB]; snapshot pages mapped ${m0.snap} -> ${m1.snap} KiB`);
  process.exit(perTenK <= bound ? 0 : 1);
}

main().catch((e) => { console.error(e); process.exit(1); });

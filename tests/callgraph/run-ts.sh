#!/usr/bin/env bash
# Call-graph precision/recall of LeIndex on TypeScript, against typescript-language-server's call hierarchy:
# the shared harness (../shared/tools/callgraph) with TypeScript support added by typescript.patch (languageId
# `typescript`; callees matched by selectionRange, calls of overload signatures mapped to the implementation,
# generic calls `f<T>(` counted as calls; cause labels for `this`/`super`) and tsdefs.js (the definitions).
#
#   tests/callgraph/run-ts.sh ROOT PKGDIR        e.g. a scratch copy of rxjs 7.8 (no .leindex): ROOT src/internal
#
# ROOT must be a scratch copy (LeIndex writes ROOT/.leindex). Work files in $CALLGRAPH_WORK (default
# ~/.cache/leindex-callgraph-ts); the ground truth (gt.jsonl) is reused when present (delete it to re-query).
# Needs node, npm (installs typescript-language-server there), python3; LEINDEX_BIN_DIR (default
# ~/.cache/leindex-target/release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
H=${SHARED:-$here/../../../shared}/tools/callgraph
root=$(cd "$1" && pwd); pkg=$2
W=${CALLGRAPH_WORK:-$HOME/.cache/leindex-callgraph-ts}; mkdir -p "$W/harness"; cd "$W"
cp "$H"/*.py "$H"/package*.json "$W/harness/"
(cd "$W/harness" && patch -s -p0 < "$here/typescript.patch")
cp "$here/tsdefs.js" "$W/harness/"
export NODE_TOOLS=$W/node-tools LEINDEX_BIN_DIR=${LEINDEX_BIN_DIR:-$HOME/.cache/leindex-target/release}
if [ ! -x "$NODE_TOOLS/node_modules/.bin/typescript-language-server" ]; then
  mkdir -p "$NODE_TOOLS" && cp "$H/package.json" "$H/package-lock.json" "$NODE_TOOLS/" &&
    (cd "$NODE_TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$root" && NODE_PATH=$NODE_TOOLS/node_modules node "$W/harness/tsdefs.js" "$root" $(find "$pkg" -name '*.ts' | sort)) > defs.json
[ -s gt.jsonl ] || READY_WAIT=60 python3 "$W/harness/query.py" tsls "$root" "$pkg" gt.jsonl defs.json
rm -rf "$root/.leindex"
"$LEINDEX_BIN_DIR/leindex" index "$root" --json > li_index.json
python3 "$W/harness/sql_export.py" "$root" li_sql.tsv
READY_WAIT=60 python3 "$W/harness/query.py" leindex "$root" "$pkg" li.jsonl defs.json
python3 "$W/harness/compare.py" "$root" gt.jsonl li.jsonl li_sql.tsv report.json 2> compare.stderr | tee report.txt
python3 "$W/harness/causes.py" "$root" gt.jsonl li.jsonl li_sql.tsv | tee causes.txt

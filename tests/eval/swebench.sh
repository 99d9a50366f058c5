#!/usr/bin/env bash
# swebench.sh — reproduce the SWE-bench Lite localisation runs (LeIndex + BM25 baseline) and report.
# usage: tests/eval/swebench.sh /path/to/leindex [TAG] [--skip-bm25]
#   TAG (default: basename of the binary's dir) names the outputs $OUT/sb-TAG-leindex.jsonl.
#   The BM25 result $OUT/sb-bm25.jsonl is reused if present (or with --skip-bm25).
# Env: MIRRORS (default ~/.cache/leindex-swebench/mirrors, layout <owner>+<name>/repo: full-history git
#      clones or bare git dirs of sympy/sympy, astropy/astropy, pydata/xarray, mwaskom/seaborn),
#      SWEBENCH_WORK (checkouts, default $OUT/work), OUT (default /tmp/leindex-swebench),
#      SHARED (default ../shared next to the repository),
#      SB_ARGS (extra run.py arguments, e.g. SB_ARGS="--only pydata__xarray-4094" for a smoke test).
set -euo pipefail
mkdir -p "${OUT:-/tmp/leindex-swebench}"
LEINDEX_BIN=$(readlink -f "${1:?usage: tests/eval/swebench.sh /path/to/leindex [TAG] [--skip-bm25]}")
TAG=${2:-$(basename "$(dirname "$LEINDEX_BIN")")}
SKIP_BM25=${3:-}
SB_ARGS=${SB_ARGS:-}
SB=${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}/eval/swebench
OUT=${OUT:-/tmp/leindex-swebench}
export MIRRORS=${MIRRORS:-$HOME/.cache/leindex-swebench/mirrors}
export SWEBENCH_WORK=${SWEBENCH_WORK:-$OUT/work}
for r in sympy+sympy astropy+astropy pydata+xarray mwaskom+seaborn; do
  [ -e "$MIRRORS/$r/repo" ] || { echo "missing mirror $MIRRORS/$r/repo (fetch github:${r/+//} and symlink it)" >&2; exit 1; }
done
LE="$OUT/sb-$TAG-leindex.jsonl"; BM="$OUT/sb-bm25.jsonl"
"$LEINDEX_BIN" --version
# sequential on purpose (2 cores): each instance is checked out fresh and indexed anew
LEINDEX="$LEINDEX_BIN" python3 "$SB/run.py" --tool leindex $SB_ARGS --out "$LE" --raw-dir "$OUT/sb-raw-$TAG" 2> "$LE.log"
if [ "$SKIP_BM25" != "--skip-bm25" ] && [ ! -s "$BM" ]; then
  python3 "$SB/run.py" --tool bm25 $SB_ARGS --out "$BM" --raw-dir "$OUT/sb-raw-bm25" 2> "$BM.log"
fi
python3 "$SB/run.py" --report "$LE" "$BM" | tee "$OUT/sb-$TAG-report.md"
python3 "$SB/paired.py" "$LE" "$BM" | tee "$OUT/sb-$TAG-paired.txt"

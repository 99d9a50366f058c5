#!/usr/bin/env bash
# run.sh — scores a leindex binary and the BM25 script on the public questions and the development set,
# in the same run, and prints one line per (set, tool): hit@2000, hit@8000, MRR, per corpus.
#
#   tests/eval/run.sh LEINDEX_BINARY OUT_DIR [public|dev|all]
#
# Corpora: ../shared/corpus/fetch.sh tokio django rxjs and tests/eval/dev/fetch.sh (same cache,
# $LEINDEX_CORPUS or ~/.cache/leindex-corpus). Each corpus keeps its index in <root>/.leindex; a binary of
# another ANALYSIS_VERSION re-indexes it on first use. BM25_SKIP=1 scores the binary alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../../shared}
bin=$(realpath "$1"); out=$2; which=${3:-all}
R=${LEINDEX_CORPUS:-$HOME/.cache/leindex-corpus}
mkdir -p "$out"
score() { # NAME QUESTIONS TOOL CMD ROOTS...
  local name=$1 questions=$2 tool=$3 cmd=$4; shift 4
  local roots=(); for r in "$@"; do roots+=(--root "$r"); done
  python3 "$shared/eval/score.py" --questions "$questions" "${roots[@]}" --timeout 900 \
    --out "$out/$name-$tool.jsonl" --cmd "$cmd" > "$out/$name-$tool.txt" 2>&1
  echo "== $name $tool"; grep -E "^(budget|MRR)" "$out/$name-$tool.txt"
}
run_set() { # NAME QUESTIONS ROOTS...
  local name=$1 questions=$2; shift 2
  score "$name" "$questions" leindex "$bin analyze --format json --budget {budget} --project {root} {question}" "$@"
  [ "${BM25_SKIP:-0}" = 1 ] || score "$name" "$questions" bm25 \
    "$shared/eval/bm25_baseline.py --format json --budget {budget} --project {root} {question}" "$@"
}
if [ "$which" != dev ]; then
  run_set public "$shared/eval/questions.jsonl" tokio="$R/tokio" django="$R/django" rxjs="$R/rxjs"
fi
if [ "$which" != public ]; then
  run_set dev "$here/dev/questions.jsonl" go-std="$R/go-std" bluebird="$R/bluebird" click="$R/click" \
    rack="$R/rack" serilog="$R/serilog"
fi

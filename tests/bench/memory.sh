#!/usr/bin/env bash
# The memory figures of docs/memory.md ("Measured"): a cold index, a live writer's first run, and a new writer's
# warm start and one edit, on a large tree under a memory budget, with RSS read from /proc/<pid>/status.
#
# usage: tests/bench/memory.sh TREE BUDGET [EDIT_FILE]
#   TREE       the tree to index (e.g. ~/.cache/leindex-corpus/linux; its .leindex.toml needs
#              `gitignore = false`, as the Debian package's top-level .gitignore is `/*`)
#   BUDGET     the --memory-budget (e.g. 1GiB)
#   EDIT_FILE  a C, Python or Rust file of TREE, relative to it, that the edit step appends a function to
#              (restored after; default kernel/sched/core.c)
#
# Prints, for each step, its wall time and the process's peak RSS (VmHWM); logs (LEINDEX_LOG=debug for the
# engine) and RSS samples (every 0.5 s: time, VmRSS MiB, VmHWM MiB) go to $OUT (default /tmp/leindex-memory).
# The index goes to $OUT/index-*, on the same disk as /tmp. Uses the release binary in $CARGO_TARGET_DIR.
set -euo pipefail
tree=$(realpath "$1")
budget=$2
edit=${3:-kernel/sched/core.c}
bin=${CARGO_TARGET_DIR:-$HOME/.cache/leindex-target}/release/leindex
out=${OUT:-/tmp/leindex-memory}
mkdir -p "$out"
cd "$tree"

# Samples VmRSS/VmHWM of $1 into $2 until it exits.
sample() {
  while [ -e /proc/$1/status ]; do
    awk -v t="$(date +%T.%N | cut -c1-10)" '/VmRSS/ {r = $2} /VmHWM/ {h = $2} END {print t, int(r / 1024), int(h / 1024)}' \
      /proc/$1/status 2>/dev/null >> "$2" || true
    sleep 0.5
  done
}
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' /proc/$1/status; }
since() { awk -v from="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - from }'; }
# Waits until file $1 has a line matching $2, while process $3 runs.
await_log() {
  until grep -q "$2" "$1"; do
    kill -0 "$3" 2>/dev/null || { echo "leindex exited early; see $1" >&2; exit 1; }
    sleep 0.5
  done
}

# Starts `leindex --memory-budget $budget` with the arguments after $1 in the background, its log in $out/$1.log
# and its RSS samples in $out/$1.rss; sets pid and t (the start time).
start() {
  local name=$1
  shift
  t=$(date +%s.%N)
  "$bin" --memory-budget "$budget" "$@" > /dev/null 2> "$out/$name.log" &
  pid=$!
  : > "$out/$name.rss"
  sample $pid "$out/$name.rss" &
}

echo "== cold one-shot index: leindex --memory-budget $budget index ."
export LEINDEX_INDEX_DIR=$out/index-cold LEINDEX_LOG=leindex_engine=debug
rm -rf "$LEINDEX_INDEX_DIR"
start cold index .
wait $pid
echo "wall $(since "$t") s, peak RSS $(tail -1 "$out/cold.rss" | cut -d' ' -f3) MiB (last sample), warnings $(grep -c WARN "$out/cold.log" || true)"

echo "== live writer, first run: leindex --memory-budget $budget index --watch ."
export LEINDEX_INDEX_DIR=$out/index-live
rm -rf "$LEINDEX_INDEX_DIR"
start live index --watch .
await_log "$out/live.log" "writer index run" $pid
echo "first run $(since "$t") s, peak RSS $(hwm $pid) MiB"
# The deferred graph tables are written once the writer is idle.
await_log "$out/live.log" "live model persisted" $pid
echo "after the idle persist: peak RSS $(hwm $pid) MiB"
kill $pid
wait $pid || true

echo "== a new writer on that index: warm start, then an edit of $edit"
cp "$edit" "$out/edit.orig"
trap 'cp "$out/edit.orig" "$tree/$edit"' EXIT
start warm index --watch .
await_log "$out/warm.log" "writer index run" $pid
echo "warm start $(since "$t") s, peak RSS $(hwm $pid) MiB"
sleep 5
case "$edit" in
  *.py) probe='def leindex_probe_after_edit():\n    return 1' ;;
  *.rs) probe='pub fn leindex_probe_after_edit() -> i32 { 1 }' ;;
  *) probe='int leindex_probe_after_edit(void) { return 1; }' ;;
esac
printf "\n$probe\n" >> "$edit"
t=$(date +%s.%N)
until "$bin" search leindex_probe_after_edit . 2>/dev/null | grep -q leindex_probe_after_edit; do sleep 1; done
echo "edit found by leindex search after $(since "$t") s, peak RSS $(hwm $pid) MiB"
kill $pid
wait $pid || true
grep WARN "$out"/*.log | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-300 || true

#!/usr/bin/env bash
# N edits (default 1,000) of a corpus copy through a watching writer (`leindex index --watch`), then the
# index it leaves against a fresh index of the same tree: index directory and snapshot sizes, and 20 searches'
# time. Prints figures; asserts nothing. Issue 19's goal: within 20 % of the fresh index.
#
#   tests/bench/edits.sh ~/.cache/leindex-corpus/django [N]
#
# Edits cycle over five files chosen from the tree (largest Python files, else any source): append a
# function, rename the last appended one; one every 120 ms, so most are published one by one.
set -euo pipefail
src=$(cd "$1" && pwd); n=${2:-1000}
bin=${LEINDEX_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/leindex-target}/release/leindex}
work=$(mktemp -d); trap 'kill $watcher 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$src" "$work/live"; rm -rf "$work/live/.leindex"
cd "$work/live"
mapfile -t files < <(find . -name '*.py' -size +20k | sort | head -5)
[ ${#files[@]} -eq 5 ] || { echo "edits.sh: needs five Python files over 20 KB under $src"; exit 1; }
"$bin" index -p . > /dev/null 2>&1
LEINDEX_LOG=info "$bin" index --watch -p . 2> "$work/watch.log" > /dev/null & watcher=$!
sleep 3
for i in $(seq 1 "$n"); do
  f=${files[$((i % 5))]}
  if [ $((i % 2)) -eq 0 ]; then
    printf "\n\ndef bench_edit_%d(x):\n    return x + %d\n" "$i" "$i" >> "$f"
  else
    sed -i "s/^def bench_edit_\([0-9]*\)(/def bench_renamed_\1_$i(/" "$f"
  fi
  sleep 0.12
done
sleep 4
kill "$watcher"; wait "$watcher" 2>/dev/null || true
published=$(sed 's/\x1b\[[0-9;]*m//g' "$work/watch.log" | grep -c 'published=true' || true)
searches() {
  local t0; t0=$(date +%s%N)
  for _ in 1 2 3 4; do
    for q in "how are querysets filtered" "where is the request body parsed" "how does a form field validate input" \
             "slugify text" "middleware handler chain"; do
      "$bin" search -p "$1" "$q" > /dev/null
    done
  done
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
size() { du -sb "$1/.leindex" | cut -f1; }
# The segments CURRENT names (a base, and a delta when there is one).
snap() { local t=0 f; for f in $(cat "$1/.leindex/CURRENT"); do t=$((t + $(stat -c %s "$1/.leindex/snapshots/$f"))); done; echo "$t"; }
segments() { ls "$1/.leindex/snapshots" | grep -c lsnap; }
catalog() { stat -c %s "$1/.leindex/catalog.duckdb"; }
live_ms=$(searches "$work/live")
cp -r "$work/live" "$work/fresh"; rm -rf "$work/fresh/.leindex"; "$bin" index -p "$work/fresh" > /dev/null 2>&1
fresh_ms=$(searches "$work/fresh")
echo "$n edits, $published generations published"
printf '%-22s %12s %12s\n' "" "after edits" "fresh"
printf '%-22s %12s %12s\n' "index directory bytes" "$(size "$work/live")" "$(size "$work/fresh")"
printf '%-22s %12s %12s\n' "current snapshot bytes" "$(snap "$work/live")" "$(snap "$work/fresh")"
printf '%-22s %12s %12s\n' "segment files" "$(segments "$work/live")" "$(segments "$work/fresh")"
printf '%-22s %12s %12s\n' "CURRENT" "$(cat "$work/live/.leindex/CURRENT")" "$(cat "$work/fresh/.leindex/CURRENT")"
printf '%-22s %12s %12s\n' "catalog bytes" "$(catalog "$work/live")" "$(catalog "$work/fresh")"
printf '%-22s %12s %12s\n' "20 searches, ms" "$live_ms" "$fresh_ms"

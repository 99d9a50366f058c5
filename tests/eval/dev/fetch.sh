#!/usr/bin/env bash
# fetch.sh — bring the dev-set corpora (pinned) and print NAME<TAB>ROOT per corpus.
#   tests/eval/dev/fetch.sh [go-std] [bluebird] [click]     (default: all three)
# Corpora land under ${LEINDEX_CORPUS:-$HOME/.cache/leindex-corpus}/NAME, like ../shared/corpus/fetch.sh.
set -euo pipefail
CACHE=${LEINDEX_CORPUS:-$HOME/.cache/leindex-corpus}
SHARED_FETCH=${SHARED_FETCH:-$(cd "$(dirname "$0")/../../../.." && pwd)/shared/corpus/fetch.sh}
mkdir -p "$CACHE"
one() {
  local name=$1 dest=$CACHE/$1 tmp
  if [ "$name" = go-std ]; then "$SHARED_FETCH" go-std; return; fi
  if [ -f "$dest/.complete" ]; then printf '%s\t%s\n' "$name" "$dest"; return; fi
  rm -rf "$dest" "$dest.part"; mkdir -p "$dest.part"; tmp=$(mktemp -d)
  case $name in
    bluebird) (cd "$tmp" && npm pack -q bluebird@3.7.2 >/dev/null 2>&1)
              tar -xzf "$tmp"/bluebird-3.7.2.tgz -C "$dest.part" --strip-components=1
              rm -rf "$dest.part"/js/browser ;;   # browser bundles duplicate js/release
    click)    python3 -m pip download -q --no-deps --only-binary=:all: click==8.1.7 -d "$tmp"
              (cd "$dest.part" && python3 -m zipfile -e "$tmp"/click-8.1.7-py3-none-any.whl .)
              rm -rf "$dest.part"/*.dist-info ;;
    *) echo "fetch.sh: no dev corpus named '$name'" >&2; exit 1 ;;
  esac
  rm -rf "$tmp"; touch "$dest.part/.complete"; mv "$dest.part" "$dest"
  printf '%s\t%s\n' "$name" "$dest"
}
[ $# -gt 0 ] || set -- go-std bluebird click
for n in "$@"; do one "$n"; done

#!/usr/bin/env bash
# fetch.sh — bring the dev-set corpora (pinned) and print NAME<TAB>ROOT per corpus.
#   tests/eval/dev/fetch.sh [go-std] [bluebird] [click] [rack] [serilog]     (default: all)
# Corpora land under ${LEINDEX_CORPUS:-$HOME/.cache/leindex-corpus}/NAME, like ../shared/corpus/fetch.sh.
# rack and serilog are taken from GitHub at a pinned commit: from a local mirror when MIRRORS names a
# folder holding <owner>+<name>/repo git directories (as for tests/eval/swebench.sh), else by git clone.
set -euo pipefail
CACHE=${LEINDEX_CORPUS:-$HOME/.cache/leindex-corpus}
SHARED_FETCH=${SHARED_FETCH:-$(cd "$(dirname "$0")/../../../.." && pwd)/shared/corpus/fetch.sh}
mkdir -p "$CACHE"
# github OWNER/NAME COMMIT DEST: the tree of COMMIT, without .git.
github() {
  local repo=$1 commit=$2 dest=$3 git_dir
  git_dir=${MIRRORS:+$MIRRORS/${repo/\//+}/repo}
  if [ -z "$git_dir" ] || [ ! -d "$git_dir" ]; then
    git_dir=$(mktemp -d); git clone -q --bare "https://github.com/$repo" "$git_dir"
  fi
  git --git-dir="$git_dir" archive "$commit" | tar -x -C "$dest"
}
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
    rack)     github rack/rack 8bf4eb078498edc9105fb04add80d89c5340e60b "$dest.part" ;;
    serilog)  github serilog/serilog 60935b4d7abad71cf6157b45a10f5c3c65ead527 "$dest.part" ;;
    *) echo "fetch.sh: no dev corpus named '$name'" >&2; exit 1 ;;
  esac
  rm -rf "$tmp"; touch "$dest.part/.complete"; mv "$dest.part" "$dest"
  printf '%s\t%s\n' "$name" "$dest"
}
[ $# -gt 0 ] || set -- go-std bluebird click rack serilog
for n in "$@"; do one "$n"; done

#!/usr/bin/env bash
# Compares the deep-analysis answers of two `leindex` binaries (e.g. before and after a refactor that must not
# change behaviour): every public question at two token budgets, each binary on its own copy of the corpora,
# JSON compared with timing and freshness fields removed. Prints the differing answers and a count.
#
#   tests/eval/compare_answers.sh OLD_LEINDEX NEW_LEINDEX
#
# Environment: QUESTIONS (default ../shared/eval/questions.jsonl), CORPORA (default ~/.cache/leindex-corpus,
# filled by ../shared/corpus/fetch.sh tokio django rxjs).
set -euo pipefail
old=$1; new=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
questions=${QUESTIONS:-$here/../shared/eval/questions.jsonl}
corpora=${CORPORA:-$HOME/.cache/leindex-corpus}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for side in old new; do
  for c in tokio django rxjs; do
    mkdir -p "$work/$side"; cp -r "$corpora/$c" "$work/$side/$c"; rm -rf "$work/$side/$c/.leindex"
  done
done
python3 - "$old" "$new" "$questions" "$work" <<'PY'
import json, subprocess, sys
old, new, questions, work = sys.argv[1:5]
volatile = {'seconds', 'ms', 'elapsed_ms', 'freshness', 'age_ms'}
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in volatile}
    return [strip(x) for x in v] if isinstance(v, list) else v
def answer(binary, side, q, budget):
    r = subprocess.run([binary, 'analyze', '--format', 'json', '--budget', str(budget), '--project',
                        f'{work}/{side}/{q["corpus"]}', q['question']], capture_output=True, text=True)
    return strip(json.loads(r.stdout)) if r.returncode == 0 else ('error', r.stderr[-300:])
same = differ = 0
for q in map(json.loads, open(questions)):
    for budget in (2000, 8000):
        a, b = answer(old, 'old', q, budget), answer(new, 'new', q, budget)
        if a == b:
            same += 1
        else:
            differ += 1
            print(f'{q["id"]} at {budget} tokens differs:\n  old {str(a)[:300]}\n  new {str(b)[:300]}')
print(f'identical answers: {same}, different: {differ}')
sys.exit(1 if differ else 0)
PY

#!/usr/bin/env python3
"""semantic_probe.py — would a static-embedding similarity lift LeIndex's ranking? (issue 17, item 3)

The probe, not a feature: it embeds every symbol of an indexed corpus (name, qualified name, signature,
doc) with WordLlama's static token embeddings (l2_supercat_256: 32,000 LLaMA-2 tokens x 256 dims, shipped in
the `wordllama` wheel on PyPI, MIT; mean of token vectors, L2-normalised, as WordLlama pools), embeds the
question the same way, and scores, per corpus:
  sem            the embedding ranking alone (cosine over all symbols)
  lex            `leindex search --limit 50` alone
  rrf W          reciprocal-rank fusion (k = 60) of lex and the embedding top 200, the embedding weighted W
  rerank W       lex's top 50 re-ordered by score/best + W x cosine
MRR and hit@10 (a hit = same path and same last name segment as a target, as score.py matches).

Usage (corpora indexed by the binary first, e.g. by tests/eval/run.sh):
  python3 -m pip download --no-deps wordllama==0.4.0.post1 -d /tmp/wl && \
    (cd /tmp/wl && python3 -m zipfile -e wordllama-*.whl x)
  python3 -m pip install numpy duckdb
  LEINDEX=path/to/leindex python3 tests/eval/semantic_probe.py /tmp/wl/x/wordllama QUESTIONS.jsonl \
    NAME=ROOT [NAME=ROOT ...]
"""
import collections
import json
import os
import re
import struct
import subprocess
import sys

import duckdb
import numpy as np

STOP = set("the a an of to in for on and or is are was be by with how what where when which does do it its "
           "this that from as at into who why there their".split())


class Embedder:
    """WordLlama token vectors; words are cut into vocabulary pieces by greedy longest match (close to the
    BPE the model was trained with for whole words, and needs no tokenizer library)."""

    def __init__(self, wordllama_dir):
        tok = json.load(open(f"{wordllama_dir}/tokenizers/l2_supercat_tokenizer_config.json"))
        self.vocab = tok["model"]["vocab"]
        with open(f"{wordllama_dir}/weights/l2_supercat_256.safetensors", "rb") as f:
            header = struct.unpack("<Q", f.read(8))[0]
            f.read(header)
            self.table = np.frombuffer(f.read(), dtype=np.float16).reshape(32000, 256).astype(np.float32)
        self.longest = max(len(k) for k in self.vocab)
        self.cache = {}

    def pieces(self, word):
        if word not in self.cache:
            out, s, i = [], "\u2581" + word, 0
            while i < len(s):
                for j in range(min(len(s), i + self.longest), i, -1):
                    if s[i:j] in self.vocab:
                        out.append(self.vocab[s[i:j]])
                        i = j
                        break
                else:
                    i += 1
            self.cache[word] = out
        return self.cache[word]

    def embed(self, words):
        ids = [i for w in words for i in self.pieces(w)]
        if not ids:
            return np.zeros(256, np.float32)
        v = self.table[ids].mean(0)
        n = np.linalg.norm(v)
        return v / n if n > 0 else v


def words(text):
    """Lower-case sub-words of identifiers and prose (camelCase and snake_case split), stop words dropped."""
    out = []
    for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text or ""):
        for p in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", w):
            p = p.lower()
            if len(p) > 1 and p not in STOP:
                out.append(p)
    return out


def last(symbol):
    return re.split(r"::|\.", symbol)[-1]


def is_target(path, symbol, q):
    return any((path == t["path"] or path.endswith("/" + t["path"])) and last(t["symbol"]) == last(symbol)
               for t in q["targets"])


def first_rank(items, q):
    return next((i + 1 for i, (p, s) in enumerate(items) if is_target(p, s, q)), None)


def probe_corpus(emb, name, root, questions, res):
    db = duckdb.connect(f"{root}/.leindex/catalog.duckdb", read_only=True)
    rows = [r for r in db.execute("select file, name, qualified_name, kind, signature, doc from symbols").fetchall()
            if r[3] != "module"]
    matrix = np.stack([emb.embed(words(r[1]) * 2 + words(r[2]) + words(r[4]) + words(r[5])) for r in rows])
    index = {(r[0], r[2]): i for i, r in enumerate(rows)}
    for q in questions:
        sims = matrix @ emb.embed(words(q["question"]))
        order = np.argsort(-sims)[:200]
        sem = [(rows[k][0], rows[k][2]) for k in order]
        out = subprocess.run([os.environ["LEINDEX"], "search", "--format", "json", "--limit", "50", "-p", root,
                              q["question"]], capture_output=True, text=True).stdout
        lex = json.loads(out).get("results", []) if out.strip() else []
        lex_items = [(h["path"], h["symbol"]) for h in lex]
        res[(name, "sem")].append(first_rank(sem, q))
        res[(name, "lex")].append(first_rank(lex_items, q))
        for w in (0.3, 1.0):
            fused = collections.defaultdict(float)
            for i, item in enumerate(lex_items):
                fused[item] += 1 / (60 + i + 1)
            for i, item in enumerate(sem):
                fused[item] += w / (60 + i + 1)
            res[(name, f"rrf {w}")].append(first_rank(sorted(fused, key=lambda x: -fused[x]), q))
        best = max([h["score"] for h in lex] or [1.0])
        for w in (0.1, 0.25, 0.5):
            def rescored(h):
                i = index.get((h["path"], h["symbol"]))
                return h["score"] / best + w * (float(sims[i]) if i is not None else 0.0)
            rer = sorted(lex, key=lambda h: -rescored(h))
            res[(name, f"rerank {w}")].append(first_rank([(h["path"], h["symbol"]) for h in rer], q))


def main():
    emb = Embedder(sys.argv[1])
    questions = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    res = collections.defaultdict(list)
    for arg in sys.argv[3:]:
        name, root = arg.split("=", 1)
        probe_corpus(emb, name, root, [q for q in questions if q["corpus"] == name], res)
    for key, ranks in sorted(res.items()):
        mrr = sum(1 / r for r in ranks if r) / len(ranks)
        hit10 = sum(1 for r in ranks if r and r <= 10) / len(ranks)
        print(f"{key[0]:10} {key[1]:12} MRR {mrr:.3f}  hit@10 {hit10:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark: does a live index stay as good as a fresh one after many edits? Prints figures; asserts
nothing about speed.

    python3 tests/mcp/drift.py [--mcp BIN] [--cli BIN] [--edits 1000] [corpus ...]   (default: django)

For each corpus (a scratch copy of ../shared/corpus's download, indexed once with the CLI), an MCP bridge
is started as the embedded writer and the tree is edited `--edits` times through the file system, each edit
waited for until the writer has published it (the generation in `CURRENT` moved on). The edits go round 20
source files spread over the tree: a function appended, and every other time the previous one rewritten.
Then the live index is compared with a fresh index of the same final tree (copied, indexed by the CLI):

  - index size: bytes of the snapshot files `CURRENT` names (base + delta) — what every reader maps
  - leindex_deep_analyze and leindex_search latency, p50 / p99 over the corpus's eval questions, 3 rounds
  - answers: questions whose ranked entry points are the same, in the same order, in both

Issue 19's goal: after 1,000 edits, query latency and index size within 20% of the fresh index (background
merges keep up with the edits). The live figures are taken twice: through the writer bridge right after the
last edit is published (as an assistant sees them while someone edits), and, once the writer has been idle
a few seconds and has stopped, through a read-only bridge, as the fresh index is (the index alone).
"""

import asyncio
import os
import shutil
import subprocess
import sys
import time

from mcp import ClientSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import PROBES, arguments, indexed_copy, pct, questions, session_for, writer_ready  # noqa: E402

FILES = 20
QUIET_S = 5.0


def edit_targets(cli_bin, project):
    """FILES indexed source files spread evenly over the tree (path order), of the languages PROBES can
    edit: asked of the catalog, so that no edit goes to a file the ignore rules leave out."""
    sql = "select path from files where status = 'ok' order by path"
    out = subprocess.run([cli_bin, "sql", sql, "--project", project], capture_output=True, text=True, check=True)
    rows = [line.strip() for line in out.stdout.splitlines()[2:] if line.strip() and not line.startswith("(")]
    found = [os.path.join(project, r) for r in rows if os.path.splitext(r)[1] in PROBES]
    if not found:
        raise SystemExit(f"no indexed source file to edit in {project}")
    step = max(1, len(found) // FILES)
    return found[::step][:FILES]


def current_files(project):
    """The snapshot files `CURRENT` names (base, and the delta when there is one)."""
    with open(os.path.join(project, ".leindex", "CURRENT")) as f:
        return f.read().split()


def index_bytes(project):
    snaps = os.path.join(project, ".leindex", "snapshots")
    return sum(os.path.getsize(os.path.join(snaps, name)) for name in current_files(project))


def apply_edit(path, i, state):
    """Edit number `i` of `path`: its original text plus probe functions, the last one renamed every other
    edit and a new one added otherwise, so the file grows by about one function per two edits. `state`
    holds each file's original text and probe names across calls."""
    ext = os.path.splitext(path)[1]
    if path not in state:
        with open(path) as f:
            state[path] = (f.read(), [])
    original, names = state[path]
    name = f"leindex_drift_{i}"
    if i % 2 == 1 and names:
        names[-1] = name
    else:
        names.append(name)
    with open(path, "w") as f:
        f.write(original + "".join(PROBES[ext].format(fn=fn) for fn in names))


async def wait_published(project, before, limit_s=60):
    """Waits until `CURRENT` names something other than `before`; returns what it names."""
    start = time.perf_counter()
    while True:
        now = current_files(project)
        if now != before:
            return now
        if time.perf_counter() - start > limit_s:
            raise SystemExit(f"no generation published {limit_s} s after an edit (CURRENT: {now})")
        await asyncio.sleep(0.005)


async def measure(session, qs):
    """deep_analyze and search latencies (ms) over `qs` (rounds enough for 30 of each), and each question's
    entry points, after a warm-up round (a new bridge's first calls fault the snapshot's pages in)."""
    for q in qs:
        await session.call_tool("leindex_deep_analyze", {"query": q, "token_budget": 4000})
    deep, search, entries = [], [], {}
    for _ in range(max(3, -(-30 // len(qs)))):
        for q in qs:
            t = time.perf_counter()
            res = await session.call_tool("leindex_deep_analyze", {"query": q, "token_budget": 4000})
            deep.append((time.perf_counter() - t) * 1e3)
            assert not res.is_error, res.content[0].text
            entries[q] = [(e["path"], e["symbol"]) for e in res.structured_content["entry_points"]]
            t = time.perf_counter()
            res = await session.call_tool("leindex_search", {"query": q})
            search.append((time.perf_counter() - t) * 1e3)
            assert not res.is_error, res.content[0].text
    return deep, search, entries


async def read_only_figures(mcp_bin, project, env, qs):
    """(index bytes, deep_analyze ms, search ms, entry points) through a read-only bridge: the index alone,
    with no writer at work beside the queries."""
    async with await session_for(mcp_bin, project, env, "--read-only") as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            return (index_bytes(project), *await measure(s, qs))


def report(label, size, deep, search, fresh):
    f_size, f_deep, f_search = fresh
    print(
        f"{label}: index {size / 2**20:.1f} MiB ({size / f_size:.2f}x fresh); "
        f"deep_analyze p50 / p99 {pct(deep, 50):.1f} / {pct(deep, 99):.1f} ms "
        f"({pct(deep, 50) / pct(f_deep, 50):.2f}x / {pct(deep, 99) / pct(f_deep, 99):.2f}x fresh); "
        f"search p50 / p99 {pct(search, 50):.1f} / {pct(search, 99):.1f} ms "
        f"({pct(search, 50) / pct(f_search, 50):.2f}x / {pct(search, 99) / pct(f_search, 99):.2f}x fresh)"
    )


async def bench_corpus(name, mcp_bin, cli_bin, edits):
    copy = indexed_copy(name, cli_bin, "leindex-drift")
    if copy is None:
        return
    tmp, project, env = copy
    qs = questions(name)
    targets = edit_targets(cli_bin, project)
    print(f"\n== {name}: {edits} edits over {len(targets)} files, {len(qs)} questions")
    async with await session_for(mcp_bin, project, env) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            pid = (await s.call_tool("leindex_status", {})).structured_content["bridge_pid"]
            await writer_ready(s, pid)
            state, published = {}, []
            start = time.perf_counter()
            for i in range(edits):
                before = current_files(project)
                t = time.perf_counter()
                apply_edit(targets[i % len(targets)], i, state)
                await wait_published(project, before)
                published.append((time.perf_counter() - t) * 1e3)
            secs = time.perf_counter() - start
            print(
                f"edits: {edits} in {secs:.0f} s; save -> published p50 / p99 {pct(published, 50):.0f} / "
                f"{pct(published, 99):.0f} ms; CURRENT names {' + '.join(current_files(project))}"
            )
            after = (index_bytes(project), *await measure(s, qs))
            await asyncio.sleep(QUIET_S)
    settled_files = current_files(project)
    settled = await read_only_figures(mcp_bin, project, env, qs)
    fresh_project = os.path.join(tmp, "fresh", name)
    shutil.copytree(project, fresh_project, ignore=shutil.ignore_patterns(".leindex"))
    os.system(f"{cli_bin} index {fresh_project} > /dev/null")
    fresh = await read_only_figures(mcp_bin, fresh_project, env, qs)
    print(
        f"fresh index of the final tree: {fresh[0] / 2**20:.1f} MiB; deep_analyze p50 / p99 "
        f"{pct(fresh[1], 50):.1f} / {pct(fresh[1], 99):.1f} ms; search p50 / p99 "
        f"{pct(fresh[2], 50):.1f} / {pct(fresh[2], 99):.1f} ms"
    )
    report("live, the writer bridge right after the last edit", *after[:3], fresh[:3])
    report(f"live index after {QUIET_S:.0f} s idle ({' + '.join(settled_files)}), read-only bridge", *settled[:3], fresh[:3])
    same = sum(settled[3][q] == fresh[3][q] for q in qs)
    print(f"answers: {same} of {len(qs)} questions have the same entry points, in the same order, as fresh")
    for q in qs:
        if settled[3][q] != fresh[3][q]:
            print(f"  differs: {q!r}: live {settled[3][q][:3]} vs fresh {fresh[3][q][:3]}")
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = arguments(["django"])
    ap.add_argument("--edits", type=int, default=1000)
    a = ap.parse_args()
    for c in a.corpora:
        asyncio.run(bench_corpus(c, a.mcp, a.cli, a.edits))


if __name__ == "__main__":
    main()

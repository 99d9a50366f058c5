"""Leak check of leindex-mcp: N leindex_deep_analyze calls through the official MCP Python SDK, and the bridge's
private memory (anonymous pages from /proc/<pid>/smaps; the mapped snapshot is page cache, shared and
droppable, so it is reported apart) after a warm-up and at the end. Prints the figures; exits 1 when the
steady-state growth exceeds the bound.

    python3 tests/mcp/leak.py [--calls 10000] [--bound-kib 8192] [--mcp BIN] [--cli BIN] [corpus]

Bound: 8 MiB of anonymous growth per 10,000 calls after 1,000 warm-up calls. A leak of one small allocation
per call (a 1 KiB string) would be 10 MiB; the slack is glibc's arenas settling (measured here: 0.3 and
1.2 MiB in two runs).
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time

from mcp import ClientSession

from bench import CORPUS, TARGET, memory, questions, session_for

WARM_UP = 1000


async def run(args):
    src = os.path.join(CORPUS, args.corpus)
    if not os.path.exists(os.path.join(src, ".complete")):
        print(f"{args.corpus}: corpus not fetched (../shared/corpus/fetch.sh {args.corpus})")
        return 2
    tmp = tempfile.mkdtemp(prefix="leindex-mcp-leak-")
    project = os.path.join(tmp, args.corpus)
    shutil.copytree(src, project, ignore=shutil.ignore_patterns(".leindex"))
    os.system(f"{args.cli} index {project} > /dev/null")
    qs = questions(args.corpus)
    env = dict(os.environ, LEINDEX_LOG="warn")
    try:
        async with await session_for(args.mcp, project, env) as (r, w):
            async with ClientSession(r, w) as s:
                await s.initialize()
                pid = (await s.call_tool("leindex_status", {})).structured_content["bridge_pid"]

                async def calls(n, offset):
                    for i in range(n):
                        q = qs[(offset + i) % len(qs)]
                        res = await s.call_tool("leindex_deep_analyze", {"query": q, "token_budget": 2000})
                        assert not res.is_error, res.content[0].text

                await calls(WARM_UP, 0)
                _, anon0, snap0 = memory(pid)
                t = time.perf_counter()
                await calls(args.calls, WARM_UP)
                secs = time.perf_counter() - t
                rss1, anon1, snap1 = memory(pid)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    growth = anon1 - anon0
    per_10k = growth * 10000 / args.calls
    print(f"leindex_deep_analyze x {args.calls} on {args.corpus} ({secs:.0f} s, {secs / args.calls * 1e3:.1f} ms/call)")
    print(f"bridge anonymous memory after {WARM_UP} warm-up calls: {anon0} KiB; after {args.calls} more: {anon1} KiB")
    print(f"growth {growth} KiB = {per_10k:.0f} KiB per 10k calls [bound {args.bound_kib} KiB]; "
          f"snapshot pages mapped {snap0} -> {snap1} KiB; RSS at the end {rss1} KiB")
    return 0 if per_10k <= args.bound_kib else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=10000)
    p.add_argument("--bound-kib", type=int, default=8192)
    p.add_argument("--mcp", default=os.environ.get("LEINDEX_MCP_BIN", os.path.join(TARGET, "release/leindex-mcp")))
    p.add_argument("--cli", default=os.environ.get("LEINDEX_BIN", os.path.join(TARGET, "release/leindex")))
    p.add_argument("corpus", nargs="?", default="tokio")
    sys.exit(asyncio.run(run(p.parse_args())))


if __name__ == "__main__":
    main()

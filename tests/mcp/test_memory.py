"""The memory budget in one bridge serving two projects (scratch copies of tokio and django): when the second
project's writer role comes to the bridge and its model loads, RSS passes 90% of the budget and the model
of the project that was not active — tokio's — is spilled, not the one being loaded; answers keep coming
from the snapshot, and an edit of tokio is published, its model reloaded from the catalog (or, if it no
longer fits beside django's, rebuilt from the catalog without being kept).

The budget is set from this machine's own figures: a first bridge measures its RSS with tokio's model
loaded, and the second runs under a budget whose spill line is a few MiB above that, so that loading
django's model (tens of MiB) must cross it."""

import json
import os
import subprocess
import time
import unittest

from harness import CLI_BIN, PROJECT, bridge, ok, wait_for

SECOND = os.environ["LEINDEX_SECOND_PROJECT"]
TOKIO = os.path.realpath(PROJECT)
DJANGO = os.path.realpath(SECOND)
# Room above the measured RSS: far less than django's model and its load, more than sampling noise.
HEADROOM = 6 << 20


def writer_status(path):
    """`leindex status --json` of `path`'s writer (None when no process holds the role)."""
    out = subprocess.run([CLI_BIN, "status", "--json", path], check=True, capture_output=True, text=True)
    return json.loads(out.stdout).get("writer")


async def tokio_model_loaded(session):
    st = await ok(session, "leindex_status", project_path=TOKIO)
    w = st.get("writer") or {}
    mine = w.get("pid") == st["bridge_pid"]
    return st if mine and w.get("model_loaded") else None


async def searches(session):
    """Top hits of one query in each project (what a user sees, and the same mapped pages each time)."""
    hits = []
    for query, path in [("steal work from another worker", TOKIO), ("queryset filter", DJANGO)]:
        r = await ok(session, "leindex_search", query=query, project_path=path, limit=5)
        hits.append([h["symbol"] for h in r["hits"]])
    return hits


class MemoryBudget(unittest.IsolatedAsyncioTestCase):
    async def test_the_inactive_project_spills_first_and_reloads_on_edit(self):
        # tokio indexed beforehand, so the bridge's writer fills its model from the catalog at once; django
        # indexed and held by another writer, so the bridge only reads it until that writer goes away.
        subprocess.run([CLI_BIN, "index", TOKIO], check=True, capture_output=True)
        other = subprocess.Popen(
            [CLI_BIN, "index", "--watch", DJANGO], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 120
            while not ((writer_status(DJANGO) or {}).get("generation", 0) >= 1):
                self.assertLess(time.monotonic(), deadline, "django's writer did not publish")
                time.sleep(0.2)

            async with bridge("--project", DJANGO) as (session, _):
                await wait_for(lambda: tokio_model_loaded(session), timeout=60, interval=0.1)
                await searches(session)
                time.sleep(1)
                rss = (await ok(session, "leindex_status", project_path=TOKIO))["memory"]["rss_bytes"]
            budget = max(int((rss + HEADROOM) / 0.9), 64 << 20)
            print(f"bridge RSS with tokio's model: {rss / 1048576:.1f} MiB; budget {budget / 1048576:.1f} MiB")

            async with bridge("--project", DJANGO, "--memory-budget", str(budget)) as (session, _):
                st, _ = await wait_for(lambda: tokio_model_loaded(session), timeout=60, interval=0.1)
                before = await searches(session)
                time.sleep(1)
                st = await ok(session, "leindex_status", project_path=TOKIO)
                self.assertEqual(st["memory"]["spills"], 0, st["memory"])

                # django's writer stops: the bridge takes its role over and loads its model.
                other.terminate()
                other.wait(timeout=30)

                async def tokio_spilled():
                    st = await ok(session, "leindex_status", project_path=TOKIO)
                    w = st.get("writer") or {}
                    return st if st["memory"]["spills"] >= 1 and not w.get("model_loaded") else None

                st, _ = await wait_for(tokio_spilled, timeout=90, interval=0.1)
                mem = st["memory"]
                self.assertIn(f"live model of {TOKIO}", mem["last_spill"], mem)
                self.assertGreater(mem["freed_bytes"], 0, mem)
                st = await ok(session, "leindex_status", project_path=DJANGO)
                self.assertEqual(st["writer"]["pid"], st["bridge_pid"], st["writer"])

                # Answers come from the snapshot, spilled or not.
                self.assertEqual(await searches(session), before)

                # An edit of tokio reloads its model from the catalog and is published.
                with open(os.path.join(TOKIO, "src", "lib.rs"), "a") as f:
                    f.write("\npub fn added_after_the_spill() -> u8 { 1 }\n")

                async def edit_seen():
                    r = await ok(session, "leindex_search", query="added_after_the_spill", limit=1)
                    return r["hits"] and r["hits"][0]["symbol"] == "added_after_the_spill"

                await wait_for(edit_seen, timeout=60, interval=0.2)

                # The edit's run either reloaded the model or — when django's model now holds the room —
                # found it would not fit and rebuilt from the catalog without keeping it; either is counted.
                async def reloaded_or_bounded():
                    st = await ok(session, "leindex_status", project_path=TOKIO)
                    w = st.get("writer") or {}
                    return st if st["memory"]["reloads"] >= 1 or w.get("model_bounded") else None

                st, _ = await wait_for(reloaded_or_bounded, timeout=30, interval=0.2)
                print(f"after the edit: {st['memory']}; tokio's model bounded: {st['writer'].get('model_bounded')}")
        finally:
            other.kill()
            other.wait()


if __name__ == "__main__":
    unittest.main()

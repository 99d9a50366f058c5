"""The memory budget in one bridge serving two projects: when the second project's writer role comes to the
bridge and its model loads, RSS passes 90% of the budget and the model of the project that was not active is
spilled, not the one being loaded; answers keep coming from the snapshot, and an edit of the spilled project
is published, its model reloaded from the catalog (or, if it no longer fits beside the other, rebuilt from
the catalog without being kept).

The projects are scratch copies: rxjs (262 files, a small model: the one that spills) and a large one made of
four copies of django (3,900 indexed files; loading the models of two copies added 92 MiB of RSS here, of
three 96 to 115 MiB).

The budget is set from this machine's own figures, measured by a first bridge without a budget running the
same steps: its RSS with rxjs's model loaded (A) and with both models loaded (B). The second bridge runs with
its spill line halfway between them. Loading rxjs's model again needs about its own growth above A (its
projected peak was 34 MiB above A on 2 cores, with DuckDB's read buffers), and the large project's load adds
(B - A) / 2 above the line; the test requires B - A >= 80 MiB so both margins are wide (they were a few tens
of MiB when the large project was one django, and that version failed 2 of 8 runs)."""

import json
import os
import shutil
import subprocess
import time
import unittest

from harness import CLI_BIN, OUT, bridge, ok, wait_for

CORPUS = os.environ.get("LEINDEX_CORPUS", os.path.expanduser("~/.cache/leindex-corpus"))
INACTIVE = os.path.join(os.path.realpath(OUT), "rxjs")
ACTIVE = os.path.join(os.path.realpath(OUT), "djangos")
# Copies of django in the large project (about 970 indexed files each).
COPIES = 4
MIB = 1 << 20
# Least distance between the two measured RSS figures for the spill line between them to be robust.
MIN_GAP = 80 * MIB


def writer_status(path):
    """`leindex status --json` of `path`'s writer (None when no process holds the role)."""
    out = subprocess.run([CLI_BIN, "status", "--json", path], check=True, capture_output=True, text=True)
    return json.loads(out.stdout).get("writer")


def hold_active_elsewhere():
    """Starts another process as the large project's writer (`leindex index --watch`), so the bridge only
    reads that project until the process goes away; returns it once it has published."""
    other = subprocess.Popen(
        [CLI_BIN, "index", "--watch", ACTIVE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not ((writer_status(ACTIVE) or {}).get("generation", 0) >= 1 and
               (writer_status(ACTIVE) or {}).get("pid") == other.pid):
        assert other.poll() is None, f"leindex index --watch {ACTIVE} exited: {other.returncode}"
        assert time.monotonic() < deadline, "the large project's writer did not publish"
        time.sleep(0.2)
    return other


async def status(session, path):
    return await ok(session, "leindex_status", project_path=path)


async def model_held_by_bridge(session, path):
    """The status of `path` once this bridge is its writer and holds its model, else None."""
    st = await status(session, path)
    w = st.get("writer") or {}
    return st if w.get("pid") == st["bridge_pid"] and w.get("model_loaded") else None


async def searches(session):
    """Top hits of one query in each project (what a user sees, and the same mapped pages each time)."""
    hits = []
    for query, path in [("merge map concurrent inner subscriptions", INACTIVE), ("queryset filter", ACTIVE)]:
        r = await ok(session, "leindex_search", query=query, project_path=path, limit=5)
        hits.append([h["symbol"] for h in r["hits"]])
    return hits


class MemoryBudget(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        shutil.copytree(os.path.join(CORPUS, "rxjs"), INACTIVE)
        for copy in range(COPIES):
            shutil.copytree(os.path.join(CORPUS, "django"), os.path.join(ACTIVE, f"copy{copy}"))
        # rxjs indexed beforehand, so the bridge's writer fills its model from the catalog at once.
        subprocess.run([CLI_BIN, "index", INACTIVE], check=True, capture_output=True)

    async def measure_without_budget(self):
        """RSS of a bridge without a budget (the default, a quarter of the machine) with rxjs's model
        loaded, and with the large project's loaded too: (A, B) in bytes."""
        other = hold_active_elsewhere()
        try:
            async with bridge("--project", ACTIVE, project=INACTIVE) as (session, _):
                await wait_for(lambda: model_held_by_bridge(session, INACTIVE), timeout=120, interval=0.1)
                await searches(session)
                time.sleep(1)
                a = (await status(session, INACTIVE))["memory"]["rss_bytes"]
                other.terminate()
                other.wait(timeout=30)
                await wait_for(lambda: model_held_by_bridge(session, ACTIVE), timeout=300, interval=0.2)
                await searches(session)
                time.sleep(1)
                mem = (await status(session, ACTIVE))["memory"]
                self.assertEqual(mem["spills"], 0, mem)
                return a, mem["rss_bytes"]
        finally:
            other.kill()
            other.wait()

    async def test_the_inactive_project_spills_first_and_reloads_on_edit(self):
        a, b = await self.measure_without_budget()
        print(f"without a budget: RSS {a / MIB:.1f} MiB with rxjs's model, {b / MIB:.1f} MiB with both")
        self.assertGreaterEqual(b - a, MIN_GAP, "the large project's model should add at least 80 MiB")
        spill_at = (a + b) // 2
        budget = int(spill_at / 0.9)
        print(f"budget {budget / MIB:.1f} MiB: spill line {spill_at / MIB:.1f} MiB")

        other = hold_active_elsewhere()
        try:
            async with bridge("--project", ACTIVE, "--memory-budget", str(budget), project=INACTIVE) as (
                session,
                _,
            ):
                await wait_for(lambda: model_held_by_bridge(session, INACTIVE), timeout=120, interval=0.1)
                before = await searches(session)
                time.sleep(1)
                st = await status(session, INACTIVE)
                self.assertEqual(st["memory"]["spills"], 0, st["memory"])
                self.assertIsNone(st["writer"].get("model_bounded"), st["writer"])

                # The large project's writer stops: the bridge takes its role over and loads its model.
                other.terminate()
                other.wait(timeout=30)

                async def inactive_spilled():
                    st = await status(session, INACTIVE)
                    w = st.get("writer") or {}
                    return st if st["memory"]["spills"] >= 1 and not w.get("model_loaded") else None

                st, _ = await wait_for(inactive_spilled, timeout=300, interval=0.1)
                mem = st["memory"]
                self.assertIn(f"live model of {INACTIVE}", mem["last_spill"], mem)
                # What the spill freed is RSS measured around the 2 ms drop while the other project's load
                # allocates in the same process: from 0.0 to 9.5 MiB in runs of this test (2026-12-05), so
                # it is reported, not bounded from below here.
                self.assertRegex(mem["last_spill"], r"freed \d+\.\d MiB in \d+ ms", mem)
                st = await status(session, ACTIVE)
                self.assertEqual(st["writer"]["pid"], st["bridge_pid"], st["writer"])

                # Answers come from the snapshot, spilled or not.
                self.assertEqual(await searches(session), before)

                # An edit of rxjs is published from the catalog.
                with open(os.path.join(INACTIVE, "src", "index.ts"), "a") as f:
                    f.write("\nexport function addedAfterTheSpill(): number { return 1; }\n")

                async def edit_seen():
                    r = await ok(
                        session, "leindex_search", query="addedAfterTheSpill", project_path=INACTIVE, limit=1
                    )
                    return r["hits"] and r["hits"][0]["symbol"] == "addedAfterTheSpill"

                await wait_for(edit_seen, timeout=120, interval=0.2)

                # The edit's run either reloaded the model or — when the large project's model now holds the
                # room — found it would not fit and rebuilt from the catalog without keeping it; either is
                # reported.
                async def reloaded_or_bounded():
                    st = await status(session, INACTIVE)
                    w = st.get("writer") or {}
                    return st if st["memory"]["reloads"] >= 1 or w.get("model_bounded") else None

                st, _ = await wait_for(reloaded_or_bounded, timeout=60, interval=0.2)
                print(f"after the edit: {st['memory']}; rxjs's model bounded: {st['writer'].get('model_bounded')}")
        finally:
            other.kill()
            other.wait()


if __name__ == "__main__":
    unittest.main()

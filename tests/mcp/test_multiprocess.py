"""Several processes on one project (a scratch copy of tokio): two bridges share one writer and see edits;
the writer is killed with SIGKILL mid-publish and a reader takes over without losing the edit; the writer
role is handed over to `leindex index --watch` and taken back when it stops."""

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import unittest

from harness import CLI_BIN, PROJECT, bridge, ok, run_cli, wait_for

EDITED = os.path.join(PROJECT, "src", "sync", "barrier.rs")
STATE = os.path.join(PROJECT, ".leindex", "writer.json")


def add_function(name):
    with open(EDITED, "a") as f:
        f.write(f"\n/// Probe added by the multi-process test.\npub fn {name}() {{}}\n")


async def sees(session, name):
    """The generation of the first answer whose top search hit is `name`, else None."""
    r = await ok(session, "leindex_search", query=name, limit=1)
    if r["hits"] and r["hits"][0]["symbol"] == name:
        return r["freshness"]["generation"]
    return None


async def writer_of(*sessions):
    """(writer session, its status, the others) once exactly one session holds the writer role."""

    async def one():
        states = [await ok(s, "leindex_status") for s in sessions]
        writers = [i for i, st in enumerate(states) if st["this_bridge_is_writer"]]
        return (writers, states) if len(writers) == 1 else None

    (writers, states), _ = await wait_for(one, timeout=30, interval=0.1)
    i = writers[0]
    return sessions[i], states[i], [s for j, s in enumerate(sessions) if j != i]


@contextlib.asynccontextmanager
async def bridges(n):
    """n bridges on PROJECT; closing tolerates bridges that were killed."""
    stack = contextlib.AsyncExitStack()
    sessions = [(await stack.enter_async_context(bridge()))[0] for _ in range(n)]
    try:
        yield sessions
    finally:
        try:
            await stack.aclose()
        except Exception as e:  # a killed bridge's transport errors on close
            print(f"closing bridges: {type(e).__name__}: {e}")


class MultiProcess(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        assert run_cli("index", PROJECT).returncode == 0

    async def test_1_two_bridges_share_one_writer(self):
        async with bridges(2) as (a, b):
            w, st, _ = await writer_of(a, b)
            other = b if w is a else a
            ost = await ok(other, "leindex_status")
            self.assertFalse(ost["this_bridge_is_writer"])
            self.assertEqual(ost["writer"]["pid"], st["bridge_pid"])
            self.assertEqual(ost["writer_pid"], st["bridge_pid"])

            latencies, generations = [], []
            for i in range(3):
                name = f"leindex_probe_shared_{i}"
                start = time.monotonic()
                add_function(name)
                for s in (a, b):
                    gen, _ = await wait_for(lambda s=s: sees(s, name), timeout=10)
                    generations.append(gen)
                latencies.append(time.monotonic() - start)
            print(f"\nedit -> both bridges answer with it: {', '.join(f'{x*1000:.0f} ms' for x in latencies)}")
            self.assertTrue(all(x < y for x, y in zip(generations[::2], generations[2::2])), generations)
            self.assertLess(sorted(latencies)[1], 1.0, "median edit-to-answer latency over 1 s")
            # Still exactly one writer; a one-shot `leindex index` (even with --wait) defers to it.
            w2, _, _ = await writer_of(a, b)
            self.assertIs(w2, w)
            for args in (["index", PROJECT], ["index", "--wait", PROJECT]):
                r = run_cli(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(f"kept current by a live writer (mcp-bridge pid {st['bridge_pid']})", r.stdout)
            r = run_cli("analyze", "--project", PROJECT, "--format", "json", "barrier wait")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["generation"], generations[-1])

    async def test_2_kill_writer_mid_publish(self):
        async with bridges(2) as (a, b):
            w, st, (reader,) = await writer_of(a, b)
            before = (await ok(reader, "leindex_status"))["generation"]
            name = "leindex_probe_after_kill"
            add_function(name)
            # Kill the writer while it re-indexes (its state says the edit is pending or it just published).
            def pending():
                try:
                    with open(STATE) as f:
                        s = json.load(f)
                    return s["pending_edits"] or s["generation"] > before
                except (OSError, ValueError, KeyError):
                    return False

            deadline = time.monotonic() + 10
            while not pending() and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(st["bridge_pid"], signal.SIGKILL)
            # The reader keeps answering from the last good generation, takes the role over and indexes the edit.
            await ok(reader, "leindex_deep_analyze", query="barrier wait", token_budget=500)
            _, took = await wait_for(lambda: self.is_writer(reader), timeout=15, interval=0.05)
            gen, seen = await wait_for(lambda: sees(reader, name), timeout=15)
            print(f"\nafter SIGKILL: reader became writer in {took*1000:.0f} ms, edit answered after {seen*1000:.0f} ms")
            st2 = await ok(reader, "leindex_status")
            self.assertIsNone(st2["writer"]["last_error"])
            self.assertGreater(gen, before)
            # Nothing indexed was lost: every earlier probe is still found.
            for i in range(3):
                self.assertIsNotNone(await sees(reader, f"leindex_probe_shared_{i}"))

    async def is_writer(self, s):
        return (await ok(s, "leindex_status"))["this_bridge_is_writer"]

    async def test_3_handover_to_cli_watch_and_back(self):
        async with bridges(1) as (a,):
            await wait_for(lambda: self.is_writer(a), timeout=15, interval=0.05)
            watch = subprocess.Popen(
                [CLI_BIN, "index", "--watch", PROJECT],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                line = watch.stderr.readline()
                m = re.search(r"writer role taken in (\d+) ms", line)
                self.assertIsNotNone(m, line)
                print(f"\nhand-over bridge -> leindex index --watch: {m.group(1)} ms")
                self.assertLess(int(m.group(1)), 5000)
                st = await ok(a, "leindex_status")
                self.assertFalse(st["this_bridge_is_writer"])
                self.assertEqual(st["writer"]["role"], "cli-watch")
                self.assertEqual(st["writer"]["pid"], watch.pid)
                # The watching CLI now keeps the bridge's answers current.
                add_function("leindex_probe_watch")
                await wait_for(lambda: sees(a, "leindex_probe_watch"), timeout=10)
            finally:
                watch.send_signal(signal.SIGKILL)
                watch.communicate()
            # The CLI is gone: the bridge takes the role back and keeps indexing.
            await wait_for(lambda: self.is_writer(a), timeout=15, interval=0.05)
            add_function("leindex_probe_back")
            await wait_for(lambda: sees(a, "leindex_probe_back"), timeout=10)


if __name__ == "__main__":
    unittest.main()

"""leindex-mcp driven by the official MCP Python SDK on a real corpus (a scratch copy of tokio):
initialize, tools/list, every tool, bad arguments, a path outside the root, a corrupt snapshot."""

import json
import os
import unittest

from harness import OUT, PROJECT, bridge, call, error_text, ok, run_cli

TOOLS = {"leindex_deep_analyze", "leindex_search", "leindex_symbol", "leindex_impact", "leindex_status"}
QUESTION = "how does a worker steal work from other workers' queues"


class SingleBridge(unittest.IsolatedAsyncioTestCase):
    async def test_1_protocol_tools_and_errors(self):
        async with bridge() as (s, init):
            # initialize: who we talk to and how to use it.
            self.assertEqual(init.server_info.name, "leindex-mcp")
            self.assertIn("leindex_deep_analyze", init.instructions or "")

            # tools/list: exactly our five tools, each with input and output schemas, kept short.
            listed = await s.list_tools()
            self.assertEqual({t.name for t in listed.tools}, TOOLS)
            for t in listed.tools:
                self.assertTrue(t.description and len(t.description) < 400, t.name)
                self.assertEqual(t.input_schema["type"], "object")
                self.assertIsNotNone(t.output_schema, f"{t.name} has no outputSchema")
                # hosts auto-approve read-only tools and show the title, not the name
                self.assertTrue(t.title, f"{t.name} has no title")
                self.assertIsNotNone(t.annotations, f"{t.name} has no annotations")
                self.assertIs(t.annotations.read_only_hint, True, t.name)
                self.assertIs(t.annotations.open_world_hint, False, t.name)
                self.assertEqual(t.annotations.title, t.title, t.name)
            schema_chars = len(json.dumps([t.input_schema for t in listed.tools]))
            print(f"\ninput schemas: {schema_chars} chars for {len(listed.tools)} tools")
            self.assertLess(schema_chars, 4000)

            # deep analyze on a fresh project: the bridge indexes it (embedded writer), then answers.
            r = await call(s, "leindex_deep_analyze", query=QUESTION, token_budget=3000)
            a = await ok(s, "leindex_deep_analyze", query=QUESTION, token_budget=3000)
            # The text the model reads is exactly the Markdown, within the budget (the Rust harness counts it).
            self.assertEqual(r.content[0].text, a["markdown"])
            with open(os.path.join(OUT, "answer-3000.txt"), "w") as f:
                f.write(r.content[0].text)
            self.assertLessEqual(a["used_tokens"], 3000)
            self.assertEqual(a["budget_tokens"], 3000)
            self.assertEqual(a["tokenizer"], "o200k_base")
            self.assertGreaterEqual(a["generation"], 1)
            self.assertEqual(a["freshness"]["generation"], a["generation"])
            self.assertEqual(a["freshness"]["writer"], "this bridge")
            self.assertFalse(a["freshness"]["pending_edits"])
            rendered = {e["symbol"] for e in a["entries"]}
            self.assertTrue({"Core::steal_work", "Steal::steal_into"} & rendered, rendered)
            self.assertIn("steal", a["markdown"])
            self.assertTrue(all(e["path"] in a["markdown"] for e in a["entries"]))

            # Default budget 4000; a huge budget is lowered to the cap and says so.
            a = await ok(s, "leindex_deep_analyze", query="how are timers fired when they expire")
            self.assertEqual(a["budget_tokens"], 4000)
            big = await call(s, "leindex_deep_analyze", query="task scheduling and wakers", token_budget=1_000_000)
            self.assertFalse(big.is_error)
            self.assertLessEqual(big.structured_content["used_tokens"], 8000)
            self.assertIn("lowered", big.structured_content["note"])
            self.assertIn("lowered", big.content[0].text.split("\n")[0])
            # The Rust harness counts this text's o200k tokens (must stay well under 25k).
            with open(os.path.join(OUT, "largest-answer.txt"), "w") as f:
                f.write(big.content[0].text)

            # search / symbol / impact / status
            h = await ok(s, "leindex_search", query="steal work", limit=5)
            self.assertLessEqual(len(h["hits"]), 5)
            self.assertTrue(any(x["symbol"] == "Core::steal_work" for x in h["hits"]), h["hits"])
            self.assertEqual(h["hits"][0]["rank"], 1)
            text = (await call(s, "leindex_search", query="steal work", limit=5)).content[0].text
            self.assertIn("`Core::steal_work` (method, src/runtime/scheduler/multi_thread/worker.rs:", text)

            sym = await ok(s, "leindex_symbol", name="Core::steal_work")
            self.assertEqual(sym["path"], "src/runtime/scheduler/multi_thread/worker.rs")
            self.assertIn("fn steal_work", sym["source"])
            self.assertGreaterEqual(sym["callers_total"], 1)
            self.assertTrue(any(c["symbol"].endswith("steal_into") for c in sym["callees"]), sym["callees"])
            text = (await call(s, "leindex_symbol", name="Core::steal_work")).content[0].text
            self.assertTrue(text.startswith("# Core::steal_work\n"), text[:200])
            self.assertIn(sym["source"], text)
            self.assertIn(f"## Callers ({sym['callers_total']})", text)

            imp = await ok(s, "leindex_impact", name="Steal::steal_into", depth=2)
            self.assertEqual(imp["root"]["symbol"], "Steal::steal_into")
            self.assertTrue(any(r["symbol"] == "Core::steal_work" and r["depth"] == 1 for r in imp["reached"]))
            self.assertEqual(sum(imp["by_depth"]), imp["total"])
            self.assertLessEqual(max(r["depth"] for r in imp["reached"]), 2)

            st = await ok(s, "leindex_status")
            self.assertTrue(st["this_bridge_is_writer"])
            self.assertEqual(st["writer"]["role"], "mcp-bridge")
            self.assertGreater(st["symbols"], 1000)
            self.assertEqual(st["served_roots"], [os.path.realpath(PROJECT)])

            # A directory inside the root narrows the focus; outside the root is refused.
            # A directory inside the root becomes the focus (preferred, not exclusive).
            sub = await ok(s, "leindex_search", query="close", project_path="src/sync", limit=3)
            self.assertTrue(sub["hits"][0]["path"].startswith("src/sync/"), sub["hits"])
            msg = await error_text(s, "leindex_deep_analyze", query="x", project_path="/")
            self.assertIn("outside the projects this bridge serves", msg)
            msg = await error_text(s, "leindex_status", project_path="/nonexistent/dir")
            self.assertIn("cannot be used", msg)

            # Bad arguments: missing, wrongly typed, out of range, unknown symbol.
            for tool, args in [
                ("leindex_deep_analyze", {}),
                ("leindex_deep_analyze", {"query": "x", "token_budget": "many"}),
                ("leindex_symbol", {"name": 42}),
            ]:
                r = await self.call_error(s, tool, args)
                self.assertTrue(r, f"{tool}{args} was accepted")
            self.assertIn("at least 1", await error_text(s, "leindex_deep_analyze", query="x", token_budget=0))
            msg = await error_text(s, "leindex_symbol", name="no_such_symbol_anywhere")
            self.assertIn("no symbol named", msg)
            msg = await error_text(s, "leindex_symbol", name="new")
            self.assertIn("ambiguous", msg)
            # The server is still fine after all that.
            await ok(s, "leindex_status")

    async def call_error(self, s, tool, args):
        """True when the call is rejected, as a JSON-RPC error or a tool error."""
        try:
            r = await s.call_tool(tool, args)
        except Exception as e:  # the SDK raises McpError for JSON-RPC errors
            print(f"{tool}{args}: rejected: {e}")
            return True
        return bool(r.is_error)

    async def test_2_corrupt_snapshot_keeps_last_good_generation(self):
        index = os.path.join(PROJECT, ".leindex")
        self.assertEqual(run_cli("index", PROJECT).returncode, 0)
        async with bridge("--read-only") as (s, _):
            first = await ok(s, "leindex_search", query="steal work", limit=1)
            good = first["freshness"]["generation"]
            # A writer publishes a corrupt (truncated) generation.
            snaps = os.path.join(index, "snapshots")
            with open(os.path.join(index, "CURRENT")) as f:
                current = f.read().strip()
            bad_gen = good + 100
            bad_name = f"gen-{bad_gen:010}.lsnap"
            with open(os.path.join(snaps, current), "rb") as f:
                data = f.read()
            with open(os.path.join(snaps, bad_name), "wb") as f:
                f.write(data[: len(data) // 2])
            with open(os.path.join(index, "CURRENT"), "w") as f:
                f.write(bad_name + "\n")
            again = await ok(s, "leindex_search", query="steal work", limit=1)
            self.assertEqual(again["freshness"]["generation"], good)
            self.assertIn("unusable", again["freshness"]["warning"])
            self.assertEqual(again["hits"], first["hits"])
        # A new reader that never saw a good generation gets a clear tool error.
        async with bridge("--read-only") as (s, _):
            msg = await error_text(s, "leindex_deep_analyze", query="steal work")
            self.assertIn("unusable", msg)
            self.assertIn(bad_name, msg)
        # Restore the good pointer for whoever runs next.
        with open(os.path.join(index, "CURRENT"), "w") as f:
            f.write(current + "\n")


if __name__ == "__main__":
    unittest.main()

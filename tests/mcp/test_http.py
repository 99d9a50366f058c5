"""`leindex mcp --http` driven by the official MCP Python SDK's streamable HTTP client and by the MCP
Inspector CLI: several clients share one server process and one writer; a request without the bearer token
or from a browser origin that was not allowed is refused; SIGTERM stops the server cleanly."""

import asyncio
import json
import os
import signal
import subprocess
import unittest
import urllib.error
import urllib.request

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from harness import CLI_BIN, OUT, PROJECT, ok

INSPECTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules/.bin/mcp-inspector")
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}


class HttpServer:
    """A `leindex mcp --http 0` process on the scratch project; reads the URL and token it prints."""

    def __init__(self, *args, env=None):
        self.log = open(os.path.join(OUT, "http-server.log"), "w")
        self.proc = subprocess.Popen(
            [CLI_BIN, "mcp", "--http", "0", "--project", PROJECT, *args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=dict(os.environ, LEINDEX_LOG="debug", **(env or {})),
        )
        printed = {}
        while "Bearer token" not in printed:
            line = self.proc.stdout.readline()
            assert line, f"the server exited before listening (see {self.log.name})"
            key, _, value = line.partition(": ")
            printed[key] = value.strip()
        self.url = printed["MCP endpoint"]
        self.token = printed["Bearer token"]

    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self):
        """SIGTERM; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        return code


def post(url, headers):
    """POSTs an initialize request; returns the HTTP status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(INITIALIZE).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


class StreamableHttp(unittest.IsolatedAsyncioTestCase):
    async def test_clients_share_one_server_and_its_writer(self):
        server = HttpServer()
        try:
            self.assertTrue(server.url.startswith("http://127.0.0.1:") and server.url.endswith("/mcp"), server.url)
            self.assertEqual(len(server.token), 64)

            # No token, a wrong one, a browser origin nobody allowed: refused before MCP sees them.
            self.assertEqual(post(server.url, {}), 401)
            self.assertEqual(post(server.url, {"Authorization": "Bearer nope"}), 401)
            self.assertEqual(post(server.url, {**server.headers(), "Origin": "http://evil.example"}), 403)
            self.assertEqual(post(server.url, server.headers()), 200)

            async def client(question):
                http = create_mcp_http_client(headers=server.headers(), timeout=httpx2.Timeout(600))
                async with http, streamable_http_client(server.url, http_client=http) as (read, write, *_):
                    async with ClientSession(read, write) as session:
                        init = await session.initialize()
                        self.assertEqual(init.server_info.name, "leindex-mcp")
                        answer = await ok(session, "leindex_deep_analyze", query=question, token_budget=1500)
                        status = await ok(session, "leindex_status")
                        return answer, status

            (a, st_a), (b, st_b) = await asyncio.gather(
                client("how does a worker steal work from other workers' queues"),
                client("how are timers fired when they expire"),
            )
            # One process answered both, from one index that it writes.
            for answer, status in [(a, st_a), (b, st_b)]:
                self.assertLessEqual(answer["used_tokens"], 1500)
                self.assertEqual(status["bridge_pid"], server.proc.pid)
                self.assertTrue(status["this_bridge_is_writer"])
                self.assertEqual(status["writer"]["pid"], server.proc.pid)
            self.assertIn("steal", a["markdown"])
            self.assertIn("timer", b["markdown"].lower())

            # The Inspector CLI over HTTP, with the token as a header.
            inspector = subprocess.run(
                [INSPECTOR, "--cli", server.url, "--transport", "http",
                 "--header", f"Authorization: Bearer {server.token}", "--method", "tools/list"],
                capture_output=True, text=True, timeout=120,
            )
            self.assertEqual(inspector.returncode, 0, inspector.stderr)
            self.assertEqual(len(json.loads(inspector.stdout)["tools"]), 5, inspector.stdout)
        finally:
            code = server.stop()
        self.assertEqual(code, 0, "the server did not stop cleanly on SIGTERM")

    async def test_token_from_the_environment_and_allowed_origins(self):
        server = HttpServer("--allow-origin", "http://localhost:6274", env={"LEINDEX_MCP_TOKEN": "s3cret"})
        try:
            self.assertEqual(server.token, "the value of LEINDEX_MCP_TOKEN")
            token = {"Authorization": "Bearer s3cret"}
            self.assertEqual(post(server.url, token), 200)
            self.assertEqual(post(server.url, {**token, "Origin": "http://localhost:6274"}), 200)
            self.assertEqual(post(server.url, {**token, "Origin": "http://localhost:9999"}), 403)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()

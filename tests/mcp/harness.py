"""Shared helpers for the leindex-mcp end-to-end tests: start the real binary through the official MCP
Python SDK (stdio_client + ClientSession) and call its tools.

Environment (set by mcp-bridge/tests/clients.rs):
  LEINDEX_MCP_BIN   path of the leindex-mcp binary under test
  LEINDEX_BIN       path of the leindex CLI binary
  LEINDEX_PROJECT   a scratch copy of a real corpus the test may edit
  LEINDEX_TEST_OUT  a scratch directory for logs and artifacts
"""

import asyncio
import contextlib
import os
import time

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

MCP_BIN = os.environ["LEINDEX_MCP_BIN"]
CLI_BIN = os.environ["LEINDEX_BIN"]
PROJECT = os.environ["LEINDEX_PROJECT"]
OUT = os.environ["LEINDEX_TEST_OUT"]

_log_counter = 0


@contextlib.asynccontextmanager
async def bridge(*args, project=PROJECT):
    """A connected, initialized ClientSession to a fresh leindex-mcp serving `project`.

    Yields (session, init_result). The bridge's stderr goes to a log file under LEINDEX_TEST_OUT.
    """
    global _log_counter
    _log_counter += 1
    log_path = os.path.join(OUT, f"bridge-{_log_counter}.log")
    env = dict(os.environ, LEINDEX_LOG=os.environ.get("LEINDEX_LOG", "debug"))
    params = StdioServerParameters(command=MCP_BIN, args=["--project", project, *args], env=env)
    with open(log_path, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                yield session, init


async def call(session, tool, **arguments):
    """Calls a tool; returns the CallToolResult (check .is_error / .structured_content)."""
    return await session.call_tool(tool, arguments, read_timeout_seconds=600)


async def ok(session, tool, **arguments):
    """Calls a tool that must succeed; returns its structured content."""
    result = await call(session, tool, **arguments)
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{tool}({arguments}) failed: {text}"
    assert result.structured_content is not None, f"{tool} returned no structured content"
    # The text block is what the model reads: Markdown, not the JSON (which is for programs).
    assert len(result.content) == 1 and text.strip(), f"{tool} returned no text"
    assert not text.lstrip().startswith("{"), f"{tool} text is JSON: {text[:200]}"
    if tool == "leindex_deep_analyze":
        assert text.endswith(result.structured_content["markdown"]), "the text is not the answer's Markdown"
    return result.structured_content


async def error_text(session, tool, **arguments):
    """Calls a tool that must fail with a tool error; returns the message."""
    result = await call(session, tool, **arguments)
    text = result.content[0].text if result.content else ""
    assert result.is_error, f"{tool}({arguments}) should have failed, got {text[:300]}"
    return text


async def wait_for(predicate, timeout, interval=0.02):
    """Polls async `predicate` until it returns a truthy value; returns (value, seconds) or raises."""
    start = time.monotonic()
    while True:
        value = await predicate()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def run_cli(*args):
    """Runs the leindex CLI synchronously; returns CompletedProcess (text)."""
    import subprocess

    return subprocess.run([CLI_BIN, *args], capture_output=True, text=True, timeout=600)

"""A real MCP client (the Python SDK) starts shared-browser-mcp with the given options, starts a
session and opens a page.

    python navigate_scenario.py SERVER_BINARY PAGE_URL [SERVER_OPTION ...]

Prints one JSON object: the answers to start_shared_session and shared_session_navigate.
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def text(result):
    return "\n".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def main(binary, url, options):
    seen = {}
    params = StdioServerParameters(command=binary, args=["--no-recording", *options])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=types.Implementation(name="py-navigate", version="1")) as session:
            await session.initialize()
            started = await session.call_tool("start_shared_session", {"profile": "temporary"})
            seen["started"] = {"error": started.is_error, "text": text(started)}
            await session.call_tool("shared_session_request_control", {})
            navigated = await session.call_tool("shared_session_navigate", {"url": url})
            seen["navigate"] = {"error": navigated.is_error, "text": text(navigated)}
            seen["navigate_types"] = [part.type for part in navigated.content]
            tools = await session.list_tools()
            seen["navigate_description"] = next(t.description for t in tools.tools if t.name == "shared_session_navigate")
    print(json.dumps(seen))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))

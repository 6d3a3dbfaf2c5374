"""A real MCP client (the Python SDK) drives shared-browser-mcp over stdio.

    python stdio_scenario.py SERVER_BINARY PAGE_URL

Prints one JSON object: what the client saw at each step, for the Swift test to check.
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def text(result):
    return "\n".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def main(binary, url):
    seen = {"contexts": []}

    async def on_log(params):
        if params.logger == "browser_context":
            seen["contexts"].append(params.data)
    params = StdioServerParameters(command=binary, args=["--no-recording"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=types.Implementation(name="py-tester", version="1"),
                                 logging_callback=on_log) as session:
            info = await session.initialize()
            seen["server"] = info.server_info.name
            tools = await session.list_tools()
            seen["tools"] = [tool.name for tool in tools.tools]
            started = await session.call_tool("start_shared_session", {"session_id": "mcp-stdio", "profile": "temporary"})
            seen["started"] = json.loads(text(started))
            # A lone client never asks for control: its first navigate takes it.
            navigated = await session.call_tool("shared_session_navigate", {"url": url})
            seen["navigate"] = {"error": navigated.is_error, "text": text(navigated)}
            seen["navigate_types"] = [part.type for part in navigated.content]
            # The navigate answer carries the elements with refs: no read before acting.
            ref = next(word.strip("[]").removeprefix("ref=") for line in seen["navigate"]["text"].splitlines()
                       if "Name" in line for word in line.split() if word.startswith("ref="))
            snapshot = await session.call_tool("shared_session_snapshot", {"interactive_only": True})
            seen["snapshot"] = text(snapshot)
            filled = await session.call_tool("shared_session_fill", {"target": ref, "value": "Ada"})
            seen["fill"] = {"error": filled.is_error, "text": text(filled)}
            clicked = await session.call_tool("shared_session_click", {"target": "#save"})
            seen["click"] = {"error": clicked.is_error, "text": text(clicked)}
            context = await session.call_tool("shared_session_context", {"budget": 1200})
            seen["context"] = text(context)
            shot = await session.call_tool("shared_session_screenshot", {})
            seen["screenshot_types"] = [part.type for part in shot.content]
            bad = await session.call_tool("shared_session_click", {})
            seen["bad"] = {"error": bad.is_error, "text": text(bad)}
            listed = await session.call_tool("list_shared_sessions", {})
            seen["list"] = text(listed)
            seen["links"] = text(await session.call_tool("list_shared_sessions", {"links": True}))
    print(json.dumps(seen))


asyncio.run(main(sys.argv[1], sys.argv[2]))

"""A real MCP client (the Python SDK) shares a session with a person at the live view.

    python people_scenario.py SERVER_BINARY PAGE_URL

The server requires approval of every form submission. Prints `LIVE <control link>` as soon as the
session runs (the Swift test acts as the person there: it writes a message and approves), then one
JSON object: what the client saw at each step.
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def text(result):
    return "\n".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def main(binary, url):
    seen = {"messages": []}
    got_message = asyncio.Event()

    async def on_log(params):
        if params.logger == "messages":
            seen["messages"].append(params.data)
            got_message.set()
    params = StdioServerParameters(command=binary, args=["--no-recording", "--require-approval", "submit"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=types.Implementation(name="py-people", version="1"),
                                 logging_callback=on_log) as session:
            await session.initialize()
            tools = await session.list_tools()
            seen["tools"] = [tool.name for tool in tools.tools]
            started = json.loads(text(await session.call_tool("start_shared_session",
                                                              {"session_id": "mcp-people", "profile": "temporary"})))
            listed = text(await session.call_tool("list_shared_sessions", {"links": True}))
            seen["started"] = started
            print("LIVE " + listed.split("live view: ")[1].split(" ")[0], flush=True)
            await session.call_tool("shared_session_request_control", {})
            await session.call_tool("shared_session_navigate", {"url": url})
            await asyncio.wait_for(got_message.wait(), 30)
            said = await session.call_tool("shared_session_say", {"text": "Working on it"})
            seen["say"] = {"error": said.is_error, "text": text(said)}
            await session.call_tool("shared_session_fill", {"target": "#name", "value": "Beta"})
            approved = await session.call_tool("shared_session_click", {"target": "text=Create"})
            seen["approved"] = {"error": approved.is_error, "text": text(approved)}
            await session.call_tool("shared_session_fill", {"target": "#name", "value": "Alpha"})
            rejected = await session.call_tool("shared_session_click", {"target": "text=Create"})
            seen["rejected"] = {"error": rejected.is_error, "text": text(rejected)}
            unknown = await session.call_tool("shared_session_nope", {})
            seen["unknown"] = {"error": unknown.is_error, "text": text(unknown)}
    print(json.dumps(seen), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2]))

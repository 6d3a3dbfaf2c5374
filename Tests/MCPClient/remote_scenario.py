"""A real MCP client (the Python SDK) has shared-browser-mcp attach sessions to browsers elsewhere.

    python remote_scenario.py SERVER_BINARY CA_FILE ENDPOINT HEADER_VALUE PAGE_URL

The server is started with --cdp-ca-file CA_FILE and --cdp-endpoint ENDPOINT, its token in
SHARED_BROWSER_CDP_HEADERS. Session "own" uses that endpoint; session "named" names it in
start_shared_session with the token in cdp_headers; session "tokenless" names it without a token
and must fail. Prints one JSON object of what the client saw.
"""
import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def text(result):
    return "\n".join(part.text for part in result.content if getattr(part, "type", "") == "text")


async def main(binary, ca_file, endpoint, header_value, url):
    seen = {}
    environment = dict(os.environ, SHARED_BROWSER_CDP_HEADERS=f"Authorization: {header_value}")
    params = StdioServerParameters(command=binary, env=environment,
                                   args=["--no-recording", "--cdp-ca-file", ca_file, "--cdp-endpoint", endpoint])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=types.Implementation(name="py-remote", version="1")) as session:
            await session.initialize()
            own = await session.call_tool("start_shared_session", {"session_id": "own"})
            seen["own"] = {"error": own.is_error, "text": text(own)}
            await session.call_tool("shared_session_request_control", {"session_id": "own"})
            navigated = await session.call_tool("shared_session_navigate", {"session_id": "own", "url": url})
            seen["navigate"] = {"error": navigated.is_error, "text": text(navigated)}
            named = await session.call_tool("start_shared_session", {
                "session_id": "named", "cdp_endpoint": endpoint, "cdp_headers": {"Authorization": header_value}})
            seen["named"] = {"error": named.is_error, "text": text(named)}
            context = await session.call_tool("shared_session_context", {"session_id": "named"})
            seen["named_context"] = text(context)
            tokenless = await session.call_tool("start_shared_session", {
                "session_id": "tokenless", "cdp_endpoint": endpoint.replace("127.0.0.1", "localhost")})
            seen["tokenless"] = {"error": tokenless.is_error, "text": text(tokenless)}
            listed = await session.call_tool("list_shared_sessions", {})
            seen["list"] = text(listed)
            for name in ("own", "named"):
                await session.call_tool("close_shared_session", {"session_id": name})
    print(json.dumps(seen))


asyncio.run(main(*sys.argv[1:6]))

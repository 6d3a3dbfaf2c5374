"""The tool declarations an MCP server sends a client (tools/list), in o200k tokens.

    pip install mcp quicktok-v1
    python3 mcp_schema_tokens.py NAME COMMAND [ARGS...] [-- NAME COMMAND [ARGS...] ...]

For example, ours next to Playwright MCP (from the PyPI `playwright` package):

    python3 mcp_schema_tokens.py shared-browser-mcp .build/release/shared-browser-mcp \\
        -- playwright-mcp "$(python3 -c 'import sys; print(sys.prefix)')/bin/playwright" mcp

Prints one JSON object per server: the tool count and the tokens of the declarations as compact JSON
(name, description, inputSchema), which is what a client puts before the model.
"""
import asyncio
import json
import sys

import quicktok
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

encoding = quicktok.get_encoding("o200k_base")


async def declarations(command, args):
    async with stdio_client(StdioServerParameters(command=command, args=args)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            return [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools]


async def main(argv):
    servers, current = [], []
    for word in argv:
        if word == "--":
            servers.append(current)
            current = []
        else:
            current.append(word)
    servers.append(current)
    for name, command, *args in servers:
        tools = await declarations(command, args)
        text = json.dumps(tools, separators=(",", ":"))
        print(json.dumps({"bench": "mcp_schema_tokens", "server": name, "tools": len(tools),
                          "o200k_tokens": len(encoding.encode(text))}))


asyncio.run(main(sys.argv[1:]))

"""The Python MCP SDK's own server with one tool that does nothing, for mcp_call_overhead.py: the
same client against a server no one here wrote shows what the client itself costs.

    python3 mcp_reference_server.py stdio
    python3 mcp_reference_server.py http PORT     (Streamable HTTP at /mcp, SSE answers like ours)
"""
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("reference")


@server.tool()
def list_shared_sessions() -> str:
    """The running shared sessions."""
    return "No shared sessions."


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        import anyio
        anyio.run(lambda: server.run_streamable_http_async(port=int(sys.argv[2])))

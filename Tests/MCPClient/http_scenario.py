"""Real MCP clients (the Python SDK) share one shared-browser-mcp over Streamable HTTP.

    python http_scenario.py URL TOKEN PAGE_URL

Prints one JSON object with what the clients saw, for the Swift test to check.
"""
import asyncio
import json
import sys

import httpx2 as httpx
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client


def text(result):
    return "\n".join(part.text for part in result.content if getattr(part, "type", "") == "text")


class Client:
    """One MCP client with its own name and connection."""

    def __init__(self, url, token, name):
        self.url, self.token, self.name = url, token, name
        self.contexts = []
        self.context_arrived = asyncio.Event()

    async def __aenter__(self):
        self.http = httpx.AsyncClient(headers={"Authorization": f"Bearer {self.token}"}, timeout=60)
        self.transport = streamable_http_client(self.url, http_client=self.http)
        read, write, *_ = await self.transport.__aenter__()
        async def on_log(params):
            if params.logger == "browser_context":
                self.contexts.append(params.data)
                self.context_arrived.set()

        self.session = ClientSession(read, write, client_info=types.Implementation(name=self.name, version="1"),
                                     logging_callback=on_log)
        await self.session.__aenter__()
        await self.session.initialize()
        return self

    async def __aexit__(self, *exc):
        await self.session.__aexit__(*exc)
        await self.transport.__aexit__(*exc)
        await self.http.aclose()

    async def call(self, tool, **args):
        result = await self.session.call_tool(tool, args)
        return {"error": bool(result.is_error), "text": text(result)}


async def until(condition):
    while not condition():
        await asyncio.sleep(0.05)


async def until_async(condition):
    while not await condition():
        await asyncio.sleep(0.05)


async def main(url, token, page):
    seen = {}
    async with Client(url, token, "alpha") as alpha, Client(url, token, "beta") as beta:
        seen["started"] = json.loads((await alpha.call("start_shared_session", session_id="shared", profile="temporary"))["text"])
        seen["links"] = (await alpha.call("list_shared_sessions", links=True))["text"]
        seen["alpha_request"] = await alpha.call("shared_session_request_control")
        await beta.call("shared_session_events")   # beta works with the session from now on
        seen["alpha_navigate"] = await alpha.call("shared_session_navigate", url=page)
        # beta learns of the navigation it did not cause.
        try:
            await asyncio.wait_for(until(lambda: any(c.get("title") == "Form" for c in beta.contexts)), 10)
        except asyncio.TimeoutError:
            pass
        seen["beta_contexts"] = beta.contexts
        seen["beta_refused"] = await beta.call("shared_session_click", target="#save")
        waiting = asyncio.create_task(beta.call("shared_session_request_control", wait_seconds=20))
        # Released only once beta waits in line (as the session lists it), not after a guessed pause.
        listed = {"text": ""}

        async def beta_waits():
            listed.update(await alpha.call("list_shared_sessions"))
            return "waiting: agent:beta-" in listed["text"]
        await asyncio.wait_for(until_async(beta_waits), 10)
        seen["alpha_release"] = await alpha.call("shared_session_release_control")
        seen["beta_granted"] = await waiting
        seen["beta_context"] = (await beta.call("shared_session_context", budget=800))["text"]
        # beta leaves while it holds control: its turn passes on.
    async with Client(url, token, "gamma") as gamma:
        seen["gamma_request"] = await gamma.call("shared_session_request_control", wait_seconds=10)
        seen["gamma_list"] = (await gamma.call("list_shared_sessions"))["text"]
    # Lanes: two clients, each in a tab of its own in the same session, work at once without asking;
    # one acting in the other's tab is refused, naming the holder.
    async with Client(url, token, "delta") as delta, Client(url, token, "epsilon") as epsilon:
        joined = await asyncio.gather(
            delta.call("start_shared_session", session_id="shared", own_tab=True, purpose="delta's work"),
            epsilon.call("start_shared_session", session_id="shared", own_tab=True))
        seen["lane_tabs"] = [json.loads(j["text"]).get("tab") for j in joined]
        seen["lane_work"] = await asyncio.gather(
            delta.call("shared_session_navigate", url=page), epsilon.call("shared_session_navigate", url=page))
        seen["lane_fills"] = await asyncio.gather(
            delta.call("shared_session_fill", target="#name", value="delta"),
            epsilon.call("shared_session_fill", target="#name", value="epsilon"))
        seen["lane_trespass"] = await epsilon.call("shared_session_click", target="#save", tab=seen["lane_tabs"][0])
        seen["lane_list"] = (await delta.call("list_shared_sessions"))["text"]
        seen["lane_tabs_list"] = (await delta.call("shared_session_tabs", action="list"))["text"]
        # Closing the browser is for the whole browser: not while another client holds its tab.
        seen["lane_close"] = await epsilon.call("close_shared_session", session_id="shared", wait_seconds=0)
    # Refusals before MCP: a wrong token, a foreign Origin, a rebinding Host.
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient() as http:
        seen["wrong_token"] = (await http.post(url, json=body, headers={**base, "Authorization": "Bearer wrong"})).status_code
        seen["no_token"] = (await http.post(url, json=body, headers=base)).status_code
        seen["foreign_origin"] = (await http.post(url, json=body, headers={**base, "Authorization": f"Bearer {token}",
                                                                          "Origin": "https://evil.example"})).status_code
        host = url.split("/")[2]
        seen["rebinding_host"] = (await http.post(url, json=body, headers={**base, "Authorization": f"Bearer {token}",
                                                                          "Host": "evil.example:" + host.split(":")[1]})).status_code
        # The name the server was told to answer to (--allowed-host), as a reverse proxy passes it.
        seen["declared_host"] = (await http.post(url, json=body, headers={**base, "Authorization": f"Bearer {token}",
                                                                         "Host": "mcp.example.test"})).status_code
    print(json.dumps(seen))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))

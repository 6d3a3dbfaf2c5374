"""A scripted agent that does a suite of tasks on the DemoSite over MCP, and counts what it read.

    pip install mcp quicktok-v1
    python3 task_agent.py --site http://127.0.0.1:PORT --server NAME -- COMMAND [ARGS...]

NAME is `shared-browser-mcp` (our tools) or `playwright-mcp` (Playwright MCP's `browser_*` tools); the
command starts that server on stdio. `shared-browser-bench tasks` starts the site and runs this for both.

The agent acts as a model would with nothing but the text it is given: it finds each element by role
and accessible name in what it received about the page it is on (the last answer that showed the page,
and the answers since), and reads the page (our `shared_session_snapshot`, Playwright's
`browser_snapshot`) only when the element, or the text it checks for, is not there. Each server is used
the way its tools invite: a form is one `shared_session_fill_form` call with its submit button on ours,
`browser_fill_form` and then `browser_click` on Playwright MCP (`browser_type` with `submit` for one
field). Neither server gets a setup call: ours acts in its default session.

Prints one JSON object per task: calls, o200k tokens of the results' text, images (each counted at
width x height / 750 tokens) and whether the task succeeded; then one for the tool list (the
declarations as compact JSON, what a client puts before the model) and one with the totals. Without
quicktok the tokens are null and the rest is printed (the tests run the suite so).
"""
import argparse
import asyncio
import base64
import json
import os
import re
import struct
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

try:
    import quicktok

    ENCODING = quicktok.get_encoding("o200k_base")
except ImportError:  # the suite still runs; tokens are not counted
    ENCODING = None


def tokens(text):
    return len(ENCODING.encode(text)) if ENCODING else None


def image_size(data):
    """Width and height of a PNG or JPEG."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    index = 2
    while index < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return 0, 0


TRACE = None  # --trace FILE: every call and its answer


class TaskFailed(Exception):
    pass


# A line of a view that names an element: `- role "name" ... ref=e1@2` (ours, `+`/`~` in a diff) or
# `- role "name" [ref=e5]` (Playwright's YAML, indented).
OURS_LINE = re.compile(r'(?:^\s*[+~]?\s*-\s+|\s)([\w-]+)\s+"((?:[^"\\]|\\.)*)"((?:[^"]|"(?:[^"\\]|\\.)*")*?)\bref=(\S+)')
PLAYWRIGHT_LINE = re.compile(r'^\s*-\s+([\w-]+)\s+"((?:[^"\\]|\\.)*)"(.*?)\[ref=(\w+)\]')


class Agent:
    """Counts every call and what it returned; remembers what it was shown of the page it is on."""

    def __init__(self, session, server):
        self.session, self.server = session, server
        self.memory = []  # the texts about the current page, newest last
        self.url = None
        self.reset_counts()

    def reset_counts(self):
        self.calls, self.result_tokens, self.image_tokens, self.images, self.reads = 0, 0, 0, 0, 0
        self.chars = 0

    async def call(self, tool, arguments):
        result = await self.session.call_tool(tool, arguments)
        self.calls += 1
        text = "\n".join(c.text for c in result.content if c.type == "text")
        self.chars += len(text)
        count = tokens(text)
        if count is not None:
            self.result_tokens += count
        for content in result.content:
            if content.type == "image":
                width, height = image_size(base64.b64decode(content.data))
                self.images += 1
                self.image_tokens += round(width * height / 750)
        self.remember(text)
        if TRACE:
            TRACE.write(f"=== {tool} {json.dumps(arguments)}\n{text}\n")
        return text, bool(result.is_error)

    def remember(self, text):
        """A text that shows a whole page replaces what the agent knew; one at another URL does too;
        any other is added."""
        url = self.server.url_in(text)
        if self.server.shows_page(text) or (url and url != self.url):
            self.memory = [text]
        else:
            self.memory.append(text)
        if url:
            self.url = url

    def find(self, role, name):
        for text in reversed(self.memory):
            for line in text.splitlines():
                if line.startswith("- - ") or line.startswith("-   "):
                    continue  # gone, in a diff of ours
                for match in self.server.line.finditer(line):
                    if match.group(1) == role and match.group(2) == name:
                        return match.group(4)
        return None

    def knows_page(self):
        return any(self.server.shows_page(text) for text in self.memory)

    async def look_for(self, role, name):
        """Whether the page has the element: from what the agent was shown, read first when it was
        shown nothing of this page."""
        if not self.knows_page():
            await self.read()
        return self.find(role, name) is not None

    async def ref(self, role, name):
        ref = self.find(role, name)
        if ref is None:
            await self.read()
            ref = self.find(role, name)
        if ref is None:
            raise TaskFailed(f'no {role} "{name}" on the page ({self.url})')
        return ref

    async def read(self):
        self.reads += 1
        text, error = await self.call(*self.server.read())
        if error:
            raise TaskFailed("the read failed: " + text[:300])

    async def see(self, text):
        if not any(text in known for known in self.memory):
            await self.read()
        if not any(text in known for known in self.memory):
            raise TaskFailed(f'"{text}" is not on the page ({self.url})')

    async def act(self, tool, arguments, rejected_ok=False):
        text, error = await self.call(tool, arguments)
        if error and not (rejected_ok and self.server.rejected(text)):
            raise TaskFailed(f"{tool} failed: {text[:400]}")
        return text

    # The steps of a task.
    async def go(self, url):
        await self.act(*self.server.navigate(url))

    async def click(self, role, name, rejected_ok=False):
        await self.act(*self.server.click(await self.ref(role, name), f'{role} "{name}"'), rejected_ok=rejected_ok)

    async def fill_form(self, fields, submit=None, rejected_ok=False):
        """`fields`: (role, name, value); a checkbox or radio button's value is True or False, a
        combobox's the option's label."""
        resolved = [(role, name, await self.ref(role, name), value) for role, name, value in fields]
        submit_ref = await self.ref(*submit) if submit else None
        for tool, arguments in self.server.fill_form(resolved, submit, submit_ref):
            await self.act(tool, arguments, rejected_ok=rejected_ok)


class Server:
    """What differs between the two servers: tool names, and how an answer says where it is and
    whether it shows the page."""
    name = line = url_pattern = read_tool = navigate_tool = None

    @classmethod
    def url_in(cls, text):
        match = re.search(cls.url_pattern, text, re.M)
        return match.group(1) if match else None

    @classmethod
    def read(cls):
        return cls.read_tool, {}

    @classmethod
    def navigate(cls, url):
        return cls.navigate_tool, {"url": url}


class Ours(Server):
    name, line = "shared-browser-mcp", OURS_LINE
    url_pattern, read_tool, navigate_tool = r"^Now at: (\S+)", "shared_session_snapshot", "shared_session_navigate"

    @staticmethod
    def shows_page(text):
        # The page an action brought, or a snapshot's whole view (not what changed on it).
        return "The page now:" in text or (text.startswith("- ") and "What changed" not in text)

    @staticmethod
    def rejected(text):
        return "rejected by the page" in text

    @staticmethod
    def click(ref, _):
        return "shared_session_click", {"target": ref}

    @staticmethod
    def fill_form(fields, submit, submit_ref):
        entries = []
        for role, _, ref, value in fields:
            if role in ("checkbox", "radio"):
                entries.append({"target": ref, "checked": value})
            elif role == "combobox":
                entries.append({"target": ref, "values": [value]})
            else:
                entries.append({"target": ref, "value": value})
        arguments = {"fields": entries}
        if submit_ref:
            arguments["submit"] = submit_ref
        return [("shared_session_fill_form", arguments)]


class Playwright(Server):
    name, line = "playwright-mcp", PLAYWRIGHT_LINE
    url_pattern, read_tool, navigate_tool = r"^- Page URL: (\S+)", "browser_snapshot", "browser_navigate"

    @staticmethod
    def shows_page(text):
        return "```yaml" in text or "### Snapshot\n- " in text and "[Snapshot](" not in text

    @staticmethod
    def rejected(text):
        return False  # Playwright MCP does not tell; the agent checks the page

    @staticmethod
    def click(ref, element):
        return "browser_click", {"target": ref, "element": element}

    @staticmethod
    def fill_form(fields, submit, submit_ref):
        if len(fields) == 1 and fields[0][0] in ("textbox", "searchbox") and submit_ref:
            role, name, ref, value = fields[0]
            return [("browser_type", {"target": ref, "element": f'{role} "{name}"', "text": value, "submit": True})]
        entries = [{"target": ref, "name": name, "type": role if role != "searchbox" else "textbox",
                    "value": ("true" if value else "false") if isinstance(value, bool) else value}
                   for role, name, ref, value in fields]
        steps = [("browser_fill_form", {"fields": entries})]
        if submit_ref:
            steps.append(("browser_click", {"target": submit_ref, "element": f'{submit[0]} "{submit[1]}"'}))
        return steps


# The suite: what a user asks an agent to do on the site, step by step.
async def sign_in(agent, site):
    await agent.go(site + "/login")
    await agent.fill_form([("textbox", "Username", "demo"), ("textbox", "Password", "demo123")],
                          submit=("button", "Sign in"))
    await agent.see("Welcome, demo")


async def create_with_error(agent, site):
    await agent.go(site + "/projects/new")
    await agent.fill_form([("textbox", "Name", "Zephyr"), ("textbox", "Description", "A new survey"),
                           ("combobox", "Visibility", "Team")], submit=("button", "Create project"), rejected_ok=True)
    await agent.see("You must agree to the terms.")
    await agent.fill_form([("checkbox", "I agree to the terms", True)], submit=("button", "Create project"))
    await agent.see("Zephyr")
    await agent.see("team")


async def search(agent, site):
    await agent.go(site + "/projects/")
    await agent.fill_form([("searchbox", "Search projects", "pe")], submit=("button", "Search"))
    for name in ("Cassiopeia", "Pegasus", "Perseus"):
        await agent.ref("link", name)


async def paginate(agent, site):
    await agent.go(site + "/projects/")
    for _ in range(5):
        if await agent.look_for("link", "Virgo"):
            break
        await agent.click("link", "Next")
    await agent.ref("link", "Virgo")


async def edit(agent, site):
    await agent.go(site + "/projects/?q=Lyra")
    await agent.click("link", "Lyra")
    await agent.click("link", "Edit")
    await agent.fill_form([("textbox", "Description", "Moved to the north wing"), ("combobox", "Visibility", "Public")],
                          submit=("button", "Save"))
    await agent.see("Saved.")
    await agent.see("public")


async def delete(agent, site):
    await agent.go(site + "/projects/?q=Zephyr")
    await agent.click("link", "Zephyr")
    await agent.click("link", "Delete")
    await agent.click("button", "Yes, delete")
    await agent.see("Deleted “Zephyr”")


async def multi_step_form(agent, site):
    await agent.go(site + "/onboarding")
    await agent.fill_form([("textbox", "Team name", "Night Owls"), ("textbox", "Email", "owls.example.com")],
                          submit=("button", "Next"), rejected_ok=True)
    await agent.see("Enter a valid email address.")
    await agent.fill_form([("textbox", "Email", "owls@example.com")], submit=("button", "Next"))
    await agent.fill_form([("radio", "Team", True), ("combobox", "Seats", "10 seats"), ("checkbox", "Priority support", True)],
                          submit=("button", "Next"))
    await agent.see("Night Owls")
    await agent.fill_form([("checkbox", "I accept the terms", True)], submit=("button", "Confirm"))
    await agent.see("Welcome aboard, Night Owls")


TASKS = [sign_in, create_with_error, search, paginate, edit, delete, multi_step_form]


async def run(site, server, command, args):
    # The server runs in this environment (its profile folder, its browser), as a client's would.
    async with stdio_client(StdioServerParameters(command=command, args=args, env=dict(os.environ))) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            declarations = [{"name": t.name, "description": t.description, "inputSchema": t.input_schema} for t in tools]
            tool_list = tokens(json.dumps(declarations, separators=(",", ":")))
            agent = Agent(session, server)
            totals = {"calls": 0, "reads": 0, "result_tokens": 0, "images": 0, "image_tokens": 0, "succeeded": 0}
            for task in TASKS:
                agent.reset_counts()
                error = None
                try:
                    await task(agent, site)
                except TaskFailed as failure:
                    error = str(failure)
                counted = ENCODING is not None
                line = {"bench": "tasks", "server": server.name, "task": task.__name__, "succeeded": error is None,
                        "calls": agent.calls, "reads": agent.reads,
                        "result_tokens": agent.result_tokens if counted else None,
                        "images": agent.images, "image_tokens": agent.image_tokens,
                        "tokens": agent.result_tokens + agent.image_tokens if counted else None,
                        "result_chars": agent.chars}
                if error:
                    line["error"] = error
                print(json.dumps(line), flush=True)
                for key in ("calls", "reads", "result_tokens", "images", "image_tokens"):
                    totals[key] += getattr(agent, key)
                totals["succeeded"] += error is None
            print(json.dumps({"bench": "tasks_tool_list", "server": server.name, "tools": len(tools), "o200k_tokens": tool_list}))
            total = {"bench": "tasks_total", "server": server.name, "tasks": len(TASKS), **totals}
            if ENCODING is None:
                total["result_tokens"] = None
                total["note"] = "tokens not counted: pip install quicktok-v1"
            else:
                total["tokens_with_tool_list"] = totals["result_tokens"] + totals["image_tokens"] + tool_list
            print(json.dumps(total), flush=True)
            return totals["succeeded"] == len(TASKS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True)
    parser.add_argument("--server", choices=[Ours.name, Playwright.name], required=True)
    parser.add_argument("--trace", help="write every call and its answer to this file")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    global TRACE
    TRACE = open(options.trace, "w", encoding="utf-8") if options.trace else None
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    server = Ours if options.server == Ours.name else Playwright
    ok = asyncio.run(run(options.site.rstrip("/"), server, command[0], command[1:]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

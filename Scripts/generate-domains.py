#!/usr/bin/env python3
"""Generates Sources/CDPTransport/Domains/*.swift from a Chromium protocol description.

Usage:
    chromium --headless=new --remote-debugging-port=0 ...   # then:
    curl -s http://127.0.0.1:PORT/json/protocol > protocol.json
    python3 Scripts/generate-domains.py protocol.json Sources/CDPTransport/Domains

Only the commands and events listed in SELECTION are generated, plus every type they reference
(transitively), so the library compiles quickly and stays readable. Anything else is reachable
through `CDPSession.send(method:params:)` and raw events. Re-run after adding names to SELECTION.
"""
import json
import os
import re
import sys

SELECTION = {
    "Target": {
        "commands": ["activateTarget", "attachToTarget", "closeTarget", "createBrowserContext", "createTarget",
                     "detachFromTarget", "disposeBrowserContext", "getTargetInfo", "getTargets",
                     "setAutoAttach", "setDiscoverTargets"],
        "events": ["attachedToTarget", "detachedFromTarget", "targetCreated", "targetDestroyed",
                   "targetInfoChanged", "targetCrashed"],
    },
    "Page": {
        "commands": ["enable", "disable", "navigate", "reload", "stopLoading", "getNavigationHistory",
                     "navigateToHistoryEntry", "captureScreenshot", "handleJavaScriptDialog",
                     "setLifecycleEventsEnabled", "startScreencast", "stopScreencast", "screencastFrameAck",
                     "getFrameTree", "bringToFront", "close", "crash", "addScriptToEvaluateOnNewDocument",
                     "removeScriptToEvaluateOnNewDocument", "getLayoutMetrics", "setBypassCSP", "printToPDF"],
        "events": ["loadEventFired", "domContentEventFired", "frameNavigated", "frameStartedLoading",
                   "frameStoppedLoading", "frameAttached", "frameDetached", "lifecycleEvent",
                   "javascriptDialogOpening", "javascriptDialogClosed", "screencastFrame",
                   "navigatedWithinDocument", "windowOpen", "fileChooserOpened", "frameRequestedNavigation"],
    },
    "Runtime": {
        "commands": ["enable", "disable", "evaluate", "callFunctionOn", "releaseObject", "releaseObjectGroup",
                     "getProperties", "addBinding", "runIfWaitingForDebugger"],
        "events": ["consoleAPICalled", "exceptionThrown", "executionContextCreated", "executionContextDestroyed",
                   "executionContextsCleared", "bindingCalled"],
    },
    "DOM": {
        "commands": ["enable", "disable", "getDocument", "querySelector", "querySelectorAll", "describeNode",
                     "resolveNode", "requestNode", "getBoxModel", "getContentQuads", "scrollIntoViewIfNeeded",
                     "focus", "getOuterHTML", "setFileInputFiles", "getNodeForLocation"],
        "events": ["documentUpdated"],
    },
    "Input": {
        "commands": ["dispatchMouseEvent", "dispatchKeyEvent", "insertText", "dispatchTouchEvent",
                     "setIgnoreInputEvents"],
        "events": [],
    },
    "Network": {
        "commands": ["enable", "disable", "setExtraHTTPHeaders", "getCookies", "setCookie", "setCookies",
                     "deleteCookies", "clearBrowserCookies", "clearBrowserCache", "setCacheDisabled",
                     "setUserAgentOverride", "getResponseBody"],
        "events": ["requestWillBeSent", "responseReceived", "loadingFinished", "loadingFailed",
                   "requestServedFromCache"],
    },
    "Emulation": {
        "commands": ["setDeviceMetricsOverride", "clearDeviceMetricsOverride", "setEmulatedMedia",
                     "setUserAgentOverride", "setTouchEmulationEnabled", "setTimezoneOverride",
                     "setLocaleOverride", "setGeolocationOverride", "setFocusEmulationEnabled"],
        "events": [],
    },
    "Accessibility": {
        "commands": ["enable", "disable", "getFullAXTree", "getPartialAXTree", "queryAXTree"],
        "events": [],
    },
    "Browser": {
        "commands": ["getVersion", "close", "setDownloadBehavior", "getWindowForTarget", "setWindowBounds",
                     "grantPermissions", "resetPermissions"],
        "events": ["downloadWillBegin", "downloadProgress"],
    },
    "DOMSnapshot": {
        "commands": ["captureSnapshot"],
        "events": [],
    },
    "Log": {
        "commands": ["enable", "disable", "clear"],
        "events": ["entryAdded"],
    },
    "Storage": {
        "commands": ["getCookies", "setCookies", "clearCookies", "clearDataForOrigin"],
        "events": [],
    },
    "Inspector": {
        "commands": ["enable", "disable"],
        "events": ["detached", "targetCrashed", "targetReloadedAfterCrash"],
    },
}

SWIFT_KEYWORDS = {"protocol", "default", "internal", "in", "repeat", "extension", "operator", "self", "Type",
                  "class", "struct", "enum", "func", "import", "return", "static", "var", "let", "where",
                  "case", "switch", "public", "private", "as", "is", "throw", "throws", "subscript", "init",
                  "deinit", "defer", "do", "else", "if", "for", "while", "guard", "break", "continue", "nil",
                  "true", "false", "super", "Any", "Protocol", "associatedtype", "typealias", "inout"}


def upper_first(s):
    return s[0].upper() + s[1:]


def lower_first(s):
    return s[0].lower() + s[1:]


def ident(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def enum_case_name(value):
    parts = re.split(r"[^A-Za-z0-9]+", value)
    parts = [p for p in parts if p]
    if not parts:
        return "empty"
    name = parts[0][0].lower() + parts[0][1:] + "".join(upper_first(p) for p in parts[1:])
    if name[0].isdigit():
        name = "_" + name
    return ident(name)


def doc(text, indent):
    if not text:
        return ""
    lines = []
    for para in text.strip().split("\n"):
        lines.append(f"{indent}/// {para.rstrip()}".rstrip())
    return "\n".join(lines) + "\n"


class Generator:
    def __init__(self, protocol):
        self.domains = {d["domain"]: d for d in protocol["domains"]}
        self.types = {}
        for d in protocol["domains"]:
            for t in d.get("types", []):
                self.types[f'{d["domain"]}.{t["id"]}'] = t
        self.needed = set()   # "Domain.Type"

    def resolve_ref(self, ref, domain):
        return ref if "." in ref else f"{domain}.{ref}"

    def collect(self, spec, domain):
        """Collect the named types a property/parameter spec refers to."""
        if "$ref" in spec:
            full = self.resolve_ref(spec["$ref"], domain)
            if full not in self.needed:
                self.needed.add(full)
                t = self.types[full]
                tdomain = full.split(".")[0]
                for p in t.get("properties", []):
                    self.collect(p, tdomain)
                if "items" in t:
                    self.collect(t["items"], tdomain)
        elif spec.get("type") == "array":
            self.collect(spec["items"], domain)

    # --- type mapping -------------------------------------------------------------------------
    def swift_type(self, spec, domain, owner_nested=None, prop_name=None):
        if "$ref" in spec:
            full = self.resolve_ref(spec["$ref"], domain)
            d, n = full.split(".")
            return n if d == domain else f"{d}.{n}"
        t = spec.get("type")
        if t == "string":
            if "enum" in spec and owner_nested is not None:
                return owner_nested
            return "String"
        if t == "integer":
            return "Int"
        if t == "number":
            return "Double"
        if t == "boolean":
            return "Bool"
        if t == "array":
            return f"[{self.swift_type(spec['items'], domain, owner_nested)}]"
        if t == "object":
            if spec.get("properties"):
                raise ValueError("inline object with properties not supported")
            return "JSONValue"
        if t == "any":
            return "JSONValue"
        if t == "binary":
            return "String"
        raise ValueError(f"unknown type {spec}")

    def nested_enum_name(self, prop):
        name = upper_first(prop["name"])
        return "Kind" if name == "Type" else name

    def inline_enum(self, spec):
        if spec.get("type") == "string" and "enum" in spec:
            return spec["enum"]
        if spec.get("type") == "array" and spec["items"].get("type") == "string" and "enum" in spec["items"]:
            return spec["items"]["enum"]
        return None

    def string_enum(self, name, values, indent, description=None):
        out = doc(description, indent)
        out += f"{indent}public struct {name}: CDPStringEnum {{\n"
        out += f"{indent}    public var rawValue: String\n"
        out += f"{indent}    public init(rawValue: String) {{ self.rawValue = rawValue }}\n"
        seen = set()
        for v in values:
            case = enum_case_name(v)
            if case in seen:
                continue
            seen.add(case)
            out += f"{indent}    public static let {case}: Self = \"{v}\"\n"
        out += f"{indent}}}\n"
        return out

    def struct_body(self, props, domain, indent, name, kind):
        """Properties, nested enums and a memberwise public init."""
        out = ""
        nested = ""
        fields = []
        for p in props:
            enum_values = self.inline_enum(p)
            nested_name = self.nested_enum_name(p) if enum_values else None
            if enum_values:
                nested += self.string_enum(nested_name, enum_values, indent, None)
            st = self.swift_type(p, domain, nested_name)
            optional = p.get("optional", False)
            fields.append((p, st, optional))
        for p, st, optional in fields:
            desc = p.get("description", "")
            if p.get("deprecated"):
                desc = (desc + "\n" if desc else "") + "Deprecated in the protocol."
            if p.get("experimental"):
                desc = (desc + "\n" if desc else "") + "Experimental in the protocol."
            out += doc(desc, indent)
            mutability = "var"
            out += f"{indent}public {mutability} {ident(p['name'])}: {st}{'?' if optional else ''}\n"
        out += nested
        # memberwise init: required first in declaration order, optionals defaulted to nil
        params = []
        for p, st, optional in fields:
            label = ident(p["name"])
            if optional:
                params.append(f"{label}: {st}? = nil")
            else:
                params.append(f"{label}: {st}")
        out += f"\n{indent}public init({', '.join(params)}) {{\n"
        for p, _, _ in fields:
            n = ident(p["name"])
            out += f"{indent}    self.{n} = {n}\n"
        out += f"{indent}}}\n"
        return out

    def recursive_types(self):
        """Types that contain themselves through non-array edges must be classes."""
        edges = {}
        for full in self.needed:
            t = self.types[full]
            d = full.split(".")[0]
            edges[full] = set()
            for p in t.get("properties", []):
                if "$ref" in p:
                    edges[full].add(self.resolve_ref(p["$ref"], d))
        rec = set()
        for start in edges:
            stack, seen = list(edges[start]), set()
            while stack:
                cur = stack.pop()
                if cur == start:
                    rec.add(start)
                    break
                if cur in seen or cur not in edges:
                    continue
                seen.add(cur)
                stack.extend(edges[cur])
        return rec

    def generate_domain(self, domain):
        d = self.domains[domain]
        sel = SELECTION[domain]
        rec = self.recursive_types()
        ind = "    "
        out = "// Generated by Scripts/generate-domains.py from Chromium's protocol description. Do not edit.\n\n"
        out += doc((d.get("description") or f"The {domain} domain.") +
                   f"\n\nProtocol reference: https://chromedevtools.github.io/devtools-protocol/tot/{domain}/", "")
        out += f"public enum {domain} {{\n"
        # types
        names = sorted(n for n in self.needed if n.startswith(domain + "."))
        for full in names:
            t = self.types[full]
            name = t["id"]
            desc = t.get("description", "")
            if t["type"] == "object" and t.get("properties"):
                is_class = full in rec
                out += "\n" + doc(desc, ind)
                if is_class:
                    out += f"{ind}public final class {name}: Codable, Sendable {{\n"
                    body = self.struct_body(t["properties"], domain, ind * 2, name, "type")
                    body = body.replace(f"{ind*2}public var ", f"{ind*2}public let ")
                    out += body
                else:
                    out += f"{ind}public struct {name}: Codable, Sendable {{\n"
                    out += self.struct_body(t["properties"], domain, ind * 2, name, "type")
                out += f"{ind}}}\n"
            elif t["type"] == "string" and "enum" in t:
                out += "\n" + self.string_enum(name, t["enum"], ind, desc)
            else:
                out += "\n" + doc(desc, ind)
                out += f"{ind}public typealias {name} = {self.swift_type(t, domain)}\n"
        # commands
        cmds = {c["name"]: c for c in d.get("commands", [])}
        for cname in sel["commands"]:
            c = cmds[cname]
            sname = upper_first(cname)
            method = f"{domain}.{cname}"
            desc = c.get("description", "")
            desc += f"\n\nSends `{method}`: https://chromedevtools.github.io/devtools-protocol/tot/{domain}/#method-{cname}"
            out += "\n" + doc(desc, ind)
            out += f"{ind}public struct {sname}: CDPCommand {{\n"
            out += f"{ind}    public static let method = \"{method}\"\n"
            out += self.struct_body(c.get("parameters", []), domain, ind * 2, sname, "command")
            returns = c.get("returns", [])
            if returns:
                out += f"\n{ind}    /// The result of `{method}`.\n"
                out += f"{ind}    public struct Response: Decodable, Sendable {{\n"
                body = self.struct_body(returns, domain, ind * 3, "Response", "response")
                out += body
                out += f"{ind}    }}\n"
            else:
                out += f"\n{ind}    public typealias Response = EmptyResponse\n"
            out += f"{ind}}}\n"
        # events
        evs = {e["name"]: e for e in d.get("events", [])}
        for ename in sel["events"]:
            e = evs[ename]
            sname = upper_first(ename)
            if sname in cmds or any(t["id"] == sname for t in d.get("types", [])):
                sname += "Event"
            method = f"{domain}.{ename}"
            desc = e.get("description", "")
            desc += f"\n\nThe `{method}` event: https://chromedevtools.github.io/devtools-protocol/tot/{domain}/#event-{ename}"
            out += "\n" + doc(desc, ind)
            out += f"{ind}public struct {sname}: CDPEventPayload {{\n"
            out += f"{ind}    public static let method = \"{method}\"\n"
            out += self.struct_body(e.get("parameters", []), domain, ind * 2, sname, "event")
            out += f"{ind}}}\n"
        out += "}\n"
        return out

    def run(self, outdir):
        for domain, sel in SELECTION.items():
            d = self.domains[domain]
            cmds = {c["name"]: c for c in d.get("commands", [])}
            evs = {e["name"]: e for e in d.get("events", [])}
            for c in sel["commands"]:
                for p in cmds[c].get("parameters", []) + cmds[c].get("returns", []):
                    self.collect(p, domain)
            for e in sel["events"]:
                for p in evs[e].get("parameters", []):
                    self.collect(p, domain)
        domains = sorted(set(SELECTION) | {n.split(".")[0] for n in self.needed})
        for domain in domains:
            if domain not in SELECTION:
                SELECTION[domain] = {"commands": [], "events": []}
            path = os.path.join(outdir, f"{domain}.swift")
            with open(path, "w") as f:
                f.write(self.generate_domain(domain))
        print(f"generated {len(domains)} domains, {len(self.needed)} types")


if __name__ == "__main__":
    Generator(json.load(open(sys.argv[1]))).run(sys.argv[2])

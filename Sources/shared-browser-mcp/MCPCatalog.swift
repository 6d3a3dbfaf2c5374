import AgentTools
import CDPTransport
import Coordination
import EventBuffer
import Foundation
import LiveView
import MCP
import SharedSession
import Timeline

/// The server's MCP tools: the session tools, and every agent tool as `shared_session_<name>` with an
/// optional `session_id`.
struct MCPCatalog: Sendable {
    let registry: SessionRegistry
    let client: ClientName
    let watcher: ContextWatcher

    /// Agent tool names as MCP tools name them (the design's names where they differ).
    static let renamed = ["request_help": "request_human_help"]
    /// What `session_id` means, said once (in `start_shared_session`'s description) rather than in
    /// every tool's schema.
    static let sessionIdHelp = "The other tools take session_id; without it, the only session (the first call starts one when none runs)."

    func tools() async -> [Tool] {
        var tools = [
            Tool(name: "start_shared_session",
                 description: "Start (or join) a shared browser session. Answers with JSON: session_id, participant (who you act "
                    + "as), and with own_tab the tab of your own. The live view's links for people are in the server's log and "
                    + "in list_shared_sessions with links. " + MCPCatalog.sessionIdHelp,
                 inputSchema: ["type": "object", "properties": [
                    "session_id": ["type": "string", "description": "A name for the session. Default: default."],
                    "headless": ["type": "boolean", "description": "Run the browser without a window (the server's default)."],
                    "profile": ["type": "string", "enum": ["persistent", "temporary"],
                                "description": "Keep cookies and storage between runs (persistent, the default) or not."],
                    "cdp_endpoint": ["type": "string", "description": "CDP URL (http(s), ws(s)) of a browser to attach to."],
                    "cdp_headers": ["type": "object", "description": "Headers for cdp_endpoint (strings)."],
                    "own_tab": ["type": "boolean", "description": .string("Open a tab of your own in the session (same browser, same sign-in): "
                                + "your actions without a tab go there, beside other clients working in theirs. Default false.")],
                    "purpose": ["type": "string", "description": "With own_tab: what your tab is for, shown to people."],
                 ], "additionalProperties": false]),
            sessionTool("close_shared_session", "Close a shared session and its browser. It takes the whole browser first, so it "
                        + "waits (up to wait_seconds) until no one else holds a tab.",
                        ["wait_seconds": ["type": "number", "description": "Default 30."]]),
            Tool(name: "list_shared_sessions", description: "The running shared sessions: id, URL, who holds control of the whole "
                 + "browser and who waits, then each tab with who holds it (its lane), whose own tab it is and what for; with "
                 + "links, the live view's links to give a person (to watch, or to watch and take over).",
                 inputSchema: ["type": "object", "properties": [
                    "links": ["type": "boolean", "description": "Add each session's live view links. Default false."],
                 ], "additionalProperties": false]),
            sessionTool("shared_session_request_control", "Reserve a tab (or, without tab, the whole browser, which waits until no "
                        + "one else holds a tab) for several steps, waiting up to wait_seconds. Not needed to act: an action in a "
                        + "tab nobody holds takes it for you.",
                        ["tab": ["type": "string", "description": "A tab's id. Default: the whole browser."],
                         "wait_seconds": ["type": "number", "description": "Default 60."]]),
            sessionTool("shared_session_release_control", "Give a tab (or everything you hold) to the next participant in line.",
                        ["tab": ["type": "string", "description": "A tab's id. Default: everything you hold."]]),
            sessionTool("shared_session_timeline", "What everyone did in the session (agents, people, the system): the recent "
                        + "actions, who took them, and whether they worked; with the recording's folder.",
                        ["last": ["type": "integer", "description": "How many actions. Default 30."]]),
        ]
        // The agent tools, from a toolbox of the server's profile.
        let pictures = await registry.settings.navigateScreenshots
        for tool in await registry.toolTemplate() where tool.name != "control" {
            guard case .object(var schema) = tool.inputSchema, case .object(var properties)? = schema["properties"] else { continue }
            properties["session_id"] = .object(["type": "string"])
            schema["properties"] = .object(properties)
            // What a navigate answer holds, picture or not.
            let description = tool.name != "navigate" ? tool.description
                : tool.description.replacingOccurrences(of: " No picture.", with: "")
                    + (pictures ? " Also a JPEG of the page." : " No picture: shared_session_screenshot gives one.")
            tools.append(Tool(name: "shared_session_" + (Self.renamed[tool.name] ?? tool.name), description: description,
                              inputSchema: Self.value(.object(schema)),
                              annotations: .init(readOnlyHint: tool.readOnly)))
        }
        return tools
    }

    /// A tool about one session: its `session_id` and `properties`, nothing else.
    private func sessionTool(_ name: String, _ description: String, _ properties: [String: Value]) -> Tool {
        var all = properties
        all["session_id"] = ["type": "string"]
        return Tool(name: name, description: description,
                    inputSchema: ["type": "object", "properties": .object(all), "additionalProperties": false])
    }

    func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
        let json = Self.json(.object(arguments))
        let sessionId = arguments["session_id"]?.stringValue
        do {
            switch name {
            case "start_shared_session":
                let id = sessionId ?? "default"
                let persistent = arguments["profile"]?.stringValue != "temporary"
                var headers: [(name: String, value: String)] = []
                if case .object(let given)? = arguments["cdp_headers"] {
                    for (name, value) in given.sorted(by: { $0.key < $1.key }) {
                        guard let value = value.stringValue else { return failure("cdp_headers values must be strings") }
                        headers.append((name, value))
                    }
                }
                let source = await registry.browserSource(endpoint: arguments["cdp_endpoint"]?.stringValue, headers: headers)
                let entry = try await registry.start(id: id, headless: arguments["headless"]?.boolValue, persistentProfile: persistent,
                                                     source: source)
                watcher.watch(entry.session)
                // What the agent needs, no more; the people's links go to the log (where the person who
                // runs the server reads), the host's hook and list_shared_sessions on request.
                var answer: [String: Value] = [
                    "session_id": .string(entry.session.id),
                    "participant": .string(EventCause(client.participant).description),
                ]
                if arguments["own_tab"]?.boolValue == true {
                    // A joining client's lane: its actions without a tab go there.
                    let opened = await entry.session.openTab(for: client.participant, purpose: arguments["purpose"]?.stringValue)
                    if let error = opened.error { return failure("the session started, but no tab of your own: \(error.message)") }
                    answer["tab"] = opened.tab.map { .string($0) } ?? .null
                }
                return text(Self.jsonText(.object(answer)))
            case "close_shared_session":
                // Closing is an operation on the whole browser: it waits for the lanes of others.
                let entry = try await registry.entry(sessionId)
                let given = arguments["wait_seconds"]
                let wait = max(0, given?.doubleValue ?? given?.intValue.map(Double.init) ?? 30)
                do {
                    try await entry.session.coordinator.requestControl(for: client.participant, timeout: .milliseconds(Int(wait * 1000)))
                } catch {
                    return failure("Not closed: \(error)")
                }
                return text("Closed \(try await registry.close(entry.session.id)).")
            case "list_shared_sessions":
                var lines: [String] = []
                for id in await registry.ids {
                    let entry = try await registry.entry(id)
                    let holder = await entry.session.coordinator.holder.map { EventCause($0).description } ?? "nobody"
                    let queue = await entry.session.coordinator.queue.map { EventCause($0).description }
                    lines.append("\(id): \(entry.session.state.url) — browser \(entry.browser) — control: \(holder)" + (queue.isEmpty ? "" : "; waiting: " + queue.joined(separator: ", ")))
                    if arguments["links"]?.boolValue == true, let view = entry.liveView {
                        lines.append("  live view: \(view.controlURL ?? "none") (watch only: \(view.watchURL ?? "none"))")
                    }
                    // The lanes: every tab with its holder, owner and purpose.
                    for tab in await entry.session.tabs() {
                        lines.append("  tab \(tab)")
                    }
                }
                return text(lines.isEmpty ? "No shared sessions." : lines.joined(separator: "\n"))
            case "shared_session_request_control", "shared_session_release_control":
                let entry = try await registry.entry(sessionId)
                watcher.watch(entry.session)
                var control: [String: JSONValue] = ["action": .string(name.hasSuffix("request_control") ? "request" : "release")]
                if let wait = json["wait_seconds"] { control["wait_seconds"] = wait }
                if let tab = json["tab"] { control["tab"] = tab }
                return Self.result(await entry.toolbox.call("control", arguments: .object(control), as: client.participant))
            case "shared_session_timeline":
                let entry = try await registry.entry(sessionId)
                let timeline = try await entry.session.timeline()
                let last = max(1, arguments["last"]?.intValue ?? 30)
                let lines = timeline.actions.suffix(last).map { action in
                    "\(action.participant) \(action.title)" + (action.error.map { " — failed: \($0)" } ?? " — done")
                }
                return text((["Recording: \(timeline.directory)"] + lines).joined(separator: "\n"))
            case _ where name.hasPrefix("shared_session_"):
                // The first call with no session starts the default one, as start_shared_session
                // without arguments would: an agent alone needs no setup call.
                let entry = try await registry.entryStartingDefault(sessionId)
                watcher.watch(entry.session)
                var toolName = String(name.dropFirst("shared_session_".count))
                toolName = Self.renamed.first { $0.value == toolName }?.key ?? toolName
                guard entry.toolbox.tool(toolName) != nil else { return failure(await unknownTool(name)) }
                guard case .object(var fields) = json else { return failure("arguments must be an object") }
                fields["session_id"] = nil
                var result = await entry.toolbox.call(toolName, arguments: .object(fields), as: client.participant)
                if toolName == "navigate", !result.isError, await registry.settings.navigateScreenshots {
                    // Asked for with --navigate-screenshots: the page at a glance, and a picture of it.
                    let picture = await entry.toolbox.call("screenshot", as: client.participant)
                    result.image = picture.image
                    result.imageMimeType = picture.imageMimeType
                }
                return Self.result(result)
            default:
                return failure(await unknownTool(name))
            }
        } catch {
            return failure("\(error)")
        }
    }

    /// An unknown tool's error, naming the tools as this client sees them.
    private func unknownTool(_ name: String) async -> String {
        let names = await tools().map(\.name)
        return "There is no tool \"\(name)\". Tools: \(names.joined(separator: ", "))."
    }

    private func text(_ text: String) -> CallTool.Result { .init(content: [.text(text: text, annotations: nil, _meta: nil)], isError: false) }
    private func failure(_ text: String) -> CallTool.Result { .init(content: [.text(text: text, annotations: nil, _meta: nil)], isError: true) }

    static func result(_ result: AgentToolResult) -> CallTool.Result {
        // Tools named as this client sees them.
        let text = result.text.replacingOccurrences(of: "the control tool (action: request)", with: "shared_session_request_control")
            .replacingOccurrences(of: "the tabs tool (action: open)", with: "shared_session_tabs (action: open)")
        var content: [Tool.Content] = [.text(text: text, annotations: nil, _meta: nil)]
        if let image = result.image {
            content.append(.image(data: image.base64EncodedString(), mimeType: result.imageMimeType ?? "image/jpeg", annotations: nil, _meta: nil))
        }
        return .init(content: content, isError: result.isError)
    }

    // MARK: JSON between the SDK's `Value` and ours

    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .int(let number): .number(Double(number))
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        // The SDK reads any string that starts with `data:` as a data URL; written back as one.
        case .data(let mimeType, let data): .string("data:\(mimeType ?? "")" + ";base64," + data.base64EncodedString())
        case .array(let items): .array(items.map(json))
        case .object(let fields): .object(fields.mapValues(json))
        }
    }

    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(value))
        case .object(let fields): .object(fields.mapValues(value))
        }
    }

    static func jsonText(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

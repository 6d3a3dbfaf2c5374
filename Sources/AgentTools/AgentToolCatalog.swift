import CDPTransport
import Coordination
import EventBuffer
import Foundation
import SharedSession

/// Every tool, in the order they are offered.
enum AgentToolCatalog {
    static let core: Set<String> = ["navigate", "snapshot", "click", "fill", "type", "press", "select", "scroll", "wait",
                                    "screenshot", "context", "events", "control"]

    static let all: [AgentTool] = [
        AgentTool(
            name: "navigate",
            description: "Open a URL in the shared browser's active tab and wait for it to load. Answers with the page at a glance "
                + "(headings, lead text, links and forms in view).",
            inputSchema: object(["url": string("The absolute URL to open (http, https)."),
                                 "wait_until": enumeration(["load", "DOMContentLoaded", "networkIdle"], "How far loading must get. Default load.")],
                                required: ["url"]),
            readOnly: false
        ) { args, call in
            try await run(.navigate, ActionParams(url: try args.required("url"), waitUntil: try args.string("wait_until")), call)
        },
        AgentTool(
            name: "snapshot",
            description: "Read the page as an accessibility tree with element refs (like e12@3). Use a ref as the target of "
                + "click, fill, type, press or select. Refs belong to the page they came from: after a navigation take a new snapshot.",
            inputSchema: object(["interactive_only": boolean("Only elements one can act on (links, buttons, fields). Default false.")]),
            readOnly: true
        ) { args, call in
            try await run(.snapshot, ActionParams(interactiveOnly: try args.bool("interactive_only")), call) { $0.snapshot?.text }
        },
        AgentTool(
            name: "click",
            description: "Click an element, waiting until it is visible, enabled and still. Answers with what changed.",
            inputSchema: object(["target": target, "double": boolean("Double-click. Default false.")], required: ["target"]),
            readOnly: false
        ) { args, call in
            try await run(.click, ActionParams(target: try args.required("target"), clickCount: try args.bool("double") == true ? 2 : nil), call)
        },
        AgentTool(
            name: "fill",
            description: "Replace the value of a text field, text area or editable element.",
            inputSchema: object(["target": target, "value": string("The new value.")], required: ["target", "value"]),
            readOnly: false
        ) { args, call in
            guard let value = try args.string("value") else { throw ToolArgumentError("fill needs value") }
            return try await run(.fill, ActionParams(target: try args.required("target"), value: value), call)
        },
        AgentTool(
            name: "type",
            description: "Type text key by key, into the target or the focused element (for fields that react to each key).",
            inputSchema: object(["text": string("The text to type."), "target": target], required: ["text"]),
            readOnly: false
        ) { args, call in
            try await run(.type, ActionParams(target: try args.string("target"), text: try args.required("text")), call)
        },
        AgentTool(
            name: "press",
            description: "Press a key or a combination (Enter, Tab, Escape, ArrowDown, Control+A) on the target or the focused element.",
            inputSchema: object(["key": string("The key or combination."), "target": target], required: ["key"]),
            readOnly: false
        ) { args, call in
            try await run(.press, ActionParams(target: try args.string("target"), key: try args.required("key")), call)
        },
        AgentTool(
            name: "select",
            description: "Choose options of a <select> by value or visible label.",
            inputSchema: object(["target": target,
                                 "values": ["type": "array", "items": ["type": "string"], "description": "The values or labels to choose."]],
                                required: ["target", "values"]),
            readOnly: false
        ) { args, call in
            guard let values = try args.strings("values"), !values.isEmpty else { throw ToolArgumentError("select needs values") }
            return try await run(.selectOption, ActionParams(target: try args.required("target"), values: values), call)
        },
        AgentTool(
            name: "scroll",
            description: "Scroll an element into view (target), or the page by delta_y pixels (negative scrolls up).",
            inputSchema: object(["target": target, "delta_y": number("Pixels to scroll the page by.")]),
            readOnly: false
        ) { args, call in
            let target = try args.string("target"), delta = try args.number("delta_y")
            guard target != nil || delta != nil else { throw ToolArgumentError("scroll needs target or delta_y") }
            return try await run(.scroll, ActionParams(target: target, deltaY: delta), call)
        },
        AgentTool(
            name: "wait",
            description: "Wait until text appears on the page, an element reaches a state, or the URL matches. Give exactly one of "
                + "text, target or url.",
            inputSchema: object(["text": string("Text to wait for."), "target": target,
                                 "state": enumeration(["visible", "hidden", "attached", "detached"], "For target: the state to wait for. Default visible."),
                                 "url": string("A URL or glob pattern (https://shop.test/orders/*) to wait for."),
                                 "timeout_seconds": number("How long to wait at most. Default 30.")]),
            readOnly: true
        ) { args, call in
            let text = try args.string("text"), target = try args.string("target"), url = try args.string("url")
            guard [text, target, url].compactMap({ $0 }).count == 1 else { throw ToolArgumentError("wait needs exactly one of text, target or url") }
            let options = SharedBrowserSession.ActionOptions(timeout: try args.number("timeout_seconds").map { .milliseconds(Int($0 * 1000)) })
            if let text { return try await run(.waitForText, ActionParams(text: text), call, options: options) }
            if let url { return try await run(.waitForURL, ActionParams(pattern: url), call, options: options) }
            return try await run(.waitForSelector, ActionParams(target: target, state: try args.string("state")), call, options: options)
        },
        AgentTool(
            name: "screenshot",
            description: "A picture of the active tab (JPEG): the viewport, or the whole page.",
            inputSchema: object(["full_page": boolean("The whole scrollable page. Default false.")]),
            readOnly: true
        ) { args, call in
            let action = BrowserAction(.screenshot, ActionParams(fullPage: try args.bool("full_page"), format: "jpeg", quality: 70),
                                       source: EventCause(call.participant))
            let result = await call.session.run(action)
            guard result.error == nil, let data = result.data else { return failure(result) }
            return AgentToolResult(text: "Screenshot of \(result.url) (\(data.count) bytes, JPEG).", image: data, imageMimeType: "image/jpeg",
                                   actionResult: result)
        },
        AgentTool(
            name: "context",
            description: "The browser as you need it before deciding: URL, title, who holds control, errors, forms with their fields' "
                + "refs, elements in view, the page's text and links, sized to a token budget.",
            inputSchema: object(["budget": integer("The most tokens the answer may have. Default 4000.")]),
            readOnly: true
        ) { args, call in
            let context = await call.session.agentContext(budget: max(300, try args.int("budget") ?? 4000), for: call.participant)
            return AgentToolResult(text: context.text)
        },
        AgentTool(
            name: "events",
            description: "What happened in the browser (navigations, console messages, errors, dialogs, downloads, actions and who "
                + "took them, control changes), oldest first, after the sequence number you last saw.",
            inputSchema: object(["since": integer("Only events numbered higher than this. Default: the latest 20."),
                                 "errors_only": boolean("Only errors. Default false.")]),
            readOnly: true
        ) { args, call in
            let since = try args.int("since").map { UInt64(max(0, $0)) }
            var events = call.session.events.buffer.all
            if let since { events = events.filter { $0.sequence > since } } else { events = Array(events.suffix(20)) }
            if try args.bool("errors_only") == true { events = events.filter(\.isError) }
            let last = call.session.events.lastSequence
            var lines = events.map { "#\($0.sequence) \($0.summary)" }
            if let since, let first = call.session.events.buffer.all.first?.sequence, first > since + 1 {
                lines.insert("(\(first - since - 1) older events are no longer kept)", at: 0)
            }
            lines.append(events.isEmpty ? "No new events; the latest is #\(last)." : "The latest is #\(last): next time pass since=\(last).")
            return AgentToolResult(text: lines.joined(separator: "\n"))
        },
        AgentTool(
            name: "control",
            description: "Turns on the shared browser: only the participant holding control may act. request waits for your turn "
                + "(up to wait_seconds); release gives it to the next in line; status says who holds it and who waits.",
            inputSchema: object(["action": enumeration(["request", "release", "status"], "What to do."),
                                 "wait_seconds": number("For request: how long to wait at most. Default 60.")],
                                required: ["action"]),
            readOnly: false
        ) { args, call in
            let coordinator = call.session.coordinator
            switch try args.required("action") {
            case "request":
                let wait = try args.number("wait_seconds") ?? 60
                do {
                    try await coordinator.requestControl(for: call.participant, timeout: .milliseconds(Int(max(0, wait) * 1000)))
                } catch {
                    return AgentToolResult(text: "No turn within \(Int(wait)) s: \(error). \(await status(coordinator))", isError: true)
                }
                return AgentToolResult(text: "You (\(EventCause(call.participant))) hold control now. Release it when you are done.")
            case "release":
                let released = await coordinator.releaseControl(for: call.participant)
                return AgentToolResult(text: (released ? "Released. " : "You did not hold control. ") + (await status(coordinator)))
            case "status":
                return AgentToolResult(text: await status(coordinator))
            case let other:
                throw ToolArgumentError("control: action is request, release or status, not \(other)")
            }
        },
        // The full profile.
        simple("back", "Go back one page in the tab's history.", .back),
        simple("forward", "Go forward one page in the tab's history.", .forward),
        simple("reload", "Reload the page.", .reload),
        targeted("hover", "Move the mouse over an element (menus that open on hover).", .hover),
        targeted("check", "Tick a checkbox or choose a radio button (nothing happens if it already is).", .check),
        targeted("uncheck", "Untick a checkbox.", .uncheck),
        AgentTool(
            name: "tabs",
            description: "The tabs: list them, open one (optionally at a URL), switch to one, or close one (the active one by default).",
            inputSchema: object(["action": enumeration(["list", "open", "switch", "close"], "What to do."),
                                 "url": string("For open: the URL."), "tab": string("For switch and close: the tab's id from list.")],
                                required: ["action"]),
            readOnly: false
        ) { args, call in
            switch try args.required("action") {
            case "list":
                let tabs = await call.session.tabs()
                return AgentToolResult(text: tabs.map { "\($0.isActive ? "* " : "  ")\($0.id) \($0.title) — \($0.url)" }.joined(separator: "\n"))
            case "open": return try await run(.openTab, ActionParams(url: try args.string("url")), call)
            case "switch": return try await run(.switchTab, ActionParams(tab: try args.required("tab")), call)
            case "close": return try await run(.closeTab, ActionParams(tab: try args.string("tab")), call)
            case let other: throw ToolArgumentError("tabs: action is list, open, switch or close, not \(other)")
            }
        },
        AgentTool(
            name: "dialog",
            description: "Answer the open JavaScript dialog (alert, confirm, prompt, beforeunload).",
            inputSchema: object(["accept": boolean("Accept (OK) or dismiss (Cancel)."), "prompt_text": string("For a prompt: the text to answer.")],
                                required: ["accept"]),
            readOnly: false
        ) { args, call in
            guard let accept = try args.bool("accept") else { throw ToolArgumentError("dialog needs accept") }
            return try await run(.handleDialog, ActionParams(accept: accept, promptText: try args.string("prompt_text")), call)
        },
        AgentTool(
            name: "page_text",
            description: "The page's main text, a page of it at a time (for long articles).",
            inputSchema: object(["page": integer("Which page of the text, from 1. Default 1."), "tokens": integer("Tokens per page. Default 2000.")]),
            readOnly: true
        ) { args, call in
            try await run(.pageText, ActionParams(page: try args.int("page"), tokens: try args.int("tokens")), call) { result in
                result.value?.stringValue
            }
        },
        AgentTool(
            name: "viewport",
            description: "Resize the tab's viewport (CSS pixels).",
            inputSchema: object(["width": integer("Width."), "height": integer("Height.")], required: ["width", "height"]),
            readOnly: false
        ) { args, call in
            guard let width = try args.int("width"), let height = try args.int("height") else { throw ToolArgumentError("viewport needs width and height") }
            return try await run(.setViewport, ActionParams(width: width, height: height), call)
        },
        AgentTool(
            name: "request_help",
            description: "Ask a person to take over (a captcha, a code sent to a phone, a decision that is theirs) and wait until "
                + "they hand back. Answers with what the person changed.",
            inputSchema: object(["reason": string("What you need, in a sentence the person reads."),
                                 "timeout_seconds": number("How long to wait. Default 300.")], required: ["reason"]),
            readOnly: false
        ) { args, call in
            let timeout = try args.number("timeout_seconds") ?? 300
            do {
                let brief = try await call.session.requestHumanHelp(reason: try args.required("reason"), by: call.participant,
                                                                   timeout: .milliseconds(Int(max(1, timeout) * 1000)))
                return AgentToolResult(text: brief.description)
            } catch {
                return AgentToolResult(text: "No one helped: \(error)", isError: true)
            }
        },
        AgentTool(
            name: "evaluate",
            description: "Run a JavaScript expression in the page and answer with its value (JSON).",
            inputSchema: object(["script": string("The expression; a function body needs to be wrapped in an immediately called function.")],
                                required: ["script"]),
            readOnly: false
        ) { args, call in
            guard call.allowJavaScript else { throw ToolArgumentError("evaluate is not allowed on this server") }
            return try await run(.evaluate, ActionParams(script: try args.required("script")), call) { result in
                result.value.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
            }
        },
    ]

    // MARK: Running

    /// Runs an action as the caller; the answer is the action's report (or `text` of its result when
    /// given, for reads), or what went wrong.
    static func run(_ type: BrowserAction.ActionType, _ params: ActionParams, _ call: AgentToolCall,
                    options: SharedBrowserSession.ActionOptions = .init(),
                    text: (@Sendable (ActionResult) -> String?)? = nil) async throws -> AgentToolResult {
        let result = await call.session.run(BrowserAction(type, params, source: EventCause(call.participant)), options: options)
        guard result.error == nil else { return failure(result) }
        return AgentToolResult(text: text?(result) ?? result.report, actionResult: result)
    }

    static func failure(_ result: ActionResult) -> AgentToolResult {
        var text = result.report
        if result.error?.code == .notInControl {
            text += "\nWait for your turn with the control tool (action: request), then try again."
        }
        return AgentToolResult(text: text, isError: true, actionResult: result)
    }

    static func status(_ coordinator: AgentCoordinator) async -> String {
        let holder = await coordinator.holder, queue = await coordinator.queue
        let who = holder.map { "\(EventCause($0)) holds control" } ?? "Nobody holds control"
        return who + (queue.isEmpty ? "." : "; waiting: " + queue.map { EventCause($0).description }.joined(separator: ", ") + ".")
    }

    static func simple(_ name: String, _ description: String, _ type: BrowserAction.ActionType) -> AgentTool {
        AgentTool(name: name, description: description, inputSchema: object([:]), readOnly: false) { _, call in
            try await run(type, ActionParams(), call)
        }
    }

    static func targeted(_ name: String, _ description: String, _ type: BrowserAction.ActionType) -> AgentTool {
        AgentTool(name: name, description: description, inputSchema: object(["target": target], required: ["target"]), readOnly: false) { args, call in
            try await run(type, ActionParams(target: try args.required("target")), call)
        }
    }

    // MARK: Schemas

    static let target = string("The element: a ref from snapshot or context (e12@3), or a CSS selector, or text=Label.")

    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    static func string(_ description: String) -> JSONValue { ["type": "string", "description": .string(description)] }
    static func number(_ description: String) -> JSONValue { ["type": "number", "description": .string(description)] }
    static func integer(_ description: String) -> JSONValue { ["type": "integer", "description": .string(description)] }
    static func boolean(_ description: String) -> JSONValue { ["type": "boolean", "description": .string(description)] }
    static func enumeration(_ values: [String], _ description: String) -> JSONValue {
        ["type": "string", "enum": .array(values.map { .string($0) }), "description": .string(description)]
    }
}

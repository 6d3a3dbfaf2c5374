import CDPTransport
import Coordination
import EventBuffer
import Foundation
import SharedSession

/// Every tool, in the order they are offered. A tool that runs one action kind takes its description,
/// its arguments (in snake_case) and their schema from the kind's declaration (``ActionCatalog``);
/// only what a tool adds (what it answers, which parameters it offers) is said here.
enum AgentToolCatalog {
    static let core: Set<String> = ["navigate", "snapshot", "click", "fill", "fill_form", "type", "press", "select", "scroll", "wait",
                                    "screenshot", "context", "events", "control", "request_help", "say"]

    static let all: [AgentTool] = [
        action("navigate", .navigate, answers: "Answers with the page as snapshot shows it (its elements with refs, headings and "
               + "text; nameless containers left out): no need to read the page before the next step. No picture."),
        AgentTool(
            name: "snapshot",
            description: declaration(.snapshot).summary + " Use a ref as the target of click, fill, type, press or select. Refs "
                + "belong to the page they came from and stay the same for an element while it stays. Looking again at the same "
                + "page answers what changed since your last look (+ new, ~ changed, - gone); full gives the whole view.",
            inputSchema: object(["interactive_only": property(.snapshot, "interactiveOnly"),
                                 "full": boolean("The whole view even when you looked at this page before. Default false.")]),
            readOnly: true
        ) { args, call in
            let params = try parameters(args, declaration(.snapshot), only: ["interactiveOnly"])
            let result = await call.session.run(BrowserAction(.snapshot, params, source: EventCause(call.participant)), through: call.door)
            guard result.error == nil, let snapshot = result.snapshot else { return failure(result) }
            let view = await look(at: snapshot, interactive: params.interactiveOnly == true, tab: result.tab, call,
                                  whole: try args.bool("full") ?? false)
            return AgentToolResult(text: view, actionResult: result)
        },
        action("click", .click, answers: "Answers with what changed; when the click opened another page, that page as "
               + "navigate answers it."),
        action("fill", .fill),
        AgentTool(
            name: "fill_form",
            description: "Fill several fields in one call — text fields (value), selects (values), checkboxes and radio buttons "
                + "(checked) — then click submit when given (not when a field failed). Answers each field's result and what the "
                + "submission did, with the page it brought as navigate answers it.",
            inputSchema: object([
                "fields": ["type": "array", "description": "The fields, in order.", "minItems": 1, "items": object([
                    "target": string(ActionCatalog.declaration(of: .fill)?.parameter("target")?.summary ?? "An element."),
                    "value": string("For a text field: its new value."),
                    "values": ["type": "array", "items": ["type": "string"], "description": "For a select: the values or labels to choose."],
                    "checked": boolean("For a checkbox or radio button: ticked (true) or not (false)."),
                ], required: ["target"])],
                "submit": string("The element to click once every field is filled (the form's submit button)."),
                "tab": string(ActionCatalog.tabParameter),
            ], required: ["fields"]),
            readOnly: false
        ) { args, call in
            try await fillForm(args, call)
        },
        action("type", .type),
        action("press", .press),
        action("select", .selectOption),
        action("scroll", .scroll, only: ["target", "deltaY"]),
        AgentTool(
            name: "wait",
            description: "Wait until text appears on the page, an element reaches a state, or the URL matches. Give exactly one of "
                + "text, target or url.",
            inputSchema: object(["text": property(.waitForText, "text"), "target": property(.waitForSelector, "target"),
                                 "state": property(.waitForSelector, "state"), "url": property(.waitForURL, "pattern"),
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
            description: declaration(.screenshot).summary + " JPEG.",
            inputSchema: schema(declaration(.screenshot), only: ["fullPage"]),
            readOnly: true
        ) { args, call in
            var params = try parameters(args, declaration(.screenshot), only: ["fullPage"])
            params.format = "jpeg"
            params.quality = 70
            let result = await call.session.run(BrowserAction(.screenshot, params, source: EventCause(call.participant)),
                                                through: call.door)
            guard result.error == nil, let data = result.data else { return failure(result) }
            return AgentToolResult(text: "Screenshot of \(result.url) (\(data.count) bytes, JPEG).", image: data, imageMimeType: "image/jpeg",
                                   actionResult: result)
        },
        AgentTool(
            name: "context",
            description: "The browser as you need it before deciding: URL, title, who holds control, errors, forms with their fields' "
                + "refs, elements in view, the page's text and links, sized to a token budget. Asked again on the same page, it "
                + "answers what changed since your last look (full gives the whole context).",
            inputSchema: object(["budget": integer("The most tokens the answer may have. Default 4000."),
                                 "full": boolean("The whole context even when you looked at this page before. Default false.")]),
            readOnly: true
        ) { args, call in
            let document = await call.session.lookedAtDocument(for: call.participant)
            let context = await call.session.agentContext(budget: max(300, try args.int("budget") ?? 4000), for: call.participant)
            let text = await look(at: context.text, view: "context", tab: document.tab, generation: document.generation, call,
                                  whole: try args.bool("full") ?? false)
            return AgentToolResult(text: text)
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
            description: "Turns on the shared browser. Acting in a tab nobody holds takes it for you until you are idle for a while, "
                + "so a lone agent never needs this. request reserves a tab (or, without tab, the whole browser, which waits "
                + "until no one else holds a tab) for several steps, waiting up to wait_seconds; release gives it to the next in "
                + "line; status says who holds what and who waits.",
            inputSchema: object(["action": enumeration(["request", "release", "status"], "What to do."),
                                 "tab": string("For request and release: a tab's id. Default: for request the whole browser, "
                                               + "for release everything you hold."),
                                 "wait_seconds": number("For request: how long to wait at most. Default 60.")],
                                required: ["action"]),
            readOnly: false
        ) { args, call in
            let coordinator = call.session.coordinator
            let tab = try args.string("tab")
            // A lane is a tab that is open: any other id is a mistake, said as such.
            if let tab, !(await call.session.tabs().contains { $0.id == tab }) {
                throw ToolArgumentError("control: no tab \(tab); open tabs: \(await call.session.tabs().map(\.id).joined(separator: ", "))")
            }
            switch try args.required("action") {
            case "request":
                let wait = try args.number("wait_seconds") ?? 60
                do {
                    try await coordinator.requestControl(for: call.participant, tab: tab, timeout: .milliseconds(Int(max(0, wait) * 1000)))
                } catch {
                    return AgentToolResult(text: "No turn within \(Int(wait)) s: \(error). \(await status(coordinator))", isError: true)
                }
                var text = "You (\(EventCause(call.participant))) hold control of \(tab.map { "tab \($0)" } ?? "the whole browser") now. "
                    + "Release it when you are done."
                // What a person did while they drove, if they handed back to this agent.
                if let brief = await call.session.takeHandBackBrief(for: call.participant) { text += "\n" + brief }
                return AgentToolResult(text: text)
            case "release":
                let released = await coordinator.releaseControl(for: call.participant, tab: tab)
                return AgentToolResult(text: (released ? "Released. " : "You did not hold control. ") + (await status(coordinator)))
            case "status":
                return AgentToolResult(text: await status(coordinator))
            case let other:
                throw ToolArgumentError("control: action is request, release or status, not \(other)")
            }
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
            name: "say",
            description: "Write a message to the people watching the browser (shown in the live view). Messages from people to "
                + "you arrive in your next action's answer and context.",
            inputSchema: object(["text": string("The message, in a sentence or two (at most 2000 characters).")], required: ["text"]),
            readOnly: true
        ) { args, call in
            do {
                try await call.session.say(try args.required("text"), as: call.participant)
            } catch {
                return AgentToolResult(text: "Not sent: \(error)", isError: true)
            }
            return AgentToolResult(text: "Sent to the people watching.")
        },
        // The full profile.
        action("back", .back),
        action("forward", .forward),
        action("reload", .reload),
        action("hover", .hover),
        action("check", .check),
        action("uncheck", .uncheck),
        AgentTool(
            name: "tabs",
            description: "The tabs: list them (with who holds each), open one of your own (optionally at a URL: same browser, same "
                + "sign-in; your later actions without a tab go there, beside others working in theirs), switch the active "
                + "tab, or close one (your own by default, else the active one).",
            inputSchema: object(["action": enumeration(["list", "open", "switch", "close"], "What to do."),
                                 "url": property(.openTab, "url", prefix: "For open: "),
                                 "purpose": property(.openTab, "purpose", prefix: "For open: "),
                                 "tab": property(.switchTab, "tab", prefix: "For switch and close: ")],
                                required: ["action"]),
            readOnly: false
        ) { args, call in
            switch try args.required("action") {
            case "list":
                let tabs = await call.session.tabs()
                return AgentToolResult(text: tabs.map { "\($0.isActive ? "* " : "  ")\($0)" }.joined(separator: "\n"))
            case "open":
                var params = ActionParams(url: try args.string("url"))
                params.own = true
                params.purpose = try args.string("purpose")
                return try await run(.openTab, params, call) { result in
                    "Opened tab \(result.tab ?? "?"), your own: your actions without a tab go there. " + result.report
                }
            case "switch": return try await run(.switchTab, ActionParams(tab: try args.required("tab")), call)
            case "close": return try await run(.closeTab, ActionParams(tab: try args.string("tab")), call)
            case let other: throw ToolArgumentError("tabs: action is list, open, switch or close, not \(other)")
            }
        },
        action("dialog", .handleDialog),
        action("page_text", .pageText) { $0.value?.stringValue },
        action("viewport", .setViewport),
        action("evaluate", .evaluate) { result in
            result.value.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
        },
    ]

    // MARK: Forms

    /// `fill_form`: each field as its own action (fill, selectOption, check or uncheck), in order, then
    /// the submit click when every field succeeded.
    static func fillForm(_ args: ToolArguments, _ call: AgentToolCall) async throws -> AgentToolResult {
        guard case .array(let items)? = args.fields["fields"], !items.isEmpty else {
            throw ToolArgumentError("fill_form needs fields: a list of {target, value | values | checked}")
        }
        let tab = try args.string("tab"), submit = try args.string("submit")
        var actions: [BrowserAction] = []
        for (index, item) in items.enumerated() {
            guard case .object(let field) = item else { throw ToolArgumentError("fill_form: field \(index + 1) must be an object") }
            let given = ToolArguments(tool: "fill_form: field \(index + 1)", fields: field)
            if let unknown = field.keys.sorted().first(where: { !["target", "value", "values", "checked"].contains($0) }) {
                throw ToolArgumentError("fill_form: field \(index + 1) takes target and one of value, values, checked; not \(unknown)")
            }
            let target = try given.required("target")
            let value = try given.string("value"), values = try given.strings("values"), checked = try given.bool("checked")
            guard [value != nil, values != nil, checked != nil].filter({ $0 }).count == 1 else {
                throw ToolArgumentError("fill_form: field \(index + 1) (\(target)) needs exactly one of value, values, checked")
            }
            var params = ActionParams(target: target, value: value, values: values)
            params.tab = tab
            let kind: BrowserAction.ActionType = checked.map { $0 ? .check : .uncheck } ?? (values != nil ? .selectOption : .fill)
            actions.append(BrowserAction(kind, params, source: EventCause(call.participant)))
        }
        var lines: [String] = []
        var failed = false
        var last: ActionResult?
        for action in actions {
            let result = await call.session.run(action, through: call.door)
            last = result
            if let error = result.error {
                failed = true
                lines.append("\(action.type) \(action.params.target ?? ""): failed — \(error.message)")
            } else {
                lines.append("\(action.type) \(action.params.target ?? ""): done")
            }
        }
        // Every field done: one line that still names each (`fill e1, e2, selectOption e3: done`).
        if !failed {
            var named: [String] = []
            var kind: BrowserAction.ActionType?
            for action in actions {
                named.append((action.type == kind ? "" : "\(action.type) ") + (action.params.target ?? ""))
                kind = action.type
            }
            lines = [named.joined(separator: ", ") + ": done"]
        }
        if let submit {
            if failed {
                lines.append("click \(submit): not sent (a field failed)")
            } else {
                var params = ActionParams(target: submit)
                params.tab = tab
                let result = await call.session.run(BrowserAction(.click, params, source: EventCause(call.participant)), through: call.door,
                                                    options: .init(pageSummary: false))
                last = result
                failed = result.error != nil || result.outcome == .rejected
                // The page the submission brought (the next one, or the form again with its errors),
                // or what changed on this one.
                lines.append(await answer(result.report, after: result, partMayChange: true, call))
            }
        }
        return AgentToolResult(text: lines.joined(separator: "\n"), isError: failed, actionResult: last)
    }

    // MARK: Running

    /// Runs an action as the caller; the answer is the action's report (or `text` of its result when
    /// given, for reads), or what went wrong.
    static func run(_ type: BrowserAction.ActionType, _ params: ActionParams, _ call: AgentToolCall,
                    options: SharedBrowserSession.ActionOptions = .init(),
                    text: (@Sendable (ActionResult) -> String?)? = nil) async throws -> AgentToolResult {
        var options = options
        // What the next step needs comes with the answer (the page's elements with refs), not a
        // summary without them.
        if leadToPages.contains(type) { options.pageSummary = false }
        let result = await call.session.run(BrowserAction(type, params, source: EventCause(call.participant)), through: call.door,
                                            options: options)
        // A submission the page rejected is an error too: an agent that checks isError must not
        // believe it saved.
        guard result.error == nil, result.outcome != .rejected else {
            // A rejected submission that brought the form again: its elements, to fix what it says.
            var failed = failure(result)
            if text == nil { failed.text = await answer(failed.text, after: result, partMayChange: false, call) }
            return failed
        }
        if let text { return AgentToolResult(text: text(result) ?? result.report, actionResult: result) }
        return AgentToolResult(text: await answer(result.report, after: result, partMayChange: changesPart.contains(type), call),
                               actionResult: result)
    }

    /// `report` with what the next step needs: the page the action brought (``nextStep(after:_:)``,
    /// the page's feedback then left to it), else — for a kind that may change part of the page —
    /// what changed on it (``partChanges(after:_:)``), else the report alone.
    static func answer(_ report: String, after result: ActionResult, partMayChange: Bool, _ call: AgentToolCall) async -> String {
        if let view = await nextStep(after: result, call) {
            return withoutFeedback(result.feedback, shownIn: view, from: report) + "\n" + view
        }
        if partMayChange, let changes = await partChanges(after: result, call) { return report + "\n" + changes }
        return report
    }

    /// Remembers `snapshot` as what the caller has seen of `tab` — the whole view and its elements —
    /// or, when the answer could not show it whole (`seen` false), that it has seen nothing of it yet.
    static func remember(_ snapshot: AccessibilitySnapshot, tab: String, seen: Bool, _ call: AgentToolCall) async {
        let lines = seen ? snapshot.text.split(separator: "\n").map(String.init) : []
        _ = await call.session.rememberLook(lines, view: "all", tab: tab, generation: snapshot.generation, by: call.participant)
        _ = await call.session.rememberLook(seen ? snapshot.interactiveLines : [], view: "interactive", tab: tab,
                                            generation: snapshot.generation, by: call.participant)
    }

    /// A snapshot as the caller should read it: the whole view the first time it looks at this
    /// document (or with `whole`, or when most of it changed), else what changed since its last look.
    static func look(at snapshot: AccessibilitySnapshot, interactive: Bool, tab: String?, _ call: AgentToolCall, whole: Bool) async -> String {
        await look(at: snapshot.text, view: interactive ? "interactive" : "all", tab: tab, generation: snapshot.generation, call, whole: whole)
    }

    /// A view (`view` names which) of a document as the caller should read it (see the other `look`).
    static func look(at text: String, view: String, tab: String?, generation: Int, _ call: AgentToolCall, whole: Bool) async -> String {
        let lines = text.split(separator: "\n").map(String.init)
        guard let tab, let before = await call.session.rememberLook(lines, view: view, tab: tab, generation: generation, by: call.participant),
              !whole else { return text }
        let changes = LookChanges(old: before, new: lines)
        if changes.isEmpty { return "Nothing changed since your last look at this page (\(lines.count) lines; full: true gives them again)." }
        if changes.isMostOfIt { return text }
        return "What changed since your last look at this page (\(changes.unchanged) lines the same; full: true gives the whole view):\n"
            + changes.lines.joined(separator: "\n")
    }

    /// The kinds that can take a tab to another document.
    static let leadToPages: Set<BrowserAction.ActionType> = [.navigate, .click, .press, .back, .forward, .reload]

    /// The most estimated tokens of the page view an answer carries; more are left to `snapshot`.
    static let nextStepBudget = 1500

    /// The heading of the page view an answer carries.
    static let nextStepHeading = "The page now:"

    /// After an action that brought a new document: the page as `snapshot` shows it — its elements
    /// with refs, its headings and text — without the nameless containers around them (lists, rows,
    /// cells, forms with no name), within ``nextStepBudget`` tokens, so that the agent can act and
    /// check what happened without reading the page again. Shown whole, it counts as the agent's look
    /// at the page (the next `snapshot` answers what changed since). Nil when the document stayed
    /// (what changed on it is in the answer already) or the action failed.
    static func nextStep(after result: ActionResult, _ call: AgentToolCall) async -> String? {
        guard result.error == nil, result.events.contains(where: { event in
            if case .navigation(let info) = event.payload { info.isMainFrame && info.errorText == nil } else { false }
        }) else { return nil }
        let view = await call.session.snapshot(as: call.participant, options: .init(tab: result.tab))
        guard let snapshot = view.snapshot else { return nil }
        let page = pageView(snapshot)
        // Shown whole: the next look at this page, whole or only its elements, answers what changed since.
        if page.whole, let tab = view.tab { await remember(snapshot, tab: tab, seen: true, call) }
        return page.text
    }

    /// A snapshot as an answer carries it: ``nextStepHeading``, then its lines without the nameless
    /// containers (what they held moved up in their place), up to ``nextStepBudget`` tokens; `whole`
    /// says whether every line fitted.
    static func pageView(_ snapshot: AccessibilitySnapshot) -> (text: String, whole: Bool) {
        var lines: [String] = []
        var kept: [Int] = []   // the depths of the kept lines above
        for line in snapshot.lines {
            while let last = kept.last, last >= line.depth { kept.removeLast() }
            guard !line.refs.isEmpty || line.text.contains("\"") else { continue }
            lines.append(String(repeating: "  ", count: kept.count) + line.text.drop { $0 == " " })
            kept.append(line.depth)
        }
        let counter = EstimatedTokenCounter.upperBound
        var shown: [String] = []
        var tokens = 0
        for line in lines {
            tokens += counter.count(line) + 1
            if tokens > nextStepBudget { break }
            shown.append(line)
        }
        let more = lines.count - shown.count
        return (nextStepHeading + "\n" + shown.joined(separator: "\n") + (more > 0 ? "\n(\(more) more lines: snapshot gives them all)" : ""),
                more == 0)
    }

    /// `report` without the page's feedback when the page view that follows shows every message of
    /// it anyway (each next to its field there): one thing once.
    static func withoutFeedback(_ feedback: PageFeedback?, shownIn view: String, from report: String) -> String {
        guard let feedback, !feedback.isEmpty,
              (feedback.invalidFields.map(\.message) + feedback.messages + (feedback.alerts ?? [])).allSatisfy({ view.contains($0) })
        else { return report }
        return report.replacingOccurrences(of: "\n" + feedback.description, with: "")
    }

    /// The kinds that change a part of the page more often than the field they act on (typing opens
    /// suggestions, hovering opens menus).
    static let changesPart: Set<BrowserAction.ActionType> = [.click, .press, .check, .uncheck, .selectOption, .type, .hover]

    /// After an action that kept the document, on a page the agent has looked at: what changed on it
    /// since that look (`+` new, `~` changed, `-` gone), or the whole view when most of it changed;
    /// nil when nothing changed, or the agent has not looked at this document (it has nothing to
    /// compare with: `snapshot` shows the page).
    static func partChanges(after result: ActionResult, _ call: AgentToolCall) async -> String? {
        guard result.error == nil, let tab = result.tab, let generation = await call.session.documentGeneration(of: tab),
              await call.session.lastLook(view: "all", tab: tab, generation: generation, by: call.participant) != nil else { return nil }
        let view = await call.session.snapshot(as: call.participant, options: .init(tab: tab))
        guard let snapshot = view.snapshot, let shown = view.tab,
              let before = await call.session.lastLook(view: "all", tab: shown, generation: snapshot.generation, by: call.participant)
        else { return nil }
        let changes = LookChanges(old: before, new: snapshot.text.split(separator: "\n").map(String.init))
        if changes.isEmpty { return nil }
        guard changes.isMostOfIt else {
            await remember(snapshot, tab: shown, seen: true, call)
            return "What changed on the page:\n" + changes.lines.joined(separator: "\n")
        }
        // Most of it: the page again, seen now if it was shown whole.
        let page = pageView(snapshot)
        await remember(snapshot, tab: shown, seen: page.whole, call)
        return page.text
    }

    static func failure(_ result: ActionResult) -> AgentToolResult {
        var text = result.report
        if result.error?.code == .notInControl {
            text += "\nWait for your turn with the control tool (action: request)\(result.error?.tab.map { " for tab \($0)" } ?? ""), "
                + "then try again, or open a tab of your own with the tabs tool (action: open)."
        }
        return AgentToolResult(text: text, isError: true, actionResult: result)
    }

    /// Who holds the whole browser and who waits for it, then each tab someone holds or waits for.
    static func status(_ coordinator: AgentCoordinator) async -> String {
        let holder = await coordinator.holder, queue = await coordinator.queue
        let who = holder.map { "\(EventCause($0)) holds control" } ?? "Nobody holds control"
        var text = who + (queue.isEmpty ? "." : "; waiting: " + queue.map { EventCause($0).description }.joined(separator: ", ") + ".")
        for lane in await coordinator.lanes.dropFirst() where lane.holder != nil || !lane.queue.isEmpty {
            let waiting = lane.queue.isEmpty ? "" : "; waiting: " + lane.queue.map { EventCause($0).description }.joined(separator: ", ")
            text += "\nTab \(lane.tab ?? ""): \(lane.holder.map { EventCause($0).description } ?? "nobody")"
                + (lane.implicit ? " (acting)" : "") + waiting + "."
        }
        return text
    }

    /// A tool that runs one action kind: `only` the parameters named (all by default), described by
    /// the declaration's summary and then `answers`; a read-only tool when the kind never changes the
    /// page. `text` picks the answer from the result (the action's report by default).
    static func action(_ name: String, _ kind: BrowserAction.ActionType, only: [String]? = nil, answers: String? = nil,
                       text: (@Sendable (ActionResult) -> String?)? = nil) -> AgentTool {
        let declared = declaration(kind)
        return AgentTool(name: name, description: [declared.summary, answers].compactMap { $0 }.joined(separator: " "),
                         inputSchema: schema(declared, only: only), readOnly: !declared.policy.changesPage) { args, call in
            try await run(kind, try parameters(args, declared, only: only), call, text: text)
        }
    }

    static func declaration(_ kind: BrowserAction.ActionType) -> ActionDeclaration {
        guard let declared = ActionCatalog.declaration(of: kind) else { fatalError("\(kind) has no declaration in ActionCatalog") }
        return declared
    }

    /// A declared parameter's name as a tool argument: `waitUntil` is `wait_until`.
    static func argumentName(_ parameter: String) -> String {
        parameter.reduce(into: "") { name, character in
            if character.isUppercase { name += "_" + character.lowercased() } else { name.append(character) }
        }
    }

    /// Reads a tool's arguments as the declared parameters of its action, with errors that name the
    /// argument; the session checks the rest (required ones, allowed values) against the same
    /// declaration.
    static func parameters(_ args: ToolArguments, _ declared: ActionDeclaration, only: [String]?) throws -> ActionParams {
        var fields: [String: JSONValue] = [:]
        for parameter in declared.parameters where only?.contains(parameter.name) ?? true {
            let argument = argumentName(parameter.name)
            let value: JSONValue?
            switch parameter.type {
            case .string: value = try (parameter.required ? args.required(argument) : args.string(argument)).map { .string($0) }
            case .number: value = try args.number(argument).map { .number($0) }
            case .integer: value = try args.int(argument).map { .number(Double($0)) }
            case .boolean: value = try args.bool(argument).map { .bool($0) }
            case .strings: value = try args.strings(argument).map { .array($0.map { .string($0) }) }
            case .storageState: value = nil
            }
            if let value { fields[parameter.name] = value }
        }
        do {
            return try JSONDecoder().decode(ActionParams.self, from: JSONEncoder().encode(JSONValue.object(fields)))
        } catch {
            throw ToolArgumentError("\(declared.kind): the arguments do not fit (\(error))")
        }
    }

    /// The JSON Schema of a tool that runs one action kind.
    static func schema(_ declared: ActionDeclaration, only: [String]? = nil) -> JSONValue {
        let offered = declared.parameters.filter { only?.contains($0.name) ?? true }
        return object(Dictionary(uniqueKeysWithValues: offered.map { (argumentName($0.name), property($0)) }),
                      required: offered.filter(\.required).map { argumentName($0.name) })
    }

    /// A declared parameter's schema, by kind and name.
    static func property(_ kind: BrowserAction.ActionType, _ name: String, prefix: String = "") -> JSONValue {
        guard let parameter = declaration(kind).parameter(name) else { fatalError("\(kind) declares no parameter \(name)") }
        return property(parameter, prefix: prefix)
    }

    /// The parameter's schema as its declaration gives it (the published action schema's), with the
    /// description prefixed.
    static func property(_ parameter: ActionParameter, prefix: String = "") -> JSONValue {
        var fields = parameter.jsonSchema(storageState: ["type": "object"])
        fields["description"] = prefix + parameter.summary
        guard let data = try? JSONSerialization.data(withJSONObject: fields),
              let schema = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            fatalError("the schema of \(parameter.name) is not JSON")
        }
        return schema
    }

    // MARK: Schemas

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

import CDPTransport
public import Coordination
public import EventBuffer
import Foundation

extension SharedBrowserSession {
    /// The action the current task runs, for ``perform(_:target:as:options:needsPage:allowWithDialog:requiresControl:feedback:queued:_:)``
    /// to record.
    @TaskLocal static var runningAction: BrowserAction?

    /// Runs one action given as data: the one executor behind every typed method (``click(_:clickCount:as:options:)``
    /// and the rest are thin wrappers), and the way other processes, the live view and tool calls act.
    ///
    /// An action of an unknown type, or without a parameter its type needs, fails with
    /// ``SessionError/Code/invalidAction`` before anything is sent. The result's
    /// ``ActionResult/actionValue`` and the `actionStarted`, `actionFinished` and `actionFailed`
    /// events carry the action, with what was typed masked unless the field is known to be neither a
    /// password nor a one-time code.
    public func run(_ action: BrowserAction, options: ActionOptions = .init()) async -> ActionResult {
        let participant = Participant(action.source)
        if let signIn = signInTask, !Self.inSignIn { await signIn.value }
        actionsInProgress += 1
        defer { actionsInProgress -= 1 }
        let before = pageBeforeAction
        let result = await execute(action, as: participant, options: options)
        return await signInAgainIfBounced(result, action: action, from: before, as: participant, options: options)
    }

    private func execute(_ action: BrowserAction, as participant: Participant, options: ActionOptions) async -> ActionResult {
        let p = action.params
        do {
            return try await Self.$runningAction.withValue(action) {
                switch action.type {
                case .navigate:
                    let waitUntil: LoadState = try p.waitUntil.map { name in
                        guard let state = LoadState(rawValue: name) else {
                            throw SessionError(.invalidAction, "waitUntil must be load, DOMContentLoaded or networkIdle, not \(name)")
                        }
                        return state
                    } ?? .load
                    let url = try need(p.url, "url", action)
                    return await executeNavigate(to: url, waitUntil: waitUntil, as: participant, options: options)
                case .back: return await executeBack(as: participant, options: options)
                case .forward: return await executeForward(as: participant, options: options)
                case .reload: return await executeReload(as: participant, options: options)
                case .click:
                    return await executeClick(try element(p.target, action), clickCount: p.clickCount ?? 1, as: participant, options: options)
                case .hover: return await executeHover(try element(p.target, action), as: participant, options: options)
                case .fill:
                    return await executeFill(try element(p.target, action), try need(p.value, "value", action), as: participant, options: options)
                case .type:
                    return await executeType(try need(p.text, "text", action), into: p.target.map { ElementTarget($0) }, as: participant, options: options)
                case .press:
                    return await executePress(try need(p.key, "key", action), on: p.target.map { ElementTarget($0) }, as: participant, options: options)
                case .selectOption:
                    return await executeSelectOption(try element(p.target, action), try need(p.values, "values", action),
                                                     as: participant, options: options)
                case .check: return await executeCheck(try element(p.target, action), as: participant, options: options)
                case .uncheck: return await executeUncheck(try element(p.target, action), as: participant, options: options)
                case .scroll:
                    if let target = p.target { return await executeScrollTo(to: ElementTarget(target), as: participant, options: options) }
                    guard p.deltaX != nil || p.deltaY != nil else { throw missing("deltaY (or target)", action) }
                    return await executeScrollBy(byX: p.deltaX ?? 0, y: p.deltaY ?? 0, as: participant, options: options)
                case .evaluate: return await executeEvaluate(try need(p.script, "script", action), as: participant, options: options)
                case .waitForSelector:
                    return await executeWaitForSelector(try element(p.target, action), state: p.state ?? "visible", as: participant, options: options)
                case .waitForText: return await executeWaitForText(text: try need(p.text, "text", action), as: participant, options: options)
                case .waitForURL: return await executeWaitForURL(url: try need(p.pattern, "pattern", action), as: participant, options: options)
                case .waitForNavigation: return await executeWaitForNavigation(as: participant, options: options)
                case .screenshot:
                    let format = p.format.map { Page.CaptureScreenshot.Format(rawValue: $0) } ?? .png
                    guard [.png, .jpeg, .webp].contains(format) else {
                        throw SessionError(.invalidAction, "format must be png, jpeg or webp, not \(format.rawValue)")
                    }
                    return await executeScreenshot(fullPage: p.fullPage ?? false, format: format, quality: p.quality,
                                                   as: participant, options: options)
                case .setViewport:
                    return await executeSetViewport(width: try need(p.width, "width", action), height: try need(p.height, "height", action),
                                                    as: participant, options: options)
                case .snapshot:
                    return await executeSnapshot(interactiveOnly: p.interactiveOnly ?? false, maxDepth: p.maxDepth,
                                                 root: p.root.map { ElementTarget($0) }, as: participant, options: options)
                case .pageContent: return await executePageContent(as: participant, options: options)
                case .pageText:
                    return await executePageText(page: p.page ?? 1, tokensPerPage: p.tokens ?? 2000, as: participant, options: options)
                case .handleDialog:
                    return await executeHandleDialog(accept: try need(p.accept, "accept", action), promptText: p.promptText,
                                                     as: participant, options: options)
                case .openTab: return await executeOpenTab(url: p.url, as: participant, options: options)
                case .switchTab: return await executeSwitchTab(to: try need(p.tab, "tab", action), as: participant, options: options)
                case .closeTab: return await executeCloseTab(p.tab, as: participant, options: options)
                case .mouse: return await executeMouse(p, action, as: participant, options: options)
                case .wheel: return await executeWheel(p, action, as: participant, options: options)
                case .key: return await executeKey(p, action, as: participant, options: options)
                case .insertText: return await executeInsertText(try need(p.text, "text", action), as: participant, options: options)
                default:
                    throw SessionError(.invalidAction, "unknown action type \"\(action.type)\"")
                }
            }
        } catch {
            return refused(action, SessionError.from(error))
        }
    }

    private func need<T>(_ value: T?, _ name: String, _ action: BrowserAction) throws -> T {
        guard let value else { throw missing(name, action) }
        return value
    }

    private func element(_ target: String?, _ action: BrowserAction) throws -> ElementTarget {
        guard let target else { throw missing("target", action) }
        return ElementTarget(target)
    }

    private func missing(_ name: String, _ action: BrowserAction) -> SessionError {
        SessionError(.invalidAction, "a \(action.type) action needs \(name) in its params")
    }

    /// The result of an action refused before it ran.
    private func refused(_ action: BrowserAction, _ error: SessionError) -> ActionResult {
        let tab = active
        var result = ActionResult(
            action: action.type.rawValue, participant: Participant(action.source), target: action.params.target, error: error,
            navigatedTo: nil, url: tab.url, title: tab.title, duration: .zero, events: [], dialog: nil, state: sink.state)
        result.actionValue = action.redacted()
        return result
    }

    // MARK: Raw input, at page coordinates

    /// Mouse input: `move`, `down`, `up`, `click` or `doubleClick` at (`x`, `y`) in CSS pixels of the
    /// viewport.
    func executeMouse(_ p: ActionParams, _ action: BrowserAction, as participant: Participant,
                      options: ActionOptions) async -> ActionResult {
        await perform("mouse", target: "\(p.event ?? "?") \(p.x ?? 0),\(p.y ?? 0)", as: participant, options: options) { _, tab, _ in
            guard let x = p.x, let y = p.y else { throw SessionError(.invalidAction, "a mouse action needs x and y") }
            let button = Input.MouseButton(rawValue: p.button ?? "left")
            guard [.left, .middle, .right].contains(button) else {
                throw SessionError(.invalidAction, "button must be left, middle or right, not \(button.rawValue)")
            }
            let modifiers = try Self.modifierBits(p.modifiers)
            let moved = Input.DispatchMouseEvent(type: .mouseMoved, x: x, y: y, modifiers: modifiers)
            func pressed(_ count: Int) -> [Input.DispatchMouseEvent] {
                [Input.DispatchMouseEvent(type: .mousePressed, x: x, y: y, modifiers: modifiers, button: button, clickCount: count),
                 Input.DispatchMouseEvent(type: .mouseReleased, x: x, y: y, modifiers: modifiers, button: button, clickCount: count)]
            }
            let events: [Input.DispatchMouseEvent]
            switch p.event ?? "click" {
            case "move": events = [moved]
            case "down":
                events = [Input.DispatchMouseEvent(type: .mousePressed, x: x, y: y, modifiers: modifiers, button: button, clickCount: p.clickCount ?? 1)]
            case "up":
                events = [Input.DispatchMouseEvent(type: .mouseReleased, x: x, y: y, modifiers: modifiers, button: button, clickCount: p.clickCount ?? 1)]
            case "click": events = [moved] + pressed(p.clickCount ?? 1)
            case "doubleClick": events = [moved] + pressed(1) + pressed(2)
            case let other:
                throw SessionError(.invalidAction, "a mouse event is move, down, up, click or doubleClick, not \(other)")
            }
            try await Self.sendInput(events, to: tab, options)
            return .none
        }
    }

    /// Wheel input at (`x`, `y`), scrolling by (`deltaX`, `deltaY`).
    func executeWheel(_ p: ActionParams, _ action: BrowserAction, as participant: Participant,
                      options: ActionOptions) async -> ActionResult {
        await perform("wheel", target: "\(p.deltaX ?? 0),\(p.deltaY ?? 0)", as: participant, options: options) { _, tab, _ in
            let modifiers = try Self.modifierBits(p.modifiers)
            try await Self.sendInput([Input.DispatchMouseEvent(
                type: .mouseWheel, x: p.x ?? 0, y: p.y ?? 0, modifiers: modifiers, deltaX: p.deltaX ?? 0, deltaY: p.deltaY ?? 0)], to: tab, options)
            return .none
        }
    }

    /// Key input: `press` a key or combination (`Enter`, `Control+A`), or `down` / `up` one key with
    /// the modifiers held.
    func executeKey(_ p: ActionParams, _ action: BrowserAction, as participant: Participant,
                    options: ActionOptions) async -> ActionResult {
        let key = p.key ?? ""
        return await perform("key", target: key.count == 1 ? nil : key, as: participant, options: options) { _, tab, _ in
            guard !key.isEmpty else { throw SessionError(.invalidAction, "a key action needs key") }
            switch p.event ?? "press" {
            case "press": try await Self.sendInput(try Elements.keyEvents(key), to: tab, options)
            case "down", "up":
                guard let definition = KeyDefinition.lookup(key) else { throw SessionError(.notApplicable, "unknown key \"\(key)\"") }
                let bits = try Self.modifierBits(p.modifiers) ?? 0
                let down = p.event == "down"
                let text = down && bits & (1 | 2 | 4) == 0 ? definition.text.map { bits & 8 != 0 ? $0.uppercased() : $0 } : nil
                try await Self.sendInput([Input.DispatchKeyEvent(
                    type: down ? (text == nil ? .rawKeyDown : .keyDown) : .keyUp, modifiers: bits, text: text, unmodifiedText: text,
                    code: definition.code, key: definition.key, windowsVirtualKeyCode: definition.keyCode)], to: tab, options)
            case let other:
                throw SessionError(.invalidAction, "a key event is press, down or up, not \(other)")
            }
            return .none
        }
    }

    /// Text inserted at the cursor (a paste, or the result of an IME composition).
    func executeInsertText(_ text: String, as participant: Participant, options: ActionOptions) async -> ActionResult {
        await perform("insertText", target: nil, as: participant, options: options, feedback: true) { _, tab, _ in
            try await Self.sendInput([Input.InsertText(text: text)], to: tab, options)
            return .none
        }
    }

    /// Sends raw input in order: waiting for the replies, or (with ``ActionOptions/onLateInputFailure``)
    /// not, a failed reply going to that closure.
    static func sendInput<C: CDPCommand>(_ commands: [C], to tab: Tab, _ options: ActionOptions) async throws {
        guard let onFailure = options.onLateInputFailure else {
            try await tab.page.send(inOrder: commands)
            return
        }
        let replies = tab.page.post(inOrder: commands, timeout: .seconds(5))
        Task {
            do { try await replies.value } catch { onFailure(SessionError.from(error)) }
        }
    }

    static func modifierBits(_ names: [String]?) throws -> Int? {
        guard let names, !names.isEmpty else { return nil }
        return try names.reduce(0) { bits, name in
            guard let bit = KeyDefinition.modifierBits[name] else {
                throw SessionError(.invalidAction, "a modifier is Alt, Control, Meta or Shift, not \(name)")
            }
            return bits | bit
        }
    }
}

extension Participant {
    /// The participant an event cause names.
    public init(_ cause: EventCause) {
        switch cause.kind {
        case .agent: self = .agent(cause.id)
        case .human: self = .human(cause.id)
        case .system: self = .system
        case .page: self = Participant(kind: .page, id: cause.id)
        }
    }
}

extension ElementTarget {
    /// The string form that parses back to this target (``ActionParams/target``).
    public var encoded: String {
        guard kind == .css else { return description }
        let ambiguous = value.hasPrefix("text=") || value.hasPrefix("css=") || value.hasPrefix("ref=") || Self.looksLikeRef(value)
        return ambiguous ? "css=" + value : value
    }
}

extension BrowserAction {
    public static func navigate(to url: String, waitUntil: SharedBrowserSession.LoadState = .load, by participant: Participant) -> BrowserAction {
        BrowserAction(.navigate, ActionParams(url: url, waitUntil: waitUntil == .load ? nil : waitUntil.rawValue), source: EventCause(participant))
    }

    public static func click(_ target: ElementTarget, clickCount: Int = 1, by participant: Participant) -> BrowserAction {
        BrowserAction(.click, ActionParams(target: target.encoded, clickCount: clickCount == 1 ? nil : clickCount), source: EventCause(participant))
    }

    public static func hover(_ target: ElementTarget, by participant: Participant) -> BrowserAction {
        BrowserAction(.hover, ActionParams(target: target.encoded), source: EventCause(participant))
    }

    public static func fill(_ target: ElementTarget, _ value: String, by participant: Participant) -> BrowserAction {
        BrowserAction(.fill, ActionParams(target: target.encoded, value: value), source: EventCause(participant))
    }

    public static func type(_ text: String, into target: ElementTarget? = nil, by participant: Participant) -> BrowserAction {
        BrowserAction(.type, ActionParams(target: target?.encoded, text: text), source: EventCause(participant))
    }

    public static func press(_ key: String, on target: ElementTarget? = nil, by participant: Participant) -> BrowserAction {
        BrowserAction(.press, ActionParams(target: target?.encoded, key: key), source: EventCause(participant))
    }

    public static func selectOption(_ target: ElementTarget, _ values: [String], by participant: Participant) -> BrowserAction {
        BrowserAction(.selectOption, ActionParams(target: target.encoded, values: values), source: EventCause(participant))
    }

    public static func evaluate(_ script: String, by participant: Participant) -> BrowserAction {
        BrowserAction(.evaluate, ActionParams(script: script), source: EventCause(participant))
    }

    /// Mouse input at page coordinates: `move`, `down`, `up`, `click`, `doubleClick`.
    public static func mouse(_ event: String, x: Double, y: Double, button: String? = nil, modifiers: [String]? = nil,
                             by participant: Participant) -> BrowserAction {
        BrowserAction(.mouse, ActionParams(event: event, x: x, y: y, button: button, modifiers: modifiers), source: EventCause(participant))
    }

    /// Wheel input at page coordinates.
    public static func wheel(x: Double, y: Double, deltaX: Double = 0, deltaY: Double, by participant: Participant) -> BrowserAction {
        BrowserAction(.wheel, ActionParams(x: x, y: y, deltaX: deltaX, deltaY: deltaY), source: EventCause(participant))
    }

    /// Key input: `press`, `down` or `up`.
    public static func key(_ event: String, _ key: String, modifiers: [String]? = nil, by participant: Participant) -> BrowserAction {
        BrowserAction(.key, ActionParams(key: key, event: event, modifiers: modifiers), source: EventCause(participant))
    }

    /// Text inserted at the cursor.
    public static func insertText(_ text: String, by participant: Participant) -> BrowserAction {
        BrowserAction(.insertText, ActionParams(text: text), source: EventCause(participant))
    }
}

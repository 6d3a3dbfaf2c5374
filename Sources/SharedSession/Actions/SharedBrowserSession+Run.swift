import CDPTransport
public import Coordination
public import EventBuffer
import Foundation

extension SharedBrowserSession {
    /// Runs one action given as data: the one executor behind every typed method (``click(_:clickCount:as:options:)``
    /// and the rest are thin wrappers), and the way other processes, the live view and tool calls act.
    ///
    /// Before anything is sent the action is checked against its kind's declaration
    /// (`ActionCatalog`): an unknown type, a missing or foreign parameter or a value not allowed fails
    /// with ``SessionError/Code/invalidAction``; a kind `door` may not send (a person's input that is
    /// not input, JavaScript where the door does not allow it) with ``SessionError/Code/actionNotAllowed``.
    /// The result's ``ActionResult/actionValue`` and the `actionStarted`, `actionFinished` and
    /// `actionFailed` events carry the action, with what was typed masked unless the field is known to
    /// be neither a password nor a one-time code.
    ///
    /// - Parameters:
    ///   - action: what to do, and who asks.
    ///   - door: how it reached the session; code in this process is `ActionDoor/swiftAPI`, the
    ///     default.
    ///   - options: timeout, waiting for control.
    public func run(_ action: BrowserAction, through door: ActionDoor = .swiftAPI, options: ActionOptions = .init()) async -> ActionResult {
        var action = action
        // The tab named in the options, for a kind that acts on a page and names none itself.
        if let tab = options.tab, action.params.tab == nil, action.type.declaration?.policy.needsPage == true { action.params.tab = tab }
        if let refusal = ActionCatalog.admit(action, through: door) { return refused(action, SessionError(refusal)) }
        let participant = Participant(action.source)
        if let signIn = signInTask, !Self.inSignIn { await signIn.value }
        actionsInProgress += 1
        defer { actionsInProgress -= 1 }
        let before = pageBeforeAction
        // A person's input is also told in words (what it did, to which element).
        let result = participant.kind == .human ? await runPersonInput(action, options: options) : await execute(action, options: options)
        return await signInAgainIfBounced(result, action: action, from: before, as: participant, options: options)
    }

    /// Runs one action given as data (see ``run(_:through:options:)``), as code in this process.
    public func run(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await run(action, through: .swiftAPI, options: options)
    }

    /// Dispatches an admitted action to the code that runs its kind, with its parameters typed
    /// (``ActionParameters``: the required ones not optional). The declaration has checked them, so
    /// reading them fails only for a kind this switch does not know.
    func execute(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        func typed<P: ActionParametersType>(_ type: P.Type) throws -> P {
            guard let parameters = action.parameters(as: type) else {
                throw SessionError(.invalidAction, "a \(action.type) action's params do not fit its declaration")
            }
            return parameters
        }
        do {
            switch action.type {
            case .navigate:
                let p = try typed(ActionParameters.Navigate.self)
                // The declaration allows only the load states' names.
                let waitUntil = p.waitUntil.flatMap(LoadState.init(rawValue:)) ?? .load
                return await executeNavigate(to: p.url, waitUntil: waitUntil, action, options: options)
            case .back: return await executeBack(action, options: options)
            case .forward: return await executeForward(action, options: options)
            case .reload: return await executeReload(action, options: options)
            case .click:
                let p = try typed(ActionParameters.Click.self)
                return await executeClick(ElementTarget(p.target), clickCount: p.clickCount ?? 1, action, options: options)
            case .hover: return await executeHover(ElementTarget(try typed(ActionParameters.Hover.self).target), action, options: options)
            case .fill:
                let p = try typed(ActionParameters.Fill.self)
                return await executeFill(ElementTarget(p.target), p.value, action, options: options)
            case .type:
                let p = try typed(ActionParameters.TypeText.self)
                return await executeType(p.text, into: p.target.map { ElementTarget($0) }, action, options: options)
            case .press:
                let p = try typed(ActionParameters.Press.self)
                return await executePress(p.key, on: p.target.map { ElementTarget($0) }, action, options: options)
            case .selectOption:
                let p = try typed(ActionParameters.SelectOption.self)
                return await executeSelectOption(ElementTarget(p.target), p.values, action, options: options)
            case .check: return await executeCheck(ElementTarget(try typed(ActionParameters.Check.self).target), action, options: options)
            case .uncheck: return await executeUncheck(ElementTarget(try typed(ActionParameters.Uncheck.self).target), action, options: options)
            case .scroll:
                let p = try typed(ActionParameters.Scroll.self)
                if let target = p.target { return await executeScrollTo(to: ElementTarget(target), action, options: options) }
                return await executeScrollBy(byX: p.deltaX ?? 0, y: p.deltaY ?? 0, action, options: options)
            case .evaluate: return await executeEvaluate(try typed(ActionParameters.Evaluate.self).script, action, options: options)
            case .waitForSelector:
                let p = try typed(ActionParameters.WaitForSelector.self)
                return await executeWaitForSelector(ElementTarget(p.target), state: p.state ?? "visible", action, options: options)
            case .waitForText:
                return await executeWaitForText(text: try typed(ActionParameters.WaitForText.self).text, action, options: options)
            case .waitForURL:
                return await executeWaitForURL(url: try typed(ActionParameters.WaitForURL.self).pattern, action, options: options)
            case .waitForNavigation: return await executeWaitForNavigation(action, options: options)
            case .screenshot:
                let p = try typed(ActionParameters.Screenshot.self)
                let format = p.format.map { Page.CaptureScreenshot.Format(rawValue: $0) } ?? .png
                return await executeScreenshot(fullPage: p.fullPage ?? false, format: format, quality: p.quality, action, options: options)
            case .setViewport:
                let p = try typed(ActionParameters.SetViewport.self)
                return await executeSetViewport(width: p.width, height: p.height, action, options: options)
            case .snapshot:
                let p = try typed(ActionParameters.Snapshot.self)
                return await executeSnapshot(interactiveOnly: p.interactiveOnly ?? false, maxDepth: p.maxDepth,
                                             root: p.root.map { ElementTarget($0) }, action, options: options)
            case .pageContent: return await executePageContent(action, options: options)
            case .pageText:
                let p = try typed(ActionParameters.PageText.self)
                return await executePageText(page: p.page ?? 1, tokensPerPage: p.tokens ?? 2000, action, options: options)
            case .handleDialog:
                let p = try typed(ActionParameters.HandleDialog.self)
                return await executeHandleDialog(accept: p.accept, promptText: p.promptText, action, options: options)
            case .openTab: return await executeOpenTab(url: try typed(ActionParameters.OpenTab.self).url, action, options: options)
            case .switchTab: return await executeSwitchTab(to: try typed(ActionParameters.SwitchTab.self).tab, action, options: options)
            case .closeTab: return await executeCloseTab(try typed(ActionParameters.CloseTab.self).tab, action, options: options)
            case .mouse: return await executeMouse(try typed(ActionParameters.Mouse.self), action, options: options)
            case .wheel: return await executeWheel(try typed(ActionParameters.Wheel.self), action, options: options)
            case .key: return await executeKey(try typed(ActionParameters.Key.self), action, options: options)
            case .insertText: return await executeInsertText(try typed(ActionParameters.InsertText.self).text, action, options: options)
            case .setStorageState:
                return await executeSetStorageState(try typed(ActionParameters.SetStorageState.self).storageState, action, options: options)
            default:
                throw SessionError(.invalidAction, "unknown action type \"\(action.type)\"")
            }
        } catch {
            return refused(action, SessionError.from(error))
        }
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
    func executeMouse(_ p: ActionParameters.Mouse, _ action: BrowserAction,
                      options: ActionOptions) async -> ActionResult {
        await perform(action, target: "\(p.event) \(p.x),\(p.y)", options: options) { _, tab, _ in
            // The declaration allows only the three buttons.
            let (x, y) = (p.x, p.y)
            let button = Input.MouseButton(rawValue: p.button ?? "left")
            let modifiers = try Self.modifierBits(p.modifiers)
            let moved = Input.DispatchMouseEvent(type: .mouseMoved, x: x, y: y, modifiers: modifiers)
            func pressed(_ count: Int) -> [Input.DispatchMouseEvent] {
                [Input.DispatchMouseEvent(type: .mousePressed, x: x, y: y, modifiers: modifiers, button: button, clickCount: count),
                 Input.DispatchMouseEvent(type: .mouseReleased, x: x, y: y, modifiers: modifiers, button: button, clickCount: count)]
            }
            let events: [Input.DispatchMouseEvent]
            switch p.event {
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
    func executeWheel(_ p: ActionParameters.Wheel, _ action: BrowserAction,
                      options: ActionOptions) async -> ActionResult {
        await perform(action, target: "\(p.deltaX ?? 0),\(p.deltaY ?? 0)", options: options) { _, tab, _ in
            let modifiers = try Self.modifierBits(p.modifiers)
            try await Self.sendInput([Input.DispatchMouseEvent(
                type: .mouseWheel, x: p.x ?? 0, y: p.y ?? 0, modifiers: modifiers, deltaX: p.deltaX ?? 0, deltaY: p.deltaY ?? 0)], to: tab, options)
            return .none
        }
    }

    /// Key input: `press` a key or combination (`Enter`, `Control+A`), or `down` / `up` one key with
    /// the modifiers held.
    func executeKey(_ p: ActionParameters.Key, _ action: BrowserAction,
                    options: ActionOptions) async -> ActionResult {
        let key = p.key
        return await perform(action, target: key.count == 1 ? nil : key, options: options) { _, tab, _ in
            guard !key.isEmpty else { throw SessionError(.invalidAction, "a key action needs a key") }
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
    func executeInsertText(_ text: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, _ in
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
    /// The string form that parses back to this target (`ActionParams/target`).
    public var encoded: String {
        guard kind == .css else { return description }
        let ambiguous = value.hasPrefix("text=") || value.hasPrefix("css=") || value.hasPrefix("ref=") || Self.looksLikeRef(value)
        return ambiguous ? "css=" + value : value
    }
}

extension BrowserAction {
    /// Open `url` and wait until `waitUntil`.
    public static func navigate(to url: String, waitUntil: SharedBrowserSession.LoadState = .load, by participant: Participant) -> BrowserAction {
        BrowserAction(.navigate, ActionParams(url: url, waitUntil: waitUntil == .load ? nil : waitUntil.rawValue), source: EventCause(participant))
    }

    /// Click `target` (`clickCount` 2 for a double click).
    public static func click(_ target: ElementTarget, clickCount: Int = 1, by participant: Participant) -> BrowserAction {
        BrowserAction(.click, ActionParams(target: target.encoded, clickCount: clickCount == 1 ? nil : clickCount), source: EventCause(participant))
    }

    /// Move the mouse over `target`.
    public static func hover(_ target: ElementTarget, by participant: Participant) -> BrowserAction {
        BrowserAction(.hover, ActionParams(target: target.encoded), source: EventCause(participant))
    }

    /// Replace the value of `target` with `value`.
    public static func fill(_ target: ElementTarget, _ value: String, by participant: Participant) -> BrowserAction {
        BrowserAction(.fill, ActionParams(target: target.encoded, value: value), source: EventCause(participant))
    }

    /// Type `text` key by key, into `target` or the focused element.
    public static func type(_ text: String, into target: ElementTarget? = nil, by participant: Participant) -> BrowserAction {
        BrowserAction(.type, ActionParams(target: target?.encoded, text: text), source: EventCause(participant))
    }

    /// Press `key` (`Enter`, `Control+A`), on `target` or the focused element.
    public static func press(_ key: String, on target: ElementTarget? = nil, by participant: Participant) -> BrowserAction {
        BrowserAction(.press, ActionParams(target: target?.encoded, key: key), source: EventCause(participant))
    }

    /// Choose the options of the `<select>` `target` whose values or labels are `values`.
    public static func selectOption(_ target: ElementTarget, _ values: [String], by participant: Participant) -> BrowserAction {
        BrowserAction(.selectOption, ActionParams(target: target.encoded, values: values), source: EventCause(participant))
    }

    /// Run `script` in the page.
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

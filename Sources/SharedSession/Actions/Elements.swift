import CDPTransport
import Foundation
import SharedBrowserSupport

/// Finding elements and sending input to them.
enum Elements {
    struct Located: Decodable {
        var ok: Bool?
        var x: Double
        var y: Double
        var checked: Bool?
        var done: Bool?
        var error: String?
        var message: String?
        var state: String?
        var box: [Double]?

        enum CodingKeys: String, CodingKey { case ok, x, y, checked, done, error, message, state, box }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            ok = try c.decodeIfPresent(Bool.self, forKey: .ok)
            x = try c.decodeIfPresent(Double.self, forKey: .x) ?? 0
            y = try c.decodeIfPresent(Double.self, forKey: .y) ?? 0
            checked = try c.decodeIfPresent(Bool.self, forKey: .checked)
            done = try c.decodeIfPresent(Bool.self, forKey: .done)
            error = try c.decodeIfPresent(String.self, forKey: .error)
            message = try c.decodeIfPresent(String.self, forKey: .message)
            state = try c.decodeIfPresent(String.self, forKey: .state)
            box = try? c.decodeIfPresent([Double].self, forKey: .box)
        }
    }

    /// Resolves `target` in the page and waits until `action` can use it.
    static func locate(_ tab: Tab, _ target: ElementTarget, action: String, values: [String] = [],
                       deadline: Deadline) async throws -> (x: Double, y: Double, checked: Bool, done: Bool) {
        let request = PageScripts.Request(kind: target.kind.rawValue, value: target.value, action: action,
                                          timeoutMs: 0, values: values)
        let located: Located
        if target.kind == .ref {
            let objectId = try await resolve(ref: target.value, in: tab)
            located = try await evaluateUntil(tab, deadline: deadline, describing: "\(target)") { remaining in
                var timed = request
                timed.timeoutMs = remaining
                let reply = try await tab.script(Runtime.CallFunctionOn(
                    functionDeclaration: PageScripts.locatorOnElement, objectId: objectId,
                    arguments: [Runtime.CallArgument(value: try JSONValue(encoding: timed))],
                    returnByValue: true, awaitPromise: true), timeout: deadline.remaining + .seconds(2))
                return (reply.result.value, reply.exceptionDetails)
            }
        } else {
            located = try await evaluateUntil(tab, deadline: deadline, describing: "\(target)") { remaining in
                var timed = request
                timed.timeoutMs = remaining
                let reply = try await tab.script(
                    Runtime.Evaluate(expression: PageScripts.locate(timed), returnByValue: true, awaitPromise: true),
                    timeout: deadline.remaining + .seconds(2))
                return (reply.result.value, reply.exceptionDetails)
            }
        }
        if let error = located.error {
            switch error {
            case "invalidSelector":
                throw SessionError(.invalidSelector, "invalid selector \(target): \(located.message ?? "")", selector: target.description)
            case "optionNotFound":
                throw SessionError(.optionNotFound, "\(target): \(located.message ?? "")", selector: target.description)
            case "detached":
                throw SessionError(.staleReference, "the element of \(target) is no longer in the page; take a new snapshot",
                                   selector: target.description)
            case "notApplicable":
                throw SessionError(.notApplicable, located.message ?? "\(action) does not apply to \(target)", selector: target.description)
            default:
                throw SessionError(.timeout, "waiting for \(target) to be \(Self.wanted(action)): \(located.state ?? "timed out")",
                                   selector: target.description)
            }
        }
        // Where it acted, for the timeline's mark on its picture.
        if let box = located.box, box.count == 4 {
            ActionNotes.current?.values.withLock { $0.box = ElementBox(x: box[0], y: box[1], width: box[2], height: box[3]) }
        }
        return (located.x, located.y, located.checked ?? false, located.done ?? false)
    }

    static func wanted(_ action: String) -> String {
        switch action {
        case "attached", "visible", "hidden", "detached": return action
        case "click", "hover", "check": return "visible, enabled, stable and not covered"
        default: return "visible and enabled"
        }
    }

    /// The element `target` names, as an object of the session's isolated world `world`: a ref's
    /// element, or the first match of a CSS or text selector; nil when there is none.
    static func object(of target: ElementTarget, in tab: Tab, world: Int, deadline: Deadline) async throws -> String? {
        if target.kind == .ref { return try await resolve(ref: target.value, in: tab, world: world) }
        let request = PageScripts.Request(kind: target.kind.rawValue, value: target.value, action: "element", timeoutMs: 0)
        return try await tab.script(Runtime.Evaluate(expression: PageScripts.locate(request), contextId: world, awaitPromise: true),
                                       timeout: deadline.remaining).result.objectId
    }

    /// The element of a snapshot ref (`e12`), after checking it belongs to the current document.
    static func resolve(ref: String, in tab: Tab) async throws -> String {
        try await PageWorld.run(tab, deadline: tab.clock.deadline(in: .seconds(10))) { world in try await resolve(ref: ref, in: tab, world: world) }
    }

    static func resolve(ref: String, in tab: Tab, world: Int) async throws -> String {
        guard let number = ElementTarget.refNumber(ref) else {
            throw SessionError(.invalidSelector, "\"\(ref)\" is not a ref (refs look like e12)", selector: "ref=" + ref)
        }
        // `e12@3` names the same element as `e12` once its document is checked.
        let (known, generation, current, first) = tab.state.withLock { s in (s.refs["e\(number)"], s.refsGeneration, s.generation, s.refsFirst) }
        // The older form names its document (`e12@3`): one of another document is stale.
        if let stamped = ref.split(separator: "@").dropFirst().first.flatMap({ Int($0) }), stamped != current {
            throw SessionError(.staleReference, "ref \(ref) is from an earlier page (the tab is on document \(current)); take a new snapshot",
                               selector: "ref=" + ref)
        }
        guard let element = known, generation == current else {
            // Numbers go on from page to page: a lower one than this page's first is an earlier page's.
            // (The numbers are the session's: another tab's refs are no more this page's.)
            if generation != current || number < first {
                throw SessionError(.staleReference, "ref \(ref) is from an earlier page (or another tab); take a new snapshot",
                                   selector: "ref=" + ref)
            }
            throw SessionError(.staleReference, "ref \(ref) is not in the last snapshot of this page (or is another tab's); take a new snapshot",
                               selector: "ref=" + ref)
        }
        let resolved = try await tab.script(Runtime.Evaluate(expression: SnapshotScript.element(element), contextId: world))
        guard let objectId = resolved.result.objectId else {
            throw SessionError(.staleReference, "the element of ref \(ref) is no longer in the page; take a new snapshot", selector: "ref=" + ref)
        }
        return objectId
    }

    /// Runs a polling page script until it reports, retrying when a navigation replaces the document.
    @discardableResult
    static func evaluateUntil(
        _ tab: Tab, deadline: Deadline, describing what: String,
        run: (Double) async throws -> (JSONValue?, Runtime.ExceptionDetails?)
    ) async throws -> Located {
        while true {
            let remaining = deadline.remaining
            if remaining <= .zero {
                throw SessionError(.timeout, "waiting for \(what): timed out", selector: what)
            }
            let value: JSONValue?
            let exception: Runtime.ExceptionDetails?
            do {
                (value, exception) = try await run(Navigation.pageWait(deadline))
            } catch let error as CDPError where error.code == .protocolError && Self.isContextGone(error.message) {
                continue   // the document changed under us: look again in the new one
            } catch let error as CDPError where error.code == .timeout {
                throw SessionError(.timeout, "waiting for \(what): the page did not answer in time (a script keeps it busy)",
                                   selector: what)
            }
            if let details = exception {
                let text = details.exception?.description ?? details.text
                if Self.isContextGone(text) { continue }
                throw SessionError(.evaluationFailed, "the element lookup failed: \(text)", selector: what)
            }
            guard let value else {
                throw SessionError(.protocolError, "the element lookup returned nothing", selector: what)
            }
            return try value.decode(as: Located.self)
        }
    }

    static func evaluateUntil(_ tab: Tab, _ script: String, deadline: Deadline, describing what: String) async throws {
        let located = try await evaluateUntil(tab, deadline: deadline, describing: what) { _ in
            let reply = try await tab.script(Runtime.Evaluate(expression: script, returnByValue: true, awaitPromise: true),
                                                timeout: deadline.remaining + .seconds(2))
            return (reply.result.value, reply.exceptionDetails)
        }
        if located.error != nil {
            throw SessionError(.timeout, "waiting for \(what): \(located.state ?? "timed out")", selector: what)
        }
    }

    static func isContextGone(_ message: String) -> Bool {
        message.contains("Execution context was destroyed") || message.contains("Cannot find context")
            || message.contains("Inspected target navigated or closed") || message.contains("context with specified id")
    }

    /// Moves, presses and releases the left button, sent back to back (in order) and awaited together.
    static func click(_ tab: Tab, x: Double, y: Double, count: Int) async throws {
        var events = [Input.DispatchMouseEvent(type: .mouseMoved, x: x, y: y)]
        for n in 1...max(1, count) {
            events.append(Input.DispatchMouseEvent(type: .mousePressed, x: x, y: y, button: .left, clickCount: n))
            events.append(Input.DispatchMouseEvent(type: .mouseReleased, x: x, y: y, button: .left, clickCount: n))
        }
        try await tab.page.send(inOrder: events)
    }

    /// The page-side test of ``focusIsSecret(_:)``, a function expression (also part of the page
    /// feedback's reading, which runs after each action that types).
    /// `(e) => bool`: whether element `e` takes a secret — a password, a one-time code, or a field
    /// named like one (`pin`, `otp`, `cvc`, ...). The one test of secrecy for typed text: raw input,
    /// typing actions and a person's words all use it.
    static let secretFieldFunction = #"""
        (e) => {
          if (!e || e === document.body) return false;
          const type = (e.getAttribute('type') || '').toLowerCase();
          const auto = (e.getAttribute('autocomplete') || '').toLowerCase();
          const names = ((e.getAttribute('name') || '') + ' ' + (e.id || '') + ' ' + (e.getAttribute('aria-label') || '')).toLowerCase();
          return type === 'password' || /one-time-code|password/.test(auto) ||
            /pass|pwd|otp|one.?time|2fa|mfa|totp|\bpin\b|secret|token|cvc|cvv|security.?code|verification.?code/.test(names);
        }
        """#

    /// `() => bool`: whether the focused element (through open shadow roots) takes a secret.
    static let focusSecretFunction = """
        () => {
          let e = document.activeElement;
          while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
          return (\(secretFieldFunction))(e);
        }
        """

    /// Whether the focused element takes a secret: a password, a one-time code, or a field named like
    /// one (`pin`, `otp`, `cvc`, ...). Read in the session's isolated world, so the page cannot lie;
    /// true when it cannot be read (what was typed then stays masked).
    static func focusIsSecret(_ tab: Tab) async -> Bool {
        let script = "(\(focusSecretFunction))()"
        let deadline = tab.clock.deadline(in: .seconds(2))
        let secret = try? await deadline.bounding {
            try await PageWorld.run(tab, deadline: deadline) { world in
                try await tab.script(Runtime.Evaluate(expression: script, contextId: world, returnByValue: true)).result.value?.boolValue
            }
        }
        return secret ?? true
    }

    /// Whether what an action types goes into a secret field, decided once, before the action starts
    /// (its every event and picture then follow the same decision): for an action with a target, the
    /// element the target names now (a CSS selector or a ref; a text target is not looked up); else
    /// the focused element. True (masked) when it cannot be told.
    static func typingIsSecret(_ tab: Tab, target: ElementTarget?) async -> Bool {
        guard let target else { return await focusIsSecret(tab) }
        let check = "function () { return (\(secretFieldFunction))(this); }"
        let deadline = tab.clock.deadline(in: .seconds(2))
        let secret: Bool? = try? await deadline.bounding {
            try await PageWorld.run(tab, deadline: deadline) { world in
                let objectId: String?
                switch target.kind {
                case .ref: objectId = try await resolve(ref: target.value, in: tab, world: world)
                case .css:
                    let expression = "document.querySelector(\(String(decoding: try JSONEncoder().encode(target.value), as: UTF8.self)))"
                    objectId = try await tab.script(Runtime.Evaluate(expression: expression, contextId: world)).result.objectId
                default: objectId = nil
                }
                guard let objectId else { return nil }
                return try await tab.script(Runtime.CallFunctionOn(functionDeclaration: check, objectId: objectId, returnByValue: true))
                    .result.value?.boolValue
            }
        }
        return secret ?? true
    }

    /// Presses `key` (`Enter`, `a`, `Control+A`, `Shift+Tab`).
    static func press(_ tab: Tab, key combination: String) async throws {
        try await tab.page.send(inOrder: try keyEvents(combination))
    }

    /// The key events of pressing a key or combination (`Enter`, `Control+Shift+A`): each modifier
    /// down, the key down and up, the modifiers up.
    static func keyEvents(_ combination: String) throws -> [Input.DispatchKeyEvent] {
        var parts = combination.count > 1 ? combination.split(separator: "+", omittingEmptySubsequences: false).map(String.init) : [combination]
        if combination.hasSuffix("++") { parts = Array(parts.dropLast(2)) + ["+"] }
        guard let keyName = parts.last, let main = KeyDefinition.lookup(keyName) else {
            throw SessionError(.notApplicable, "unknown key \"\(combination)\"")
        }
        let modifiers = parts.dropLast()
        var events: [Input.DispatchKeyEvent] = []
        var bits = 0
        for modifier in modifiers {
            guard let bit = KeyDefinition.modifierBits[modifier], let definition = KeyDefinition.lookup(modifier) else {
                throw SessionError(.notApplicable, "unknown modifier \"\(modifier)\" in \"\(combination)\"")
            }
            bits |= bit
            events.append(Input.DispatchKeyEvent(
                type: .rawKeyDown, modifiers: bits, code: definition.code, key: definition.key,
                windowsVirtualKeyCode: definition.keyCode))
        }
        let commandModifier = bits & (1 | 2 | 4) != 0
        let text = commandModifier ? nil : main.text.map { bits & 8 != 0 ? $0.uppercased() : $0 }
        events.append(Input.DispatchKeyEvent(
            type: text == nil ? .rawKeyDown : .keyDown, modifiers: bits, text: text, unmodifiedText: text,
            code: main.code, key: main.key, windowsVirtualKeyCode: main.keyCode))
        events.append(Input.DispatchKeyEvent(
            type: .keyUp, modifiers: bits, code: main.code, key: main.key, windowsVirtualKeyCode: main.keyCode))
        for modifier in modifiers.reversed() {
            let definition = KeyDefinition.lookup(modifier)!
            bits &= ~KeyDefinition.modifierBits[modifier]!
            events.append(Input.DispatchKeyEvent(
                type: .keyUp, modifiers: bits, code: definition.code, key: definition.key, windowsVirtualKeyCode: definition.keyCode))
        }
        return events
    }
}

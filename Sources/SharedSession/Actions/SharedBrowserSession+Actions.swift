public import CDPTransport
import ContentExtraction
public import Coordination
import Foundation
import SharedBrowserSupport

extension SharedBrowserSession {
    // MARK: Navigation

    /// Loads `url` in the active tab and waits until `waitUntil`. The result's ``ActionResult/page``
    /// summarizes the page loaded (unless ``ActionOptions/pageSummary`` is off).
    ///
    /// Errors: ``SessionError/Code/invalidURL`` or ``SessionError/Code/urlNotAllowed`` before
    /// anything is sent; ``SessionError/Code/navigationFailed`` with the `net::ERR_*` code;
    /// ``SessionError/Code/timeout`` naming the URL.
    public func navigate(to url: String, waitUntil: LoadState = .load, as participant: Participant,
                         options: ActionOptions = .init()) async -> ActionResult {
        await run(.navigate(to: url, waitUntil: waitUntil, by: participant), options: options)
    }

    func executeNavigate(to url: String, waitUntil: LoadState = .load, _ action: BrowserAction,
                         options: ActionOptions) async -> ActionResult {
        await perform(action, target: url, options: options) { session, tab, deadline in
            try session.validate(url)
            try await session.reach(action, tab, deadline: deadline)
            do {
                try await Navigation.go(tab, to: url, waitUntil: waitUntil, deadline: deadline)
            } catch let error as SessionError where error.code == .navigationFailed {
                // After the tab's own events (an error page may have committed), so the state ends on
                // the browser's reason.
                await session.flushEvents(tab)
                session.sink.emit(.navigation, target: tab.targetId, payload: .navigation(NavigationInfo(
                    url: url, isMainFrame: true, errorText: error.message.components(separatedBy: ": ").last)))
                throw error
            }
            return await Self.summary(tab, options, deadline: deadline)
        }
    }

    /// Goes one entry back in the active tab's history.
    public func back(as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.back, source: EventCause(participant)), options: options)
    }

    func executeBack(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await history(-1, name: "back", action, options: options)
    }

    /// Goes one entry forward in the active tab's history.
    public func forward(as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.forward, source: EventCause(participant)), options: options)
    }

    func executeForward(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await history(1, name: "forward", action, options: options)
    }

    private func history(_ step: Int, name: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, deadline in
            let history = try await tab.page.send(Page.GetNavigationHistory())
            let index = history.currentIndex + step
            guard history.entries.indices.contains(index) else {
                throw SessionError(.notApplicable, "there is no page to go \(name) to")
            }
            let entry = history.entries[index]
            try await Navigation.waitForLoad(tab, deadline: deadline, what: "going \(name) to \(entry.url)") {
                _ = try await tab.page.send(Page.NavigateToHistoryEntry(entryId: entry.id))
            }
            return await Self.summary(tab, options, deadline: deadline)
        }
    }

    /// Reloads the active tab and waits for the load event.
    public func reload(as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.reload, source: EventCause(participant)), options: options)
    }

    func executeReload(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, deadline in
            try await Navigation.waitForLoad(tab, deadline: deadline, what: "the reload") {
                _ = try await tab.page.send(Page.Reload())
            }
            return await Self.summary(tab, options, deadline: deadline)
        }
    }

    // MARK: Elements

    /// Clicks the centre of the element, once it is attached, visible, enabled, stable and not
    /// covered; waits for a navigation the click starts. The result's ``ActionResult/page``
    /// summarizes the page after the click (unless ``ActionOptions/pageSummary`` is off).
    ///
    /// Errors: ``SessionError/Code/invalidSelector`` at once; ``SessionError/Code/timeout`` naming the
    /// selector and the last state seen (`not found`, `not visible`, `disabled`, `covered by ...`).
    public func click(_ target: ElementTarget, clickCount: Int = 1, as participant: Participant,
                      options: ActionOptions = .init()) async -> ActionResult {
        await run(.click(target, clickCount: clickCount, by: participant), options: options)
    }

    func executeClick(_ target: ElementTarget, clickCount: Int = 1, _ action: BrowserAction,
                      options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { session, tab, deadline in
            let located = try await Elements.locate(tab, target, action: "click", deadline: deadline)
            // After a wait for a person's approval the element may have moved: found again.
            let waited = try await session.reach(action, tab, x: located.x, y: located.y, deadline: deadline)
            let point = waited ? try await Elements.locate(tab, target, action: "click", deadline: deadline) : located
            try await Navigation.settle(tab, deadline: deadline, what: "clicking \(target)") {
                try await Elements.click(tab, x: point.x, y: point.y, count: clickCount)
            }
            return await Self.summary(tab, options, deadline: deadline)
        }
    }

    /// Moves the mouse over the element.
    public func hover(_ target: ElementTarget, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(.hover(target, by: participant), options: options)
    }

    func executeHover(_ target: ElementTarget, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { session, tab, deadline in
            let point = try await Elements.locate(tab, target, action: "hover", deadline: deadline)
            try await session.reach(action, tab, x: point.x, y: point.y, deadline: deadline)
            try await tab.page.send(Input.DispatchMouseEvent(type: .mouseMoved, x: point.x, y: point.y))
            return .none
        }
    }

    /// Replaces the value of an input, textarea or editable element (focus, select all, insert).
    /// Passwords are not recorded: the `actionStarted` event names the field, never the value.
    public func fill(_ target: ElementTarget, _ value: String, as participant: Participant,
                     options: ActionOptions = .init()) async -> ActionResult {
        await run(.fill(target, value, by: participant), options: options)
    }

    func executeFill(_ target: ElementTarget, _ value: String, _ action: BrowserAction,
                     options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { session, tab, deadline in
            let located = try await Elements.locate(tab, target, action: "fill", values: [value], deadline: deadline)
            try await session.reach(action, tab, focus: true, deadline: deadline)
            if !located.done { try await tab.page.send(Input.InsertText(text: value)) }
            return .none
        }
    }

    /// Types `text` key by key into the focused element, or into `target` after focusing it.
    public func type(_ text: String, into target: ElementTarget? = nil, as participant: Participant,
                     options: ActionOptions = .init()) async -> ActionResult {
        await run(.type(text, into: target, by: participant), options: options)
    }

    func executeType(_ text: String, into target: ElementTarget? = nil, _ action: BrowserAction,
                     options: ActionOptions) async -> ActionResult {
        await perform(action, target: target?.description, options: options) { session, tab, deadline in
            if let target { _ = try await Elements.locate(tab, target, action: "focus", deadline: deadline) }
            try await session.reach(action, tab, focus: true, deadline: deadline)
            for character in text {
                try await Elements.press(tab, key: String(character))
            }
            return .none
        }
    }

    /// Presses a key, with modifiers: `Enter`, `Tab`, `ArrowDown`, `Control+A`, `Shift+Tab`.
    public func press(_ key: String, on target: ElementTarget? = nil, as participant: Participant,
                      options: ActionOptions = .init()) async -> ActionResult {
        await run(.press(key, on: target, by: participant), options: options)
    }

    func executePress(_ key: String, on target: ElementTarget? = nil, _ action: BrowserAction,
                      options: ActionOptions) async -> ActionResult {
        await perform(action, target: target?.description ?? key, options: options) { session, tab, deadline in
            if let target { _ = try await Elements.locate(tab, target, action: "focus", deadline: deadline) }
            try await session.reach(action, tab, focus: true, deadline: deadline)
            try await Navigation.settle(tab, deadline: deadline, what: "pressing \(key)") {
                try await Elements.press(tab, key: key)
            }
            return .none
        }
    }

    /// Selects the options of a `<select>` whose value or label is in `values`.
    public func selectOption(_ target: ElementTarget, _ values: [String], as participant: Participant,
                             options: ActionOptions = .init()) async -> ActionResult {
        await run(.selectOption(target, values, by: participant), options: options)
    }

    func executeSelectOption(_ target: ElementTarget, _ values: [String], _ action: BrowserAction,
                             options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { _, tab, deadline in
            _ = try await Elements.locate(tab, target, action: "select", values: values, deadline: deadline)
            return .none
        }
    }

    /// Checks a checkbox or radio button (clicking it if needed).
    public func check(_ target: ElementTarget, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.check, ActionParams(target: target.encoded), source: EventCause(participant)), options: options)
    }

    func executeCheck(_ target: ElementTarget, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await setChecked(target, true, action, options: options)
    }

    /// Unchecks a checkbox (clicking it if needed).
    public func uncheck(_ target: ElementTarget, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.uncheck, ActionParams(target: target.encoded), source: EventCause(participant)), options: options)
    }

    func executeUncheck(_ target: ElementTarget, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await setChecked(target, false, action, options: options)
    }

    private func setChecked(_ target: ElementTarget, _ wanted: Bool, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { session, tab, deadline in
            let before = try await Elements.locate(tab, target, action: "check", deadline: deadline)
            try await session.reach(action, tab, x: before.x, y: before.y, deadline: deadline)
            guard before.checked != wanted else { return .none }
            try await Navigation.settle(tab, deadline: deadline, what: "clicking \(target)") {
                try await Elements.click(tab, x: before.x, y: before.y, count: 1)
            }
            let after = try await Elements.locate(tab, target, action: "check", deadline: deadline)
            guard after.checked == wanted else {
                throw SessionError(.notApplicable, "clicking \(target) did not \(wanted ? "check" : "uncheck") it", selector: target.description)
            }
            return .none
        }
    }

    /// Scrolls the page by a delta in CSS pixels.
    public func scroll(byX deltaX: Double = 0, y deltaY: Double, as participant: Participant,
                       options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.scroll, ActionParams(deltaX: deltaX, deltaY: deltaY), source: EventCause(participant)), options: options)
    }

    func executeScrollBy(byX deltaX: Double = 0, y deltaY: Double, _ action: BrowserAction,
                       options: ActionOptions) async -> ActionResult {
        await perform(action, target: "\(deltaX),\(deltaY)", options: options) { _, tab, _ in
            let reply = try await tab.script(Runtime.Evaluate(
                expression: "window.scrollBy({left: \(deltaX), top: \(deltaY), behavior: 'instant'}); [scrollX, scrollY]",
                returnByValue: true))
            return .value(reply.result.value ?? .null)
        }
    }

    /// Scrolls the element into view.
    public func scroll(to target: ElementTarget, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.scroll, ActionParams(target: target.encoded), source: EventCause(participant)), options: options)
    }

    func executeScrollTo(to target: ElementTarget, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { _, tab, deadline in
            _ = try await Elements.locate(tab, target, action: "scroll", deadline: deadline)
            return .none
        }
    }

    // MARK: Scripts, waits, pictures

    /// Runs JavaScript in the page and returns its result as JSON (promises are awaited).
    ///
    /// What JSON cannot hold is given in the nearest JSON form and named in
    /// ``ActionResult/valueNotes``: `NaN` and `Infinity` as strings, a BigInt as its decimal string,
    /// a Date as its ISO string, a Map as an object, a Set as an array, a function or symbol as null,
    /// a repeated (circular) reference as "[circular]"; `-0` stays `-0`.
    /// A script that throws or a promise that rejects gives ``SessionError/Code/evaluationFailed``
    /// with the message and ``SessionError/stack``.
    public func evaluate(_ script: String, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(.evaluate(script, by: participant), options: options)
    }

    func executeEvaluate(_ script: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { session, tab, deadline in
            try await session.reach(action, tab, deadline: deadline)
            let reply: Runtime.Evaluate.Response
            do {
                reply = try await tab.script(Runtime.Evaluate(
                    expression: script, userGesture: true, awaitPromise: true,
                    serializationOptions: .init(serialization: .deep, maxDepth: 32)),
                    timeout: deadline.remaining)
            } catch let error as CDPError where error.code == .protocolError {
                throw SessionError(.evaluationFailed, "the result cannot be returned as JSON: \(error.message)")
            } catch let error as CDPError where error.code == .timeout {
                throw SessionError(.timeout, "the script did not finish within the timeout")
            }
            if let details = reply.exceptionDetails {
                let description = details.exception?.description ?? details.exception?.value?.description ?? details.text
                let message = description.split(separator: "\n").first.map(String.init) ?? details.text
                throw SessionError(.evaluationFailed, message, stack: description)
            }
            guard let deep = reply.result.deepSerializedValue else { return .value(reply.result.value ?? .null) }
            let (value, notes) = EvaluatedValue.convert(deep)
            return .evaluated(value, notes: notes)
        }
    }

    /// Waits until the element is in the given state: `attached`, `visible` (the default), `hidden`
    /// or `detached`.
    public func waitFor(_ target: ElementTarget, state: String = "visible", as participant: Participant,
                        options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.waitForSelector, ActionParams(target: target.encoded, state: state), source: EventCause(participant)), options: options)
    }

    func executeWaitForSelector(_ target: ElementTarget, state: String = "visible", _ action: BrowserAction,
                        options: ActionOptions) async -> ActionResult {
        await perform(action, target: target.description, options: options) { _, tab, deadline in
            _ = try await Elements.locate(tab, target, action: state, deadline: deadline)
            return .none
        }
    }

    /// Waits until the page's visible text contains `text`.
    public func waitFor(text: String, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.waitForText, ActionParams(text: text), source: EventCause(participant)), options: options)
    }

    func executeWaitForText(text: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: text, options: options) { _, tab, deadline in
            try await Elements.evaluateUntil(tab, PageScripts.waitForText(text, timeoutMs: Navigation.pageWait(deadline)),
                                             deadline: deadline, describing: "text \"\(text)\"")
            return .none
        }
    }

    /// Waits for the active tab's next main-frame navigation to load.
    public func waitForNavigation(as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.waitForNavigation, source: EventCause(participant)), options: options)
    }

    func executeWaitForNavigation(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, deadline in
            let lifecycle = tab.page.events(Page.LifecycleEvent.self)
            let navigated = try await Navigation.first(tab.page.events(Page.FrameNavigated.self), until: deadline,
                                                       timeoutMessage: "no navigation within the timeout") { $0.frame.parentId == nil }
            let loader = navigated.frame.loaderId
            _ = try await Navigation.first(lifecycle, until: deadline, timeoutMessage: "the navigation to \(navigated.frame.url) did not load within the timeout") {
                $0.loaderId == loader && $0.name == "load"
            }
            return .none
        }
    }

    /// Waits until the active tab's URL matches `pattern` (exact, or a glob: `*` within a path
    /// segment, `**` across).
    public func waitFor(url pattern: String, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.waitForURL, ActionParams(pattern: pattern), source: EventCause(participant)), options: options)
    }

    func executeWaitForURL(url pattern: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: pattern, options: options) { _, tab, deadline in
            let navigations = tab.page.events(["Page.frameNavigated", "Page.navigatedWithinDocument"])
            let current = try await tab.script(Runtime.Evaluate(expression: "location.href", returnByValue: true))
            if let href = current.result.value?.stringValue, Navigation.matches(href, pattern: pattern) { return .none }
            _ = try await Navigation.first(navigations, until: deadline, timeoutMessage: "the URL did not match \(pattern) within the timeout") { event in
                if let navigated = try? event.decode(Page.FrameNavigated.self) {
                    return navigated.frame.parentId == nil && Navigation.matches(navigated.frame.url, pattern: pattern)
                }
                if let within = try? event.decode(Page.NavigatedWithinDocument.self) {
                    return Navigation.matches(within.url, pattern: pattern)
                }
                return false
            }
            return .none
        }
    }

    /// Takes a screenshot of the viewport, or of the whole page; ``ActionResult/data`` has the image.
    /// Watching needs no control: any participant may take one, and it is recorded as theirs.
    public func screenshot(fullPage: Bool = false, format: Page.CaptureScreenshot.Format = .png, quality: Int? = nil,
                           as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.screenshot, ActionParams(fullPage: fullPage, format: format.rawValue, quality: quality), source: EventCause(participant)), options: options)
    }

    func executeScreenshot(fullPage: Bool = false, format: Page.CaptureScreenshot.Format = .png, quality: Int? = nil,
                           _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, deadline in
            var clip: Page.Viewport?
            if fullPage {
                let metrics = try await tab.page.send(Page.GetLayoutMetrics())
                clip = Page.Viewport(x: 0, y: 0, width: metrics.cssContentSize.width, height: metrics.cssContentSize.height, scale: 1)
            }
            let shot = try await tab.page.send(Page.CaptureScreenshot(
                format: format, quality: format == .png ? nil : quality, clip: clip, captureBeyondViewport: fullPage ? true : nil),
                timeout: deadline.remaining)
            guard let data = Data(base64Encoded: shot.data) else {
                throw SessionError(.protocolError, "the screenshot is not valid base64")
            }
            return .data(data)
        }
    }

    /// Sets the active tab's viewport size in CSS pixels.
    public func setViewport(width: Int, height: Int, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.setViewport, ActionParams(width: width, height: height), source: EventCause(participant)), options: options)
    }

    func executeSetViewport(width: Int, height: Int, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: "\(width)x\(height)", options: options) { _, tab, _ in
            guard width > 0, height > 0 else { throw SessionError(.notApplicable, "a viewport needs a positive size, not \(width)x\(height)") }
            try await tab.page.send(Emulation.SetDeviceMetricsOverride(width: width, height: height, deviceScaleFactor: 1, mobile: false))
            // Kept, so a reconnect or a relaunch gives the tab the same viewport again.
            tab.state.withLock { $0.viewport = Viewport(width: width, height: height) }
            return .none
        }
    }

    /// Takes an accessibility snapshot of the active tab: a compact text tree with a ref
    /// (`e12`) for every interactive element, usable as a target (`"ref=e12"`) until the tab loads
    /// another document (the session's numbers go on from page to page and tab to tab: an earlier page's ref, or another tab's, fails). An element keeps its ref across snapshots of the same document, so a
    /// ref never comes to mean another element.
    ///
    /// - Parameters:
    ///   - interactiveOnly: list only the interactive elements.
    ///   - maxDepth: leave out what lies deeper (the result says how much).
    ///   - root: snapshot only the subtree of this element.
    ///   - participant: who asks; reading needs no control, and the snapshot is recorded as theirs.
    ///   - options: timeout and waiting for control.
    public func snapshot(interactiveOnly: Bool = false, maxDepth: Int? = nil, root: ElementTarget? = nil,
                         as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.snapshot, ActionParams(interactiveOnly: interactiveOnly, maxDepth: maxDepth, root: root?.encoded), source: EventCause(participant)), options: options)
    }

    func executeSnapshot(interactiveOnly: Bool = false, maxDepth: Int? = nil, root: ElementTarget? = nil,
                         _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: root?.description, options: options) { _, tab, deadline in
            .snapshot(try await PageReader.snapshot(
                tab, options: .init(interactiveOnly: interactiveOnly, maxDepth: maxDepth), root: root,
                visibility: false, deadline: deadline).0)
        }
    }

    /// Answers the open JavaScript dialog of the active tab.
    public func handleDialog(accept: Bool, promptText: String? = nil, as participant: Participant,
                             options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.handleDialog, ActionParams(accept: accept, promptText: promptText), source: EventCause(participant)), options: options)
    }

    func executeHandleDialog(accept: Bool, promptText: String? = nil, _ action: BrowserAction,
                             options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, _ in
            guard tab.dialog != nil else { throw SessionError(.notApplicable, "no dialog is open") }
            try await tab.page.send(Page.HandleJavaScriptDialog(accept: accept, promptText: promptText))
            return .none
        }
    }
}

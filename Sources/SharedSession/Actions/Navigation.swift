import CDPTransport
import Foundation
import SharedBrowserSupport

/// Navigation and waiting on a tab, with deadlines.
enum Navigation {
    /// How long a script in the page may wait, in milliseconds: what is left until `deadline`, less a
    /// margin (a quarter, at most 250 ms) so that its answer arrives before the command's own deadline.
    static func pageWait(_ deadline: Deadline) -> Double {
        let ms = milliseconds(deadline.remaining)
        return max(0, ms - min(250, ms / 4))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// Waits for the first element of `stream` that `predicate` accepts, until `deadline`.
    static func first<S: AsyncSequence & Sendable>(
        _ stream: S, until deadline: Deadline, timeoutMessage: @autoclosure () -> String,
        where predicate: @escaping @Sendable (S.Element) -> Bool
    ) async throws -> S.Element where S.Element: Sendable {
        let message = timeoutMessage()
        return try await withThrowingTaskGroup(of: S.Element?.self) { group in
            group.addTask {
                for try await element in stream where predicate(element) { return element }
                return nil
            }
            group.addTask {
                try await deadline.sleep()
                throw SessionError(.timeout, message)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let element = first else {
                throw SessionError(.targetClosed, "the tab closed while waiting")
            }
            return element
        }
    }

    /// Navigates and waits for `waitUntil` of the new document.
    static func go(_ tab: Tab, to url: String, waitUntil: SharedBrowserSession.LoadState,
                   deadline: Deadline) async throws {
        let lifecycle = tab.page.events(Page.LifecycleEvent.self)
        let stopped = tab.page.events(["Page.frameStoppedLoading"])
        let reply: Page.Navigate.Response
        do {
            reply = try await tab.page.send(Page.Navigate(url: url), timeout: deadline.remaining)
        } catch let error as CDPError where error.code == .timeout {
            throw SessionError(.timeout, "navigation to \(url) did not start within the timeout", url: url)
        }
        if let errorText = reply.errorText {
            // The browser still commits and loads its error page: those events belong to this
            // navigation, so wait (briefly) until the frame stops loading before failing.
            let mainFrame = tab.state.withLock { $0.mainFrameId }
            _ = try? await first(stopped, until: deadline.within(.seconds(2)), timeoutMessage: "") {
                $0.params["frameId"]?.stringValue == mainFrame
            }
            throw SessionError(.navigationFailed, "navigation to \(url) failed: \(errorText)", url: url)
        }
        guard let loader = reply.loaderId else { return }   // same-document navigation: done
        let name = waitUntil.rawValue
        _ = try await first(lifecycle, until: deadline,
                            timeoutMessage: "navigation to \(url) did not reach \(name) within the timeout") {
            $0.loaderId == loader && $0.name == name
        }
    }

    /// Waits for the tab's next main-frame document to load (or a same-document or back-forward
    /// cache navigation), after `action` started it.
    static func waitForLoad(_ tab: Tab, deadline: Deadline, what: String,
                            after action: @Sendable () async throws -> Void) async throws {
        let events = tab.page.events(["Page.loadEventFired", "Page.navigatedWithinDocument", "Page.frameNavigated"])
        try await action()
        let mainFrame = tab.state.withLock { $0.mainFrameId }
        _ = try await first(events, until: deadline, timeoutMessage: "\(what) did not finish loading within the timeout") { event in
            switch event.method {
            case "Page.loadEventFired":
                return true
            case "Page.navigatedWithinDocument":
                return (try? event.decode(Page.NavigatedWithinDocument.self))?.frameId == mainFrame
            default:
                guard let navigated = try? event.decode(Page.FrameNavigated.self) else { return false }
                return navigated.frame.parentId == nil && navigated.type == .backForwardCacheRestore
            }
        }
    }

    static let settleMethod = "SharedBrowser.settle"

    /// Runs an input action and, if it started a navigation of the tab's main frame (a link, a form
    /// submission, a script changing `location`), waits until that navigation loads.
    ///
    /// Whether a navigation started is known without guessing: after the action's last reply, a
    /// marker is sent through the tab's event stream, and every event before it has been seen when it
    /// arrives.
    static func settle(_ tab: Tab, deadline: Deadline, what: String,
                       after action: @Sendable () async throws -> Void) async throws {
        let events = tab.page.events(["Page.frameRequestedNavigation", "Page.frameStartedLoading",
                                      "Page.frameStoppedLoading", "Page.navigatedWithinDocument",
                                      "Page.loadEventFired", settleMethod])
        try await action()
        // One round trip through the page's task queue: a form submission or a `location` change the
        // input caused is queued as a task and has asked for its navigation by the time this returns.
        _ = try? await tab.page.send(Runtime.Evaluate(expression: "0"), timeout: deadline.remaining)
        let marker = Double(UInt32.random(in: 1...UInt32.max))
        tab.page.connection.injectEvent(method: settleMethod, params: ["id": .number(marker)], sessionId: tab.page.id)
        let mainFrame = tab.state.withLock { $0.mainFrameId }
        var navigating = false
        var sawMarker = false
        for await event in events {
            switch event.method {
            case settleMethod:
                if event.params["id"]?.doubleValue == marker { sawMarker = true }
            case "Page.frameRequestedNavigation":
                if let requested = try? event.decode(Page.FrameRequestedNavigation.self),
                   requested.frameId == mainFrame, requested.disposition == .currentTab { navigating = true }
            case "Page.frameStartedLoading":
                if event.params["frameId"]?.stringValue == mainFrame { navigating = true }
            case "Page.navigatedWithinDocument", "Page.loadEventFired":
                navigating = false
            case "Page.frameStoppedLoading":
                if event.params["frameId"]?.stringValue == mainFrame { navigating = false }
            default:
                break
            }
            if sawMarker { break }
        }
        guard navigating else { return }
        // Done at the load event, a same-document navigation, or when the frame stops loading without
        // a new document (the response was a download, or the navigation was cancelled).
        _ = try await first(events, until: deadline, timeoutMessage: "the navigation started by \(what) did not load within the timeout") {
            $0.method == "Page.loadEventFired" || $0.method == "Page.navigatedWithinDocument"
                || ($0.method == "Page.frameStoppedLoading" && $0.params["frameId"]?.stringValue == mainFrame)
        }
    }

    /// `*` matches within a path segment, `**` anything; a pattern without them must match exactly.
    static func matches(_ url: String, pattern: String) -> Bool {
        guard pattern.contains("*") else { return url == pattern }
        var regex = "^"
        var index = pattern.startIndex
        while index < pattern.endIndex {
            let char = pattern[index]
            if char == "*" {
                let next = pattern.index(after: index)
                if next < pattern.endIndex, pattern[next] == "*" {
                    regex += ".*"
                    index = pattern.index(after: next)
                    continue
                }
                regex += "[^/]*"
            } else {
                regex += NSRegularExpression.escapedPattern(for: String(char))
            }
            index = pattern.index(after: index)
        }
        regex += "$"
        return url.range(of: regex, options: .regularExpression) != nil
    }
}

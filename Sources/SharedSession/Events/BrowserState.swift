public import EventBuffer
public import Foundation

/// What the shared browser looks like now: the active tab's URL, title, loading state, history,
/// last navigation, last error, open dialog and pending requests.
///
/// A pure reduction over `BrowserEvent`s (``apply(_:)``), so it always matches the event stream and
/// can be rebuilt from any event log with ``init(sessionId:replaying:)``.
public struct BrowserState: Sendable, Hashable, Codable {
    /// The session the state is of.
    public var sessionId: String
    /// The tab the state describes (the active one).
    public var activeTab: String?
    /// The active tab's URL.
    public var url: String = "about:blank"
    /// The active tab's title.
    public var title: String = ""
    /// Whether the active tab is loading (between a main-frame navigation and its load event).
    public var loading = false
    /// Whether the active tab's history allows going back.
    public var canGoBack = false
    /// Whether the active tab's history allows going forward.
    public var canGoForward = false
    /// The time of the last event applied.
    public var timestamp: Date?
    /// Whether the last main-frame navigation succeeded (nil before the first).
    public var navigationSucceeded: Bool?
    /// The error of the last main-frame navigation, if it failed.
    public var navigationError: String?
    /// The URL the last main-frame navigation ended on (after redirects).
    public var finalURL: String?
    /// The last error seen: a console error, a page error, a failed action or navigation, a crash.
    public var lastError: String?
    /// The JavaScript dialog waiting for an answer, if any.
    public var openDialog: DialogInfo?
    /// Requests sent and not yet answered.
    public var pendingRequests = 0
    /// Console errors since the session started.
    public var consoleErrorCount = 0
    /// Who holds control of the whole browser (`agent:collector`, `human:alice`), from the `control`
    /// events; nil when nobody does.
    public var controlHolder: String?
    /// Who holds each tab (its lane), by tab id, from the `control` events; a tab nobody holds is absent.
    public var tabHolders: [String: String]?

    /// The state of a session before any event.
    public init(sessionId: String, activeTab: String? = nil) {
        self.sessionId = sessionId
        self.activeTab = activeTab
    }

    /// The state after replaying `events` from the start.
    public init(sessionId: String, replaying events: some Sequence<BrowserEvent>) {
        self.init(sessionId: sessionId)
        for event in events { apply(event) }
    }

    /// Who may act in `tab`: the holder of the whole browser, else the tab's.
    public func holder(of tab: String) -> String? { controlHolder ?? tabHolders?[tab] }

    /// Applies one event. Events of other tabs change only what is browser-wide (errors, crashes).
    public mutating func apply(_ event: BrowserEvent) {
        timestamp = event.timestamp
        if event.kind == .tabActivated {
            activeTab = event.target
            if case .page(let info) = event.payload {
                url = info.url ?? url
                title = info.title ?? title
            }
            openDialog = nil
            pendingRequests = 0
            return
        }
        if activeTab == nil, let target = event.target { activeTab = target }
        let onActiveTab = event.target == nil || event.target == activeTab
        switch (event.kind, event.payload) {
        case (.navigation, .navigation(let info)) where onActiveTab && info.isMainFrame:
            url = info.url
            finalURL = info.url
            navigationSucceeded = info.errorText == nil
            navigationError = info.errorText
            if let error = info.errorText {
                lastError = "navigation to \(info.url) failed: \(error)"
                loading = false
            } else {
                loading = true
            }
            if let back = info.canGoBack { canGoBack = back }
            if let forward = info.canGoForward { canGoForward = forward }
        case (.pageLoaded, _) where onActiveTab:
            loading = false
            if case .page(let info) = event.payload {
                if let title = info.title { self.title = title }
                if let back = info.canGoBack { canGoBack = back }
                if let forward = info.canGoForward { canGoForward = forward }
            }
        case (.titleChanged, .page(let info)) where onActiveTab:
            if let title = info.title { self.title = title }
        case (.console, .console(let info)) where info.isError:
            consoleErrorCount += 1
            lastError = info.text
        case (.pageError, .pageError(let info)):
            lastError = info.message
        case (.actionFailed, .action(let info)):
            lastError = "\(info.name) failed: \(info.error ?? "unknown error")"
        case (.dialogOpened, .dialog(let info)) where onActiveTab:
            openDialog = info
        case (.dialogClosed, _) where onActiveTab:
            openDialog = nil
        case (.request, _) where onActiveTab:
            pendingRequests += 1
        case (.response, _) where onActiveTab, (.requestFailed, _) where onActiveTab:
            pendingRequests = max(0, pendingRequests - 1)
        case (.control, .control(let info)):
            if let tab = info.tab {
                var holders = tabHolders ?? [:]
                holders[tab] = info.holder
                tabHolders = holders.isEmpty ? nil : holders
            } else {
                controlHolder = info.holder
            }
        case (.browserCrashed, _):
            lastError = "the browser crashed"
            loading = false
            pendingRequests = 0
        case (.disconnected, _):
            loading = false
            pendingRequests = 0
        case (.targetCrashed, _) where onActiveTab:
            lastError = "the tab crashed"
            loading = false
        default:
            break
        }
    }

    /// Whether `event` changes what a watcher of the state wants to know at once: navigations,
    /// loads, titles, errors and dialogs (not every request).
    public static func isNotable(_ event: BrowserEvent) -> Bool {
        switch event.kind {
        case .navigation, .pageLoaded, .titleChanged, .dialogOpened, .dialogClosed, .tabActivated,
             .browserCrashed, .targetCrashed, .browserRestarted, .disconnected, .reconnected:
            return true
        default:
            return event.isError
        }
    }
}

/// The design's browser context as other programs receive it, in snake_case JSON: the live view's
/// `browser_context` message and the MCP server's `browser_context` notifications carry exactly this.
public struct BrowserContextMessage: Codable, Sendable, Hashable {
    /// The session's id.
    public var session_id: String
    /// The active tab's URL.
    public var url: String
    /// The active tab's title.
    public var title: String
    /// Whether the active tab is loading.
    public var loading: Bool
    /// Whether the tab's history allows going back.
    public var can_go_back: Bool
    /// Whether the tab's history allows going forward.
    public var can_go_forward: Bool
    /// The time of the last event applied (ISO 8601 in JSON).
    public var timestamp: Date?
    /// Whether the last main-frame navigation succeeded (absent before the first).
    public var navigation_success: Bool?
    /// The error of the last main-frame navigation, if it failed.
    public var navigation_error: String?
    /// The URL the last main-frame navigation ended on (after redirects).
    public var final_url: String?
    /// The last error seen.
    public var last_error: String?

    /// The message of a state.
    public init(_ state: BrowserState) {
        session_id = state.sessionId
        url = state.url
        title = state.title
        loading = state.loading
        can_go_back = state.canGoBack
        can_go_forward = state.canGoForward
        timestamp = state.timestamp
        navigation_success = state.navigationSucceeded
        navigation_error = state.navigationError
        final_url = state.finalURL
        last_error = state.lastError
    }
}

public import Foundation

/// Who or what caused an event: an agent, a human, the library itself, or the page acting on its own.
public struct EventCause: Hashable, Sendable, Codable, CustomStringConvertible {
    /// What kind of participant (or not) caused the event.
    public enum Kind: String, Hashable, Sendable, Codable {
        case agent, human, system, page
    }

    /// What kind of participant caused the event.
    public var kind: Kind
    /// The agent's or human's id; empty for `system` and `page`.
    public var id: String

    /// A cause of `kind` with the participant's `id` (empty for `system` and `page`).
    public init(kind: Kind, id: String = "") {
        self.kind = kind
        self.id = id
    }

    /// The agent named `id`.
    public static func agent(_ id: String) -> EventCause { EventCause(kind: .agent, id: id) }
    /// The person named `id`.
    public static func human(_ id: String) -> EventCause { EventCause(kind: .human, id: id) }
    /// The library itself (recovery, sign-in, the session's own housekeeping).
    public static let system = EventCause(kind: .system)
    /// The page acting on its own (timers, scripts, redirects nobody asked for).
    public static let page = EventCause(kind: .page)

    /// `agent:collector`, `human:alice`, `system` or `page`.
    public var description: String { id.isEmpty ? kind.rawValue : "\(kind.rawValue):\(id)" }
}

/// One thing that happened in the shared browser, as every participant sees it.
///
/// Events are numbered by the ``EventHub`` that published them (``sequence`` grows by one per event),
/// stamped with the time, the tab they came from and the participant that caused them, and carry a
/// typed ``Payload``. They encode to JSON and can be sent across tasks.
public struct BrowserEvent: Hashable, Sendable, Codable, Identifiable {
    /// What kind of event this is. Callers may define their own kinds:
    /// `extension BrowserEvent.Kind { static let checkpoint: Self = "app.checkpoint" }`.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
        CustomStringConvertible {
        /// The kind's name, as it appears in JSON.
        public var rawValue: String
        /// The kind named `rawValue`.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The kind named by a string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// Decodes the kind from its name.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        /// Encodes the kind as its name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        /// The kind's name.
        public var description: String { rawValue }

        /// A frame navigated (main frame or iframe; see ``NavigationInfo/isMainFrame``).
        public static let navigation: Self = "navigation"
        /// The page's load event fired.
        public static let pageLoaded: Self = "pageLoaded"
        /// The main frame's title changed (``PageInfo/title``).
        public static let titleChanged: Self = "titleChanged"
        /// A console message (any level; errors count in ``EventBuffer/errors()``).
        public static let console: Self = "console"
        /// An uncaught exception or unhandled rejection in the page.
        public static let pageError: Self = "pageError"
        /// A JavaScript dialog opened (``DialogInfo``).
        public static let dialogOpened: Self = "dialogOpened"
        /// A JavaScript dialog was answered (``DialogInfo/accepted``).
        public static let dialogClosed: Self = "dialogClosed"
        /// A download began (``DownloadInfo``).
        public static let downloadStarted: Self = "downloadStarted"
        /// A download received more bytes.
        public static let downloadProgress: Self = "downloadProgress"
        /// A download completed or was canceled (``DownloadInfo/state``).
        public static let downloadFinished: Self = "downloadFinished"
        /// The page sent a request (``RequestInfo``, no bodies).
        public static let request: Self = "request"
        /// A response arrived (``RequestInfo/status``).
        public static let response: Self = "response"
        /// A request failed (``RequestInfo/errorText``).
        public static let requestFailed: Self = "requestFailed"
        /// A participant's action began (``ActionInfo``, what was typed masked).
        public static let actionStarted: Self = "actionStarted"
        /// A participant's action finished (``ActionInfo/durationMilliseconds``).
        public static let actionFinished: Self = "actionFinished"
        /// A participant's action failed (``ActionInfo/error``).
        public static let actionFailed: Self = "actionFailed"
        /// A change of who holds control (from the coordinator).
        public static let control: Self = "control"
        /// An error of the library or the browser that fits no other kind.
        public static let error: Self = "error"
        /// The browser process died (``RecoveryInfo/detail``).
        public static let browserCrashed: Self = "browserCrashed"
        /// The browser was launched again after it died (``RecoveryInfo`` gives the downtime).
        public static let browserRestarted: Self = "browserRestarted"
        /// The connection to the browser dropped or stalled while the browser lives.
        public static let disconnected: Self = "disconnected"
        /// The connection is back (``RecoveryInfo`` gives the downtime); the browser was not relaunched.
        public static let reconnected: Self = "reconnected"
        /// A tab (target) was created (``TargetInfo``).
        public static let targetCreated: Self = "targetCreated"
        /// A tab (target) was closed.
        public static let targetClosed: Self = "targetClosed"
        /// A tab's renderer crashed; navigate or reload it to recover.
        public static let targetCrashed: Self = "targetCrashed"
        /// Another tab became the active one.
        public static let tabActivated: Self = "tabActivated"
        /// Events were lost before they could be published (the page sent them faster than they could
        /// be read): ``MissedInfo`` says how many and from where. Nothing is dropped without one.
        public static let eventsMissed: Self = "eventsMissed"
        /// The site had signed the session out, and it signed in again (`SharedSession`'s
        /// `keepSignedIn(with:)`): `.message` says where it went.
        public static let signedInAgain: Self = "signedInAgain"
        /// A person opened DevTools on a tab (`LiveView`'s `devTools` option): from now until
        /// ``devToolsClosed`` they can do anything there, past turns and the session's settings, and
        /// what they do is not recorded as actions. `.message` says so.
        public static let devToolsOpened: Self = "devToolsOpened"
        /// The DevTools opened on a tab were closed.
        public static let devToolsClosed: Self = "devToolsClosed"
        /// What a person's input in the live view did, in words (`click button "Search"`); the payload's
        /// `person` has the words, the element and the raw input events it came from.
        public static let personAction: Self = "personAction"
        /// A message between people and agents (``BrowserEvent/Payload/message(_:)``: its text); the
        /// cause is who wrote it.
        public static let message: Self = "message"
        /// An agent's action waits for a person's approval (the payload's `approval`).
        public static let approvalRequested: Self = "approvalRequested"
        /// A person approved or denied the action, or nobody answered in time (the payload's `approval`).
        public static let approvalAnswered: Self = "approvalAnswered"
    }

    /// The event's details. `indirect`, so events are cheap to copy to many subscribers.
    public indirect enum Payload: Hashable, Sendable {
        case navigation(NavigationInfo)
        case page(PageInfo)
        case console(ConsoleInfo)
        case pageError(PageErrorInfo)
        case dialog(DialogInfo)
        case download(DownloadInfo)
        case request(RequestInfo)
        case action(ActionInfo)
        case control(ControlInfo)
        case target(TargetInfo)
        case message(String)
        case missed(MissedInfo)
        case recovery(RecoveryInfo)
        /// A person's action in words.
        case person(PersonActionInfo)
        /// An approval asked for or answered.
        case approval(ApprovalInfo)
        /// Caller-defined fields, for caller-defined kinds.
        case custom([String: String])
        case none
    }

    /// The number the hub gave this event: 1 for the first, one more for each next.
    public var sequence: UInt64
    /// When the event happened (the library's clock when it was published).
    public var timestamp: Date
    /// What kind of event this is.
    public var kind: Kind
    /// Who or what caused it.
    public var cause: EventCause
    /// The tab (CDP target id) the event came from; nil for browser-wide events.
    public var target: String?
    /// The event's details.
    public var payload: Payload

    /// The sequence number, as the event's identity.
    public var id: UInt64 { sequence }

    /// An event; the hub replaces ``sequence`` and ``timestamp`` when it publishes it.
    public init(sequence: UInt64 = 0, timestamp: Date = Date(), kind: Kind, cause: EventCause,
                target: String? = nil, payload: Payload = .none) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.kind = kind
        self.cause = cause
        self.target = target
        self.payload = payload
    }
}

// MARK: JSON (wire format version 2; version 1 still read)

extension BrowserEvent {
    private enum CodingKeys: String, CodingKey {
        case version, sequence, timestamp, kind, cause, target
        case navigation, page, console, pageError, dialog, download, request, action, control, tab, message,
             missed, recovery, custom, person, approval
        /// Version 1: Swift's own coding of ``Payload``.
        case payload
    }

    /// Encodes the event in the published form (``WireFormat``): named fields, its details under one
    /// key named after what they are, the time in ISO 8601.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(WireFormat.version, forKey: .version)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(WireFormat.formatTime(timestamp), forKey: .timestamp)
        try c.encode(kind, forKey: .kind)
        try c.encode(cause, forKey: .cause)
        try c.encodeIfPresent(target, forKey: .target)
        switch payload {
        case .navigation(let value): try c.encode(value, forKey: .navigation)
        case .page(let value): try c.encode(value, forKey: .page)
        case .console(let value): try c.encode(value, forKey: .console)
        case .pageError(let value): try c.encode(value, forKey: .pageError)
        case .dialog(let value): try c.encode(value, forKey: .dialog)
        case .download(let value): try c.encode(value, forKey: .download)
        case .request(let value): try c.encode(value, forKey: .request)
        case .action(let value): try c.encode(value, forKey: .action)
        case .control(let value): try c.encode(value, forKey: .control)
        case .target(let value): try c.encode(value, forKey: .tab)
        case .message(let value): try c.encode(value, forKey: .message)
        case .missed(let value): try c.encode(value, forKey: .missed)
        case .recovery(let value): try c.encode(value, forKey: .recovery)
        case .custom(let value): try c.encode(value, forKey: .custom)
        case .person(let value): try c.encode(value, forKey: .person)
        case .approval(let value): try c.encode(value, forKey: .approval)
        case .none: break
        }
    }

    /// Decodes an event of version 2, or of version 1 (no `version`, Swift's coding of the details).
    /// - Throws: `DecodingError` for a version newer than ``WireFormat/version`` or a malformed event.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        try WireFormat.check(version, codingPath: c.codingPath)
        sequence = try c.decode(UInt64.self, forKey: .sequence)
        timestamp = try WireFormat.decodeTime(c, forKey: .timestamp)
        kind = try c.decode(Kind.self, forKey: .kind)
        cause = try c.decode(EventCause.self, forKey: .cause)
        target = try c.decodeIfPresent(String.self, forKey: .target)
        if version == 1 {
            payload = try c.decodeIfPresent(LegacyPayload.self, forKey: .payload)?.payload ?? .none
            return
        }
        func details<T: Decodable>(_ key: CodingKeys, _ make: (T) -> Payload) throws -> Payload? {
            try c.decodeIfPresent(T.self, forKey: key).map(make)
        }
        let found: [Payload] = try [
            details(.navigation, Payload.navigation), details(.page, Payload.page), details(.console, Payload.console),
            details(.pageError, Payload.pageError), details(.dialog, Payload.dialog), details(.download, Payload.download),
            details(.request, Payload.request), details(.action, Payload.action), details(.control, Payload.control),
            details(.tab, Payload.target), details(.message, Payload.message), details(.missed, Payload.missed),
            details(.recovery, Payload.recovery), details(.custom, Payload.custom),
            details(.person, Payload.person), details(.approval, Payload.approval),
        ].compactMap { $0 }
        guard found.count <= 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "an event has at most one of its details' keys"))
        }
        payload = found.first ?? .none
    }

    /// Version 1's details: Swift's synthesized coding (`{"page":{"_0":{…}}}`).
    private enum LegacyPayload: Decodable {
        case navigation(NavigationInfo), page(PageInfo), console(ConsoleInfo), pageError(PageErrorInfo)
        case dialog(DialogInfo), download(DownloadInfo), request(RequestInfo), action(ActionInfo)
        case control(ControlInfo), target(TargetInfo), message(String), missed(MissedInfo)
        case recovery(RecoveryInfo), custom([String: String]), none

        var payload: Payload {
            switch self {
            case .navigation(let value): .navigation(value)
            case .page(let value): .page(value)
            case .console(let value): .console(value)
            case .pageError(let value): .pageError(value)
            case .dialog(let value): .dialog(value)
            case .download(let value): .download(value)
            case .request(let value): .request(value)
            case .action(let value): .action(value)
            case .control(let value): .control(value)
            case .target(let value): .target(value)
            case .message(let value): .message(value)
            case .missed(let value): .missed(value)
            case .recovery(let value): .recovery(value)
            case .custom(let value): .custom(value)
            case .none: .none
            }
        }
    }
}

/// A frame navigated.
public struct NavigationInfo: Hashable, Sendable, Codable {
    /// The URL the frame navigated to.
    public var url: String
    /// Whether it was the tab's main frame (not an iframe).
    public var isMainFrame: Bool
    /// Set when the navigation failed (`net::ERR_NAME_NOT_RESOLVED`, ...).
    public var errorText: String?
    /// Whether the tab's history allows going back / forward after this navigation, when known.
    public var canGoBack: Bool?
    /// Whether the tab's history allows going forward after this navigation, when known.
    public var canGoForward: Bool?
    /// A navigation of `url`.
    public init(url: String, isMainFrame: Bool = true, errorText: String? = nil,
                canGoBack: Bool? = nil, canGoForward: Bool? = nil) {
        self.url = url
        self.isMainFrame = isMainFrame
        self.errorText = errorText
        self.canGoBack = canGoBack
        self.canGoForward = canGoForward
    }
}

/// A page-level change: loaded, or a new title.
public struct PageInfo: Hashable, Sendable, Codable {
    /// The page's URL.
    public var url: String?
    /// The page's title.
    public var title: String?
    /// For `pageLoaded`: whether the tab's history allows going back / forward.
    public var canGoBack: Bool?
    /// For `pageLoaded`: whether the tab's history allows going forward.
    public var canGoForward: Bool?
    /// A page change with what is known of it.
    public init(url: String? = nil, title: String? = nil, canGoBack: Bool? = nil, canGoForward: Bool? = nil) {
        self.url = url
        self.title = title
        self.canGoBack = canGoBack
        self.canGoForward = canGoForward
    }
}

/// A console message.
public struct ConsoleInfo: Hashable, Sendable, Codable {
    /// `log`, `info`, `warning`, `error`, `debug`, ...
    public var level: String
    /// The message as the console printed it.
    public var text: String
    /// `url:line:column` of the call, when known.
    public var location: String?
    /// A console message of `level`.
    public init(level: String, text: String, location: String? = nil) {
        self.level = level
        self.text = text
        self.location = location
    }
    /// Whether the message is an error (`error` or `assert`).
    public var isError: Bool { level == "error" || level == "assert" }
}

/// An uncaught exception in the page.
public struct PageErrorInfo: Hashable, Sendable, Codable {
    /// The exception's message.
    public var message: String
    /// The exception's stack, when the page gave one.
    public var stack: String?
    /// An uncaught exception with its message and stack.
    public init(message: String, stack: String? = nil) {
        self.message = message
        self.stack = stack
    }
}

/// A JavaScript dialog (alert, confirm, prompt, beforeunload).
public struct DialogInfo: Hashable, Sendable, Codable {
    /// `alert`, `confirm`, `prompt` or `beforeunload`.
    public var type: String
    /// The text the dialog shows.
    public var message: String
    /// For `dialogClosed`: whether it was accepted.
    public var accepted: Bool?
    /// A dialog of `type` showing `message`.
    public init(type: String, message: String, accepted: Bool? = nil) {
        self.type = type
        self.message = message
        self.accepted = accepted
    }
}

/// A download.
public struct DownloadInfo: Hashable, Sendable, Codable {
    /// The browser's id of the download.
    public var id: String
    /// Where it is downloaded from.
    public var url: String?
    /// The file it is saved to.
    public var path: String?
    /// Bytes received so far.
    public var receivedBytes: Int?
    /// The size, when the server said it.
    public var totalBytes: Int?
    /// `inProgress`, `completed` or `canceled`.
    public var state: String?
    /// A download with what is known of it.
    public init(id: String, url: String? = nil, path: String? = nil, receivedBytes: Int? = nil,
                totalBytes: Int? = nil, state: String? = nil) {
        self.id = id
        self.url = url
        self.path = path
        self.receivedBytes = receivedBytes
        self.totalBytes = totalBytes
        self.state = state
    }
}

/// A network request, its response, or its failure (no bodies).
public struct RequestInfo: Hashable, Sendable, Codable {
    /// The browser's id of the request (a response and a failure carry the request's).
    public var id: String
    /// The request's URL (secrets in its query masked).
    public var url: String
    /// `GET`, `POST`, ...
    public var method: String?
    /// `Document`, `Script`, `Image`, `XHR`, `Fetch`, ...
    public var resourceType: String?
    /// For `response`: the HTTP status.
    public var status: Int?
    /// For `requestFailed`: why (`net::ERR_CONNECTION_REFUSED`, ...).
    public var errorText: String?
    /// A request, response or failure.
    public init(id: String, url: String, method: String? = nil, resourceType: String? = nil,
                status: Int? = nil, errorText: String? = nil) {
        self.id = id
        self.url = url
        self.method = method
        self.resourceType = resourceType
        self.status = status
        self.errorText = errorText
    }
}

/// An action a participant asked for.
public struct ActionInfo: Hashable, Sendable, Codable {
    /// `click`, `navigate`, `fill`, ...
    public var name: String
    /// The selector, ref or URL acted on.
    public var target: String?
    /// For `actionFailed`: the error.
    public var error: String?
    /// For finished and failed actions: how long it took, in milliseconds.
    public var durationMilliseconds: Double?
    /// The action itself, as data (what was typed into a secret field masked).
    public var action: BrowserAction?
    /// For actions on an element: the element in words, with the snapshot's role and name
    /// (`button "Search"`), as it was when the action reached it. Read while a person watches the
    /// live view or approval rules are on (nil otherwise).
    public var element: String?
    /// Where the action pointed, in CSS pixels of the viewport (a click's point).
    public var point: ViewportPoint?
    /// The element's box then, in CSS pixels of the viewport.
    public var box: ElementBox?
    /// An action's record; `action` is already redacted.
    public init(name: String, target: String? = nil, error: String? = nil, durationMilliseconds: Double? = nil,
                action: BrowserAction? = nil, element: String? = nil, point: ViewportPoint? = nil, box: ElementBox? = nil) {
        self.name = name
        self.target = target
        self.error = error
        self.durationMilliseconds = durationMilliseconds
        self.action = action
        self.element = element
        self.point = point
        self.box = box
    }
}

/// A point in CSS pixels of the viewport.
public struct ViewportPoint: Hashable, Sendable, Codable {
    /// From the viewport's left edge.
    public var x: Double
    /// From the viewport's top edge.
    public var y: Double
    /// The point (`x`, `y`).
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// An element's box in CSS pixels of the viewport.
public struct ElementBox: Hashable, Sendable, Codable {
    /// Its left edge.
    public var x: Double
    /// Its top edge.
    public var y: Double
    /// Its width.
    public var width: Double
    /// Its height.
    public var height: Double
    /// A box at (`x`, `y`) of `width` by `height`.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// What a person's input did, in words: the raw input (mouse, keys, wheel) resolved to the element it
/// reached, with the snapshot's roles and names.
public struct PersonActionInfo: Hashable, Sendable, Codable {
    /// The sentence: `click button "Search"`, `typed "Alpha" into textbox "Search"`,
    /// `pressed Enter in textbox "Search" (submitted the search form)`, `went to https://…`,
    /// `scrolled down`, `switched to tab "…"`. What was typed into a secret field is masked.
    public var words: String
    /// `click`, `doubleClick`, `rightClick`, `type`, `press`, `scroll`, `navigate`, `back`, `forward`,
    /// `reload`, `switchTab`.
    public var verb: String
    /// The element, in words (`button "Search"`), for input that reached one.
    public var element: String?
    /// What was typed (masked for a secret field).
    public var text: String?
    /// The key pressed, for `press`.
    public var key: String?
    /// Where the person went, for `navigate`.
    public var url: String?
    /// Where the click was, in CSS pixels of the viewport.
    public var point: ViewportPoint?
    /// The element's box then.
    public var box: ElementBox?
    /// For `press` and `click`: whether a form was submitted.
    public var submitted: Bool?
    /// The sequence numbers of the first and last raw input events (`actionFinished` of `mouse`,
    /// `key`, `wheel`, `insertText`) this was resolved from; nil for actions that were not raw input.
    public var firstInput: UInt64?
    /// See ``firstInput``.
    public var lastInput: UInt64?
    /// A person's action in words.
    public init(words: String, verb: String, element: String? = nil, text: String? = nil, key: String? = nil,
                url: String? = nil, point: ViewportPoint? = nil, box: ElementBox? = nil, submitted: Bool? = nil,
                firstInput: UInt64? = nil, lastInput: UInt64? = nil) {
        self.words = words
        self.verb = verb
        self.element = element
        self.text = text
        self.key = key
        self.url = url
        self.point = point
        self.box = box
        self.submitted = submitted
        self.firstInput = firstInput
        self.lastInput = lastInput
    }
}

/// An agent's action that waits for a person's approval, and the answer.
public struct ApprovalInfo: Hashable, Sendable, Codable {
    /// The approval's id, to answer it.
    public var id: String
    /// Who asks (`agent:writer`).
    public var agent: String
    /// The action in words (`click button "Create" (submits the form "Project")`).
    public var words: String
    /// The policy rule that asked for it (`submit`, `navigate:example.com`, `click:Delete*`).
    public var rule: String
    /// The action, as data (redacted).
    public var action: BrowserAction?
    /// The element's box, to outline it on the screen.
    public var box: ElementBox?
    /// For `approvalAnswered`: `approved`, `denied`, `timedOut`, or `cancelled` (the browser or the
    /// session went while it waited; ``reason`` says which).
    public var decision: String?
    /// Who answered (`human:alice`).
    public var decidedBy: String?
    /// The reason a person gave.
    public var reason: String?
    /// An approval's record.
    public init(id: String, agent: String, words: String, rule: String, action: BrowserAction? = nil, box: ElementBox? = nil,
                decision: String? = nil, decidedBy: String? = nil, reason: String? = nil) {
        self.id = id
        self.agent = agent
        self.words = words
        self.rule = rule
        self.action = action
        self.box = box
        self.decision = decision
        self.decidedBy = decidedBy
        self.reason = reason
    }
}

/// A change of control, as the coordinator reported it.
public struct ControlInfo: Hashable, Sendable, Codable {
    /// `requested`, `granted`, `released`, `expired`, `takenOver`, `handedBack`, `timedOut`, ...
    public var change: String
    /// Who holds control after the change (`agent:x`, `human:y`), if anyone.
    public var holder: String?
    /// Who held it before, if anyone.
    public var previousHolder: String?
    /// The tab whose control changed (its lane); nil for the whole browser.
    public var tab: String?
    /// A control change reported by the coordinator, of `tab` (nil: the whole browser).
    public init(change: String, holder: String? = nil, previousHolder: String? = nil, tab: String? = nil) {
        self.change = change
        self.holder = holder
        self.previousHolder = previousHolder
        self.tab = tab
    }
}

/// A tab (target) that was created, closed or crashed.
public struct TargetInfo: Hashable, Sendable, Codable {
    /// The tab's target id.
    public var id: String
    /// The tab's URL, when known.
    public var url: String?
    /// The target's type (`page`, ...).
    public var type: String?
    /// For a tab the page opened (`window.open`, `target=_blank`): the tab that opened it.
    public var openerId: String?
    /// A tab that was created, closed or crashed.
    public init(id: String, url: String? = nil, type: String? = nil, openerId: String? = nil) {
        self.id = id
        self.url = url
        self.type = type
        self.openerId = openerId
    }
}

/// A crash, a drop, or the recovery from one.
public struct RecoveryInfo: Hashable, Sendable, Codable {
    /// What happened, in words (never the browser's DevTools URL).
    public var detail: String
    /// For `browserRestarted` and `reconnected`: how long the browser could not be used.
    public var downtimeMilliseconds: Int?
    /// For `browserRestarted`: the tabs reopened at their URLs.
    public var restoredTabs: Int?
    /// A recovery record.
    public init(detail: String, downtimeMilliseconds: Int? = nil, restoredTabs: Int? = nil) {
        self.detail = detail
        self.downtimeMilliseconds = downtimeMilliseconds
        self.restoredTabs = restoredTabs
    }
}

/// How many events were lost, and where.
public struct MissedInfo: Hashable, Sendable, Codable {
    /// How many events were lost.
    public var count: Int
    /// `tab` (console, network and page events of one tab) or `browser` (tabs opened and closed,
    /// downloads).
    public var source: String
    /// A count of lost events and where they were lost.
    public init(count: Int, source: String) {
        self.count = count
        self.source = source
    }
}

extension BrowserEvent {
    /// True for what an agent must notice first: console errors, page errors, failed requests, failed
    /// actions, crashes and library errors.
    public var isError: Bool {
        switch kind {
        case .pageError, .requestFailed, .actionFailed, .error, .browserCrashed, .targetCrashed:
            return true
        case .console:
            if case .console(let info) = payload { return info.isError }
            return false
        case .navigation:
            if case .navigation(let info) = payload { return info.errorText != nil }
            return false
        default:
            return false
        }
    }

    /// One line, for logs and prompts: `navigation agent:collector https://example.com/`.
    public var summary: String {
        var parts = [kind.rawValue, cause.description]
        switch payload {
        case .navigation(let n):
            parts.append(n.url)
            if !n.isMainFrame { parts.append("(iframe)") }
            if let error = n.errorText { parts.append(error) }
        case .page(let p):
            if let title = p.title { parts.append("\"\(title)\"") }
            if let url = p.url { parts.append(url) }
        case .console(let c):
            parts[0] = "console.\(c.level)"
            parts.append(c.text)
            if let location = c.location { parts.append("(\(location))") }
        case .pageError(let e):
            parts.append(e.message)
        case .dialog(let d):
            parts.append("\(d.type): \(d.message)")
            if let accepted = d.accepted { parts.append(accepted ? "accepted" : "dismissed") }
        case .download(let d):
            if let url = d.url { parts.append(url) }
            if let path = d.path { parts.append("-> \(path)") }
            if let state = d.state { parts.append(state) }
            if let received = d.receivedBytes {
                parts.append(d.totalBytes.map { "\(received)/\($0) bytes" } ?? "\(received) bytes")
            }
        case .request(let r):
            if let method = r.method { parts.append(method) }
            parts.append(r.url)
            if let status = r.status { parts.append(String(status)) }
            if let error = r.errorText { parts.append(error) }
        case .action(let a):
            parts.append(a.name)
            if let target = a.target { parts.append(target) }
            if let error = a.error { parts.append("failed: \(error)") }
        case .control(let c):
            parts.append(c.change)
            if let holder = c.holder { parts.append("holder=\(holder)") }
        case .target(let t):
            if let type = t.type { parts.append(type) }
            parts.append(t.url.flatMap { $0.isEmpty ? nil : $0 } ?? t.id)
            if let opener = t.openerId { parts.append("opened by \(opener)") }
        case .message(let text):
            parts.append(text)
        case .missed(let m):
            parts.append("\(m.count) \(m.source) events dropped")
        case .recovery(let r):
            parts.append(r.detail)
            if let ms = r.downtimeMilliseconds { parts.append("after \(ms) ms") }
        case .custom(let fields):
            parts.append(fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        case .person(let p):
            parts = [cause.description, p.words]
        case .approval(let a):
            parts.append(a.words)
            if let decision = a.decision { parts.append(decision + (a.reason.map { ": \($0)" } ?? "")) }
        case .none:
            break
        }
        return parts.joined(separator: " ")
    }
}

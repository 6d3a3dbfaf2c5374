public import CDPTransport
public import Coordination
import EventBuffer
import ContentExtraction
import Foundation
public import Logging
import SharedBrowserSupport

extension SharedBrowserSession {
    /// What to do with JavaScript dialogs (`alert`, `confirm`, `prompt`, `beforeunload`).
    public enum DialogPolicy: Sendable, Hashable {
        /// The default. While a human holds control, a dialog stays open for that person to answer
        /// (as ``leaveOpen``); otherwise it is answered at once as Playwright does without a
        /// handler: `alert` acknowledged, `confirm` and `prompt` dismissed, `beforeunload` accepted
        /// (leaving the page). Either way the `dialogOpened` and `dialogClosed` events and the
        /// action's ``ActionResult/dialog`` report it.
        case automatic
        /// Report them and leave them for a person (or ``SharedBrowserSession/handleDialog(accept:promptText:as:options:)``).
        /// Other actions in that tab fail with ``SessionError/Code/dialogOpen`` meanwhile.
        case leaveOpen
        /// Dismiss them after the delay.
        case dismiss(after: Duration)
        /// Accept them after the delay.
        case accept(after: Duration)

        /// Whether a dialog opening now stays open for a while (so an action it interrupts returns
        /// at once) rather than being answered straight away.
        func staysOpen(humanInControl: Bool) -> Bool {
            if case .automatic = self { return humanInControl }
            return true
        }
    }

    /// How far a navigation must get before it counts as done.
    public enum LoadState: String, Sendable {
        case load = "load"
        case domContentLoaded = "DOMContentLoaded"
        /// No network connections for 500 ms.
        case networkIdle = "networkIdle"
    }

    /// A page's viewport in CSS pixels.
    public struct Viewport: Sendable, Hashable {
        /// The width in CSS pixels.
        public var width: Int
        /// The height in CSS pixels.
        public var height: Int
        /// A viewport of `width` by `height` CSS pixels.
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
    }

    /// Settings of a session.
    public struct Options: Sendable {
        /// Names the session and its persistent profile: 1 to 64 ASCII letters, digits, `.`, `_` or `-`,
        /// starting with a letter or digit (`start` and `attach` refuse anything else with
        /// ``SessionError/Code/invalidSessionID``, so an id never names a folder outside its own).
        public var id: String
        /// Keep cookies, storage and history in a profile directory between runs (the default).
        public var persistentProfile = true
        /// The profile directory; nil uses `$XDG_DATA_HOME/shared-browser/sessions/<id>`
        /// (`~/.local/share/...` without `XDG_DATA_HOME`), created with mode 0700.
        public var profileDirectory: String?
        /// Run the browser without a window (the default).
        public var headless = true
        /// Check that a participant holds control before each of its actions (the default).
        public var coordination = true
        /// The coordinator's lease and queue settings.
        public var coordinatorConfiguration = AgentCoordinator.Configuration()
        /// How long an action may wait for its element or its navigation. Default 30 s.
        public var actionTimeout: Duration = .seconds(30)
        /// What to do with JavaScript dialogs (``DialogPolicy/automatic`` by default).
        public var dialogPolicy: DialogPolicy = .automatic
        /// Where downloads go; nil uses `<profile>/Downloads`, or without a profile a private temporary
        /// folder that is removed when the session closes (or its host dies).
        public var downloadsDirectory: String?
        /// URL schemes `navigate` accepts. `file`, `chrome`, `javascript` and `view-source` are
        /// refused unless added here.
        public var allowedURLSchemes: Set<String> = ["http", "https", "about", "data"]
        /// What to do when the browser dies or its connection drops: relaunch (the default), reconnect
        /// only, or nothing.
        public var recovery: RecoveryPolicy = .relaunch
        /// How many recent events the session's hub keeps.
        public var eventCapacity = EventBuffer.defaultCapacity
        /// Launch settings (executable, switches, window size, timeouts).
        public var launch = CDPBrowser.LaunchOptions()
        /// The viewport of every tab, 1280x720 by default as in Playwright (headless Chromium's
        /// 1280x720 window alone leaves a smaller page area). Nil lets the page follow the window.
        public var viewport: Viewport? = Viewport(width: 1280, height: 720)
        /// Where the session logs (nothing by default).
        public var logger = Logger(label: "SharedSession", factory: { _ in SwiftLogNoOpLogHandler() })
        /// Called when an agent asks for a person's help (``SharedBrowserSession/requestHumanHelp(reason:by:timeout:)``):
        /// the host notifies someone, with the live view's link.
        public var onHelpRequested: (@Sendable (HelpRequest) async -> Void)?
        /// Actions an agent may take only after a person approves them in the live view (or through
        /// ``SharedBrowserSession/answerApproval(_:approve:reason:by:)``): form submissions,
        /// navigations to a host, clicks on elements by name. Empty (the default): no approvals.
        public var approvals: [ApprovalRule] = []
        /// The session's clock: it drives every deadline and interval — actions' and reads' deadlines,
        /// control leases, dialog answer delays, the keep-alive interval, reconnect backoff, the
        /// recorder's intervals and the screencast's fallback captures — and the times events are
        /// stamped with (the session's start plus what the clock says has passed). Inject a manual
        /// clock in tests: a wait for a deadline then ends when the test moves the clock past it.
        /// Each command to the browser is bounded in real time by what is left of its deadline.
        public var clock: any Clock<Duration> = ContinuousClock()
        /// Record the session's timeline (every event, screenshots around actions and while the page
        /// changes) to a folder as it happens; nil (the default) records nothing. Read it with the
        /// `Timeline` library.
        public var recording: RecordingOptions?

        /// Options for the session `id`, with the defaults.
        public init(id: String = "default") {
            self.id = id
        }
    }

    /// Per-action settings.
    public struct ActionOptions: Sendable {
        /// Overrides ``Options/actionTimeout``.
        public var timeout: Duration?
        /// When the participant does not hold control: wait up to this long for it (and keep it
        /// afterwards) instead of failing with ``SessionError/Code/notInControl``.
        public var waitForControl: Duration?
        /// Whether navigations and clicks read the page afterwards for ``ActionResult/page`` (one
        /// more round trip and an HTML extraction). Default true.
        public var pageSummary: Bool
        /// For raw input (`mouse`, `wheel`, `key`, `insertText`): when set, the input is sent without
        /// waiting for the browser's replies, so the next input goes out at once (the live view sends a
        /// person's input this way: moves never hold up a click), and a reply that reports a failure
        /// comes to this closure instead of failing the action. Default nil: the action waits.
        public var onLateInputFailure: (@Sendable (SessionError) -> Void)?
        /// The tab an action on a page acts in (an id from ``SharedBrowserSession/tabs()``), when the
        /// action names none itself. Default nil: the participant's own tab
        /// (``SharedBrowserSession/openTab(for:url:purpose:options:)``), else the active one.
        public var tab: String?
        /// Per-action settings; the defaults take the session's timeout, fail at once outside the participant's turn,
        /// summarize the page and act in the participant's own tab, else the active one.
        public init(timeout: Duration? = nil, waitForControl: Duration? = nil, pageSummary: Bool = true,
                    onLateInputFailure: (@Sendable (SessionError) -> Void)? = nil, tab: String? = nil) {
            self.timeout = timeout
            self.waitForControl = waitForControl
            self.pageSummary = pageSummary
            self.onLateInputFailure = onLateInputFailure
            self.tab = tab
        }
    }
}

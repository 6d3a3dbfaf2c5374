public import CDPTransport
public import Coordination
public import EventBuffer
import ContentExtraction
import Foundation
public import Logging
import SharedBrowserSupport

/// One long-lived browser that several agents and people share: every action is a ``BrowserAction``
/// run by one executor, in the queue of its tab, tagged with the participant that asked; every event
/// lands in one numbered stream; the state is always at hand; a crashed browser or a dropped
/// connection is recovered (``RecoveryPolicy``).
///
/// ```swift
/// let session = try await SharedBrowserSession.start(.init(id: "shop"))
/// let collector = Participant.agent("collector")
/// try await session.coordinator.withTurn(for: collector) {
///     try await session.navigate(to: "https://shop.example/login", as: collector).get()
///     try await session.fill("#username", "demo", as: collector).get()
/// }
/// await session.close()
/// ```
public actor SharedBrowserSession {
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
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
    }

    /// Settings of a session.
    public struct Options: Sendable {
        /// Names the session and its persistent profile.
        public var id: String
        /// Keep cookies, storage and history in a profile directory between runs (the default).
        public var persistentProfile = true
        /// The profile directory; nil uses `$XDG_DATA_HOME/shared-browser/sessions/<id>`
        /// (`~/.local/share/...` without `XDG_DATA_HOME`), created with mode 0700.
        public var profileDirectory: String?
        public var headless = true
        /// Check that a participant holds control before each of its actions (the default).
        public var coordination = true
        public var coordinatorConfiguration = AgentCoordinator.Configuration()
        /// How long an action may wait for its element or its navigation. Default 30 s.
        public var actionTimeout: Duration = .seconds(30)
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
        public var logger = Logger(label: "SharedSession", factory: { _ in SwiftLogNoOpLogHandler() })
        /// Called when an agent asks for a person's help (``SharedBrowserSession/requestHumanHelp(reason:by:timeout:)``):
        /// the host notifies someone, with the live view's link.
        public var onHelpRequested: (@Sendable (HelpRequest) async -> Void)?
        /// The clock of the session's timers: control leases, dialog answer delays, the keep-alive
        /// interval and reconnect backoff (inject a manual clock in tests). Action deadlines follow
        /// the continuous clock, as the browser's own timeouts do.
        public var clock: any Clock<Duration> = ContinuousClock()
        /// Record the session's timeline (every event, screenshots around actions and while the page
        /// changes) to a folder as it happens; nil (the default) records nothing. Read it with the
        /// `Timeline` library.
        public var recording: RecordingOptions?

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
        public init(timeout: Duration? = nil, waitForControl: Duration? = nil, pageSummary: Bool = true,
                    onLateInputFailure: (@Sendable (SessionError) -> Void)? = nil) {
            self.timeout = timeout
            self.waitForControl = waitForControl
            self.pageSummary = pageSummary
            self.onLateInputFailure = onLateInputFailure
        }
    }

    /// The session's id.
    public nonisolated let id: String
    /// Every event of the session, numbered and attributed.
    public nonisolated let events: EventHub
    /// Who may act.
    public nonisolated let coordinator: AgentCoordinator
    /// The persistent profile directory, if any.
    public nonisolated let profileDirectory: String?
    /// The downloads directory.
    public nonisolated let downloadsDirectory: String
    /// The browser now (a relaunch or reconnect replaces it).
    nonisolated var browser: CDPBrowser { browserBox.withLock { $0 } }
    nonisolated let browserBox: LockedValue<CDPBrowser>
    nonisolated let sink: EventSink
    /// The one screencast of the active tab, for everyone who watches the screen.
    nonisolated let screencast = Screencast()
    /// Writes the timeline, when ``Options/recording`` asks for one.
    nonisolated let recorder: TimelineRecorder?
    let options: Options
    /// Runs page-less actions (tabs, the browser) one at a time; each tab has its own queue.
    private let browserQueue = ActionQueue()
    let lock: ProfileLock?
    /// How the browser was launched (nil when attached): a relaunch uses the same.
    let launchOptions: CDPBrowser.LaunchOptions?
    var lifecycle: Lifecycle
    /// The recovery under way, which actions wait for.
    var recovery: Task<Void, Never>?
    /// The browser's cookies as last read, restored after a relaunch (Chromium writes them lazily).
    var savedCookies: [Network.Cookie] = []
    /// The sign-in kept up by ``keepSignedIn(with:)``.
    var authStrategy: (any AuthStrategy)?
    /// True while a bounced action signs in again (its own actions do not start another).
    var signingInAgain = false
    /// A sign-in after a page sent itself to the login, which actions wait for.
    var signInTask: Task<Void, Never>?
    /// Watches for pages that send themselves to the login while no action runs.
    var bounceWatcher: Task<Void, Never>?
    /// Actions running now (``run(_:options:)``).
    var actionsInProgress = 0
    /// The tabs (URLs, the active one) before the last burst of tabs closing, and when it began: a
    /// browser that shuts down closes its tabs a moment before its connection goes, and a restart
    /// behind the endpoint reopens them.
    var tabsBeforeCloses: (urls: [String], active: Int, at: ContinuousClock.Instant)?
    /// Said once to a participant in its next result.
    var noticesForNextResult: [Participant: [String]] = [:]
    /// What agents are told once after a recovery, and who has been told in a result / a context.
    var recoveryNotice: String?
    var toldInResult: Set<Participant> = []
    var toldInContext: Set<Participant> = []
    var monitor: Task<Void, Never>?
    /// While a person drives: where things stood when they took over, and what they did.
    var awayMark: AwayMark?
    /// The latest hand-back brief, and the ones not yet given to the agent control went back to.
    var lastBrief: HandBackBrief?
    var briefForResult: [Participant: String] = [:]
    var briefForContext: [Participant: String] = [:]
    var tabList: [Tab] = []
    var active: Tab
    var browserPump: Task<Void, Never>?
    private var controlPump: Task<Void, Never>?
    private var flushCounter = 0
    private let browserFlush = FlushGate()

    private init(options: Options, browser: CDPBrowser, lock: ProfileLock?, profile: String?, downloads: String,
                 sink: EventSink, first: Tab, launch: CDPBrowser.LaunchOptions?, recorder: TimelineRecorder?) {
        id = options.id
        self.recorder = recorder
        self.options = options
        browserBox = LockedValue(browser)
        self.lock = lock
        launchOptions = launch
        lifecycle = Lifecycle(launched: launch != nil, policy: options.recovery)
        profileDirectory = profile
        downloadsDirectory = downloads
        self.sink = sink
        events = sink.hub
        coordinator = AgentCoordinator(configuration: options.coordinatorConfiguration, clock: options.clock)
        tabList = [first]
        active = first
    }

    /// The default profile directory of a session id.
    public static func defaultProfileDirectory(for id: String) -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        let safe = id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return base + "/shared-browser/sessions/" + String(safe)
    }

    /// Launches a browser for the session (headless unless told otherwise) on its persistent profile.
    ///
    /// - Throws: ``SessionError/Code/profileLocked`` at once when another session uses the profile;
    ///   ``SessionError/Code/launchFailed`` when Chromium does not start.
    public static func start(_ options: Options = Options()) async throws -> SharedBrowserSession {
        let fm = FileManager.default
        var profile: String?
        var lock: ProfileLock?
        if options.persistentProfile {
            let directory = options.profileDirectory ?? defaultProfileDirectory(for: options.id)
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            } catch {
                throw SessionError(.launchFailed, "cannot create the profile directory \(directory): \(error)")
            }
            lock = try ProfileLock.acquire(directory)
            profile = directory
        }
        var launch = options.launch
        launch.headless = options.headless
        launch.userDataDirectory = profile
        let browser: CDPBrowser
        do { browser = try await CDPBrowser.launch(launch) } catch {
            lock?.release()
            throw SessionError.from(error)
        }
        do {
            return try await connect(browser: browser, options: options, lock: lock, profile: profile, launch: launch)
        } catch {
            try? await browser.close()
            lock?.release()
            throw SessionError.from(error)
        }
    }

    /// Attaches to a running browser, here or on another machine: `http(s)://host:port`, or a
    /// `ws(s)://` URL (a browser's own, a grid's `se/cdp` endpoint, a provider's). Closing the session
    /// disconnects and leaves the browser running.
    ///
    /// Remote endpoints take their token in `options.launch.connection`
    /// (``CDPTransport/CDPConnection/Options/headers``, and
    /// ``CDPTransport/CDPConnection/Options/trustedCertificatesFile`` for a private CA); a dropped
    /// connection is opened again with the same headers (``Options/recovery``).
    public static func attach(to endpoint: String, options: Options = Options()) async throws -> SharedBrowserSession {
        let browser: CDPBrowser
        do { browser = try await CDPBrowser.attach(to: endpoint, options: options.launch.connection) } catch {
            throw SessionError.from(error, url: endpoint)
        }
        do {
            return try await connect(browser: browser, options: options, lock: nil, profile: nil, launch: nil)
        } catch {
            try? await browser.close()
            throw SessionError.from(error)
        }
    }

    private static func connect(browser: CDPBrowser, options: Options, lock: ProfileLock?, profile: String?,
                                launch: CDPBrowser.LaunchOptions?) async throws -> SharedBrowserSession {
        let hub = EventHub(capacity: options.eventCapacity)
        let sink = EventSink(hub: hub, sessionId: options.id)
        let root = browser.session
        let downloads = try Self.downloadsFolder(options: options, profile: profile ?? browser.temporaryProfile)
        var connected = false
        defer {
            if !connected, options.downloadsDirectory == nil, profile == nil {
                try? FileManager.default.removeItem(atPath: downloads)
            }
        }
        let (rootEvents, rootDropped) = try await setUpBrowser(browser, downloads: downloads)
        let targets = try await root.send(Target.GetTargets())
        let pageTarget: String
        if let existing = targets.targetInfos.first(where: { $0.type == "page" && !$0.url.hasPrefix("devtools://") }) {
            pageTarget = existing.targetId
        } else {
            pageTarget = try await root.send(Target.CreateTarget(url: "about:blank")).targetId
        }
        let first = try await openTab(targetId: pageTarget, browser: browser, sink: sink, options: options)
        var recorder: TimelineRecorder?
        if let recording = options.recording {
            let folder = recording.directory ?? TimelineRecorder.defaultDirectory(sessionId: options.id, profile: profile)
            do { recorder = try TimelineRecorder(directory: folder, options: recording, sessionId: options.id) } catch {
                throw SessionError(.launchFailed, "cannot record the timeline in \(folder): \(error)")
            }
        }
        let session = SharedBrowserSession(options: options, browser: browser, lock: lock, profile: profile,
                                           downloads: downloads, sink: sink, first: first, launch: launch, recorder: recorder)
        recorder?.start(session)
        await session.startBrowserPump(rootEvents, dropped: rootDropped)
        await session.running()
        await session.startControlPump(await session.coordinator.events())
        sink.emit(.tabActivated, target: first.targetId, payload: .page(PageInfo(url: first.url)), cause: .system)
        connected = true
        return session
    }

    /// Subscribes to the browser-wide events and sets up target discovery and downloads.
    static func setUpBrowser(_ browser: CDPBrowser, downloads: String) async throws -> (AsyncStream<CDPEvent>, DropCounter) {
        let root = browser.session
        let dropped = DropCounter()
        let events = root.events(BrowserEventMapper.methods.union([Tab.flushMethod]), bufferingNewest: 4096, onDrop: dropped.add)
        try await root.send(Target.SetDiscoverTargets(discover: true))
        try await root.send(Browser.SetDownloadBehavior(behavior: .allow, downloadPath: downloads, eventsEnabled: true))
        return (events, dropped)
    }

    /// The downloads folder: the one asked for or `<profile>/Downloads` (the temporary profile's for a
    /// session without one, removed with it even when the host is killed); for an attached browser, a
    /// new private folder in the temporary directory that ``close()`` removes. A folder the session
    /// creates is private (0700).
    private static func downloadsFolder(options: Options, profile: String?) throws -> String {
        if let chosen = options.downloadsDirectory ?? profile.map({ $0 + "/Downloads" }) {
            if !FileManager.default.fileExists(atPath: chosen) {
                try? FileManager.default.createDirectory(atPath: chosen, withIntermediateDirectories: true,
                                                         attributes: [.posixPermissions: 0o700])
            }
            return chosen
        }
        var template = Array((NSTemporaryDirectory() + "shared-browser-downloads-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SessionError(.launchFailed, "cannot create a downloads folder in \(NSTemporaryDirectory())")
        }
        return String(cString: made)
    }

    /// Whether ``downloadsDirectory`` is the session's own temporary folder.
    var ownsDownloadsFolder: Bool { options.downloadsDirectory == nil && profileDirectory == nil }

    static func openTab(targetId: String, browser: CDPBrowser, sink: EventSink, options: Options) async throws -> Tab {
        let attached = try await browser.session.send(Target.AttachToTarget(targetId: targetId, flatten: true))
        guard let page = browser.connection.session(id: attached.sessionId) else {
            throw SessionError(.targetClosed, "the tab \(targetId) closed while it was being opened")
        }
        let tab = Tab(targetId: targetId, page: page)
        tab.startPump(sink: sink, dialogPolicy: options.dialogPolicy, clock: options.clock)
        async let pageEnabled = page.send(Page.Enable())
        async let lifecycle = page.send(Page.SetLifecycleEventsEnabled(enabled: true))
        async let runtime = page.send(Runtime.Enable())
        async let network = page.send(Network.Enable())
        async let tree = page.send(Page.GetFrameTree())
        if let viewport = options.viewport {
            try await page.send(Emulation.SetDeviceMetricsOverride(width: viewport.width, height: viewport.height,
                                                                   deviceScaleFactor: 1, mobile: false))
        }
        _ = try await (pageEnabled, lifecycle, runtime, network)
        let frame = try await tree.frameTree.frame
        tab.state.withLock { s in
            s.mainFrameId = frame.id
            s.url = frame.url
        }
        return tab
    }

    func startBrowserPump(_ stream: AsyncStream<CDPEvent>, dropped: DropCounter) {
        let sink = self.sink
        let downloads = downloadsDirectory
        let gate = browserFlush
        let connection = browser.connection
        browserPump = Task { [weak self] in
            var state = BrowserEventMapper.State()
            for await event in stream {
                dropped.report(to: sink, target: nil, source: "browser")
                if event.method == Tab.flushMethod {
                    if let id = event.params["id"]?.intValue { gate.release(id) }
                    continue
                }
                for effect in BrowserEventMapper.map(event, state: &state, downloadsDirectory: downloads) {
                    switch effect {
                    case .emit(let kind, let payload, let target):
                        sink.emit(kind, target: target, payload: payload)
                    case .adoptPopup(let targetId):
                        await self?.adoptPopup(targetId)
                    case .forgetTab(let targetId):
                        await self?.forgetTab(targetId)
                    case .titleChanged(let targetId, let title, let url):
                        // A title a script set later; the load event reports the first one.
                        if await self?.tabTitleChanged(targetId, title) == true {
                            sink.emit(.titleChanged, target: targetId, payload: .page(PageInfo(url: url, title: title)))
                        }
                    }
                }
            }
            gate.close()
            await self?.browserGone(connection.closedError)
        }
    }

    /// Every change of control becomes a `control` event of the session's stream, caused by the
    /// participant it is about.
    private func startControlPump(_ changes: AsyncStream<ControlEvent>) {
        let sink = self.sink
        controlPump = Task { [weak self] in
            for await change in changes {
                // Before the event: whoever waits for the hand-back finds its brief ready.
                if change.change == .takenOver { await self?.personTookOver(change.participant) }
                if change.change == .handedBack { await self?.personHandedBack(to: change.holder) }
                sink.emit(.control, target: nil, payload: .control(ControlInfo(
                    change: change.change.rawValue, holder: change.holder.map { EventCause($0).description },
                    previousHolder: change.previousHolder.map { EventCause($0).description })),
                    cause: EventCause(change.participant))
            }
        }
    }

    /// Records a tab's new title; false when the tab already had it.
    private func tabTitleChanged(_ targetId: String, _ title: String) -> Bool {
        tabList.first { $0.targetId == targetId }?.state.withLock { s -> Bool in
            defer { s.title = title }
            return s.title != title
        } ?? false
    }

    func forgetTab(_ targetId: String) {
        guard let index = tabList.firstIndex(where: { $0.targetId == targetId }) else { return }
        // The tabs as they were before a burst of closes (a browser shutting down closes them all).
        let burstGoesOn = tabsBeforeCloses.map { ContinuousClock.now - $0.at < .seconds(2) } ?? false
        if !burstGoesOn { tabsBeforeCloses = (tabList.map(\.url), tabList.firstIndex { $0 === active } ?? 0, .now) }
        let tab = tabList.remove(at: index)
        tab.stopPump()
        if active === tab, let next = tabList.last {
            active = next
            sink.emit(.tabActivated, target: next.targetId, payload: .page(PageInfo(url: next.url, title: next.title)))
        }
    }


    /// Closes the browser (or disconnects from an attached one), releases the profile and ends the
    /// event and state streams. Cookies and storage of a persistent profile are written to disk.
    public func close() async {
        guard lifecycle.closeRequested() else { return }
        recovery?.cancel()
        await recovery?.value
        monitor?.cancel()
        bounceWatcher?.cancel()
        // Let running actions finish (each ends by its deadline).
        await browserQueue.acquire()
        defer { browserQueue.release() }
        for tab in tabList {
            await tab.queue.acquire()
            tab.queue.release()
        }
        try? await browser.close()
        _ = lifecycleInput { life throws(Lifecycle.Impossible) in try life.closed(); return .none }
        browserPump?.cancel()
        controlPump?.cancel()
        for tab in tabList { tab.stopPump() }
        if ownsDownloadsFolder { try? FileManager.default.removeItem(atPath: downloadsDirectory) }
        lock?.release()
        screencast.close()
        events.close()
        await recorder?.stop()
        sink.finish()
    }

    /// For executables: on SIGINT or SIGTERM, close the session (the browser with it) and exit with
    /// 128 + the signal's number. A second signal while closing exits at once.
    ///
    /// Without it, a signal ends the process at once and the browser is ended by its watchdog
    /// (``CDPBrowser/LaunchOptions/closeWithHost``) instead, without ``close()``'s orderly goodbye.
    public nonisolated func closeOnTerminationSignals() {
        TerminationSignals.shared.add(self)
    }

    // MARK: State and endpoints

    /// The current state of the active tab and the session.
    public nonisolated var state: BrowserState { sink.state }

    /// State snapshots, sent on navigation, load, title changes, dialogs and errors.
    public nonisolated func stateUpdates() -> AsyncStream<BrowserState> { sink.stateUpdates() }

    /// The folder the session records its timeline to (``Options/recording``); nil when it records nothing.
    public nonisolated var recordingDirectory: String? { recorder?.directory }

    /// Writes what the recording holds in memory to disk now (it does so on its own every quarter
    /// second), so that a reader sees every event so far.
    public nonisolated func flushRecording() { recorder?.flush() }

    /// Why the recording could not write, if it could not (a full disk, its folder removed); an
    /// `error` event said so when it happened.
    public nonisolated var recordingFailure: String? { recorder?.failure }

    /// The process id of the browser this session launched; nil when attached.
    public nonisolated var browserProcessID: Int32? { browser.processID }

    /// The browser's DevTools WebSocket URL. Whoever has it can drive the browser: keep it private.
    public nonisolated var remoteDebuggingURL: String { browser.webSocketDebuggerURL }

    /// A Chrome DevTools front-end URL for a tab (the active one by default), to open in a Chromium
    /// on this machine and inspect the very page the agents drive.
    public func devToolsFrontendURL(tab targetId: String? = nil) -> String {
        let address = remoteDebuggingURL.dropFirst("ws://".count).prefix { $0 != "/" }
        return "http://\(address)/devtools/inspector.html?ws=\(address)/devtools/page/\(targetId ?? active.targetId)"
    }

    // MARK: Tabs

    /// The open tabs, in the order they were opened.
    public func tabs() -> [TabInfo] {
        tabList.map { TabInfo(id: $0.targetId, url: $0.url, title: $0.title, isActive: $0 === active) }
    }

    /// The active tab.
    public var activeTab: TabInfo {
        TabInfo(id: active.targetId, url: active.url, title: active.title, isActive: true)
    }

    /// The CDP session of the active tab, for what watches the page beside the session's own work (the
    /// live view's screencast). It changes when another tab becomes active (`tabActivated`) and after a
    /// relaunch or reconnect (`browserRestarted`, `reconnected`); what the caller enables on it is its own.
    public var activePageSession: CDPSession { active.page }

    /// The active tab.
    var activeTabObject: Tab { active }

    /// Opens a tab, makes it the active one, and navigates it to `url` when given.
    public func openTab(url: String? = nil, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.openTab, ActionParams(url: url), source: EventCause(participant)), options: options)
    }

    func executeOpenTab(url: String? = nil, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: url, options: options) { session, _, deadline in
            // A URL the session refuses opens nothing.
            if let url { try session.validate(url) }
            let created = try await session.browser.session.send(Target.CreateTarget(url: "about:blank"))
            let tab = try await Self.openTab(targetId: created.targetId, browser: session.browser, sink: session.sink, options: session.options)
            // In front, as a browser shows the tab it opens: a tab behind others does not paint.
            _ = try? await session.browser.session.send(Target.ActivateTarget(targetId: created.targetId))
            await session.activate(tab)
            if let url { try await Navigation.go(tab, to: url, waitUntil: .load, deadline: deadline) }
            return .none
        }
    }

    /// Makes another tab the active one.
    public func switchTab(to targetId: String, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.switchTab, ActionParams(tab: targetId), source: EventCause(participant)), options: options)
    }

    func executeSwitchTab(to targetId: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: targetId, options: options) { session, _, _ in
            guard let tab = await session.tab(targetId) else {
                throw SessionError(.noSuchTab, "no tab \(targetId); open tabs: \(await session.tabs().map(\.id).joined(separator: ", "))")
            }
            _ = try? await session.browser.session.send(Target.ActivateTarget(targetId: targetId))
            await session.activate(tab)
            return .none
        }
    }

    /// Closes a tab (the active one by default); another becomes active.
    public func closeTab(_ targetId: String? = nil, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.closeTab, ActionParams(tab: targetId), source: EventCause(participant)), options: options)
    }

    func executeCloseTab(_ targetId: String? = nil, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: targetId, options: options) { session, active, _ in
            let id = targetId ?? active.targetId
            guard await session.tab(id) != nil else { throw SessionError(.noSuchTab, "no tab \(id)") }
            if await session.tabs().count == 1 {
                // Keep one tab: the session always has an active page.
                _ = try await session.browser.session.send(Target.CreateTarget(url: "about:blank"))
                let created = try await session.browser.session.send(Target.GetTargets()).targetInfos
                    .first { $0.type == "page" && $0.targetId != id && $0.url == "about:blank" }
                if let created {
                    let tab = try await Self.openTab(targetId: created.targetId, browser: session.browser, sink: session.sink, options: session.options)
                    await session.adopt(tab)
                }
            }
            _ = try await session.browser.session.send(Target.CloseTarget(targetId: id))
            await session.forgetTab(id)
            return .none
        }
    }

    private func tab(_ targetId: String) -> Tab? { tabList.first { $0.targetId == targetId } }

    /// Attaches to a tab the page opened and lists it (the opener stays active).
    private func adoptPopup(_ targetId: String) async {
        guard !closing, tab(targetId) == nil else { return }
        do {
            let tab = try await Self.openTab(targetId: targetId, browser: browser, sink: sink, options: options)
            if self.tab(targetId) == nil { adopt(tab) } else { tab.stopPump() }
        } catch {
            options.logger.debug("a tab the page opened closed before it could be attached", metadata: ["target": "\(targetId)"])
        }
    }

    func adopt(_ tab: Tab) { if !tabList.contains(where: { $0 === tab }) { tabList.append(tab) } }

    func activate(_ tab: Tab) {
        adopt(tab)
        active = tab
        sink.emit(.tabActivated, target: tab.targetId, payload: .page(PageInfo(url: tab.url, title: tab.title)))
    }

    // MARK: Running actions

    enum Outcome: Sendable {
        case none
        case value(JSONValue)
        case evaluated(JSONValue, notes: [String])
        case data(Data)
        case snapshot(AccessibilitySnapshot)
        case page(PageSummary?)
        case content(PageContent)
    }

    /// Validates a URL before anything is sent.
    nonisolated func validate(_ url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), !scheme.isEmpty else {
            throw SessionError(.invalidURL, "\"\(url)\" is not a URL (expected for example https://example.com/)", url: url)
        }
        guard options.allowedURLSchemes.contains(scheme) else {
            throw SessionError(.urlNotAllowed, "\(scheme): URLs are not allowed in this session (allowed: \(options.allowedURLSchemes.sorted().joined(separator: ", ")))", url: url)
        }
        if scheme == "http" || scheme == "https", (components.host ?? "").isEmpty {
            throw SessionError(.invalidURL, "\"\(url)\" has no host", url: url)
        }
    }

    /// The one path every action takes: queue, control check, attribution, the dialog race, the
    /// events it caused, and the result. What it may do comes from the kind's declaration
    /// (``ActionPolicy``), never from the caller.
    ///
    /// Actions on a page queue in that tab's queue (a tab that hangs delays no other tab); page-less
    /// actions in the browser's. Reads (not ``ActionPolicy/queued``: snapshot, content, screenshot)
    /// queue nowhere: they run beside the actions and never hold them up.
    func perform(
        _ action: BrowserAction, target: String?, options actionOptions: ActionOptions,
        _ body: @escaping @Sendable (SharedBrowserSession, Tab, ContinuousClock.Instant) async throws -> Outcome
    ) async -> ActionResult {
        let policy = action.type.declaration?.policy ?? ActionPolicy()
        let participant = Participant(action.source)
        let name = action.type.rawValue
        let needsPage = policy.needsPage, allowWithDialog = policy.runsWithDialogOpen
        let feedback = policy.reportsPageFeedback
        let clock = ContinuousClock()
        let started = clock.now
        let coordinated = options.coordination && policy.needsControl && participant.kind != .system
        // Waiting for a turn happens before the queue: a participant waiting for control holds up
        // nobody (the holder's actions, a person's input, go on meanwhile).
        var controlRefusal: (any Error)?
        if coordinated, let wait = actionOptions.waitForControl, await coordinator.holder != participant {
            do { try await coordinator.requestControl(for: participant, timeout: wait) } catch { controlRefusal = error }
        }
        let (tab, queue, tabGone) = await queueUp(needsPage: needsPage, queued: policy.queued)
        defer { queue?.release() }
        let capture = events.subscribe(bufferSize: 8192)
        // What is recorded and reported never carries a secret from a URL.
        let target = target.map(Redaction.url)
        let urlBefore = tab.url
        let cause = EventCause(participant)
        var outcome: Outcome = .none
        var failure: SessionError?
        var dialog: DialogInfo?
        var before: PageFeedback.Reading?
        var pageFeedback: PageFeedback?
        var generationBefore = 0
        var focusSecret: Bool?
        do {
            if closing { throw SessionError(.connectionClosed, "the session is closed") }
            if needsPage, tabGone { throw SessionError(.noSuchTab, "every tab is closed: open one with openTab") }
            if let controlRefusal { throw controlRefusal }
            if coordinated { try await coordinator.checkControl(participant) }
            if needsPage, !allowWithDialog, let open = tab.dialog {
                throw SessionError(.dialogOpen, "a \(open.type) dialog is open in the tab (\"\(open.message)\"); handle it first")
            }
            if feedback {
                generationBefore = tab.state.withLock { $0.generation }
                before = await PageFeedback.read(tab)
            }
            sink.setCause(cause, target: tab.targetId)
            sink.emit(.actionStarted, target: tab.targetId, payload: .action(ActionInfo(name: name, target: target, action: action.redacted())))
            // The action's time starts when it may run (not while it waited for its turn or its queue).
            let deadline = clock.now + (actionOptions.timeout ?? options.actionTimeout)
            // A dialog answered at once does not interrupt the action; one left open does.
            let staysOpen = options.dialogPolicy.staysOpen(humanInControl: sink.humanHoldsControl)
            // Every command the action sends, however deep, ends by the action's deadline.
            let result = try await CDPDeadline.$current.withValue(deadline) {
                try await Self.racingDialogs(tab, enabled: needsPage && !allowWithDialog && staysOpen) {
                    try await body(self, tab, deadline)
                }
            }
            switch result {
            case .finished(let value): outcome = value
            case .dialog(let info):
                dialog = info
                // Leaving the page waits for the person's answer: the navigation has not happened.
                if info.type == "beforeunload" {
                    throw SessionError(.dialogOpen, "the page asks before it is left (a beforeunload dialog); accept it with "
                                       + "handleDialog(accept: true) to leave, or dismiss it to stay")
                }
            }
            if feedback, dialog == nil {
                let newDocument = tab.state.withLock { $0.generation } != generationBefore
                let after = await PageFeedback.read(tab)
                pageFeedback = PageFeedback.difference(before: before, after: after, newDocument: newDocument)
                focusSecret = after?.focusSecret
            }
        } catch {
            // When the browser went away, say so, not what the interrupted wait happened to see.
            failure = SessionError.from(await failureCause(error), selector: target)
            // An action that ran out of time on a page whose main thread is stuck frees the page.
            if failure?.code == .timeout, needsPage { await tab.stopScriptIfBusy() }
        }
        if failure?.code != .notInControl { await flushEvents(tab) }
        // What was typed is shown only when it went into a field that is neither a password nor a
        // one-time code.
        var typedTextIsSafe = false
        if action.type.carriesTypedText, failure == nil, dialog == nil {
            // Read with the page feedback when the action had one; else asked now.
            if let focusSecret { typedTextIsSafe = !focusSecret } else { typedTextIsSafe = await !Elements.focusIsSecret(tab) }
        }
        let recorded = action.redacted(typedTextIsSafe: typedTextIsSafe)
        let duration = started.duration(to: clock.now)
        let ms = Navigation.milliseconds(duration)
        if let failure {
            sink.emit(.actionFailed, target: tab.targetId, payload: .action(ActionInfo(
                name: name, target: target, error: failure.message, durationMilliseconds: ms, action: recorded)), cause: cause)
        } else {
            sink.emit(.actionFinished, target: tab.targetId, payload: .action(ActionInfo(
                name: name, target: target, durationMilliseconds: ms, action: recorded)), cause: cause)
        }
        sink.resetCause(cause, target: tab.targetId)
        capture.cancel()
        var captured: [BrowserEvent] = []
        for await element in capture {
            // Another tab's events belong to the actions running there.
            if let event = element.event, !needsPage || event.target == nil || event.target == tab.targetId { captured.append(event) }
        }
        if dialog == nil, let opened = captured.first(where: { $0.kind == .dialogOpened }), case .dialog(let info) = opened.payload {
            dialog = info
        }
        let now = needsPage ? tab : active
        var result = ActionResult(
            action: name, participant: participant, target: target, error: failure,
            navigatedTo: now.url != urlBefore ? now.url : nil, url: now.url, title: now.title,
            duration: duration, events: captured, dialog: dialog, state: sink.state)
        if let notice = recoveryNotice, toldInResult.insert(participant).inserted { result.notices.append(notice) }
        if let notices = noticesForNextResult.removeValue(forKey: participant) { result.notices += notices }
        if let brief = takeBriefForResult(participant) { result.notices.append(brief) }
        if participant.kind == .human { recordPersonAction(recorded) }
        result.feedback = pageFeedback
        result.actionValue = recorded
        switch outcome {
        case .value(let value): result.value = value
        case .evaluated(let value, let notes):
            result.value = value
            result.valueNotes = notes
        case .data(let data): result.data = data
        case .snapshot(let snapshot):
            result.snapshot = snapshot
            result.value = .string(snapshot.text)
        case .page(let summary): result.page = summary
        case .content(let content): result.content = content
        case .none: break
        }
        return result
    }

    /// Waits for a recovery under way, then for the queue of the action's tab (or the browser's);
    /// returns the tab and the queue held.
    /// `tabGone`: every tab is closed, so there is no page to act on (an action that needs one fails).
    private func queueUp(needsPage: Bool, queued: Bool) async -> (tab: Tab, queue: ActionQueue?, tabGone: Bool) {
        while true {
            await recovered()
            let tab = active
            let queue = queued ? (needsPage ? tab.queue : browserQueue) : nil
            await queue?.acquire()
            // A recovery while waiting replaced the tabs: queue again for the new one.
            if closing || tabList.contains(where: { $0 === tab }) { return (tab, queue, false) }
            if tabList.isEmpty { return (tab, queue, true) }
            queue?.release()
        }
    }

    enum Raced: Sendable {
        case finished(Outcome)
        case dialog(DialogInfo)
    }

    /// Runs `body`, but returns as soon as a dialog opens in the tab (a dialog blocks the page, and
    /// with it whatever command caused it).
    static func racingDialogs(_ tab: Tab, enabled: Bool, _ body: @escaping @Sendable () async throws -> Outcome) async throws -> Raced {
        guard enabled else { return .finished(try await body()) }
        let dialogs = tab.page.events(Page.JavascriptDialogOpening.self, bufferingNewest: 4)
        return try await withThrowingTaskGroup(of: Raced?.self) { group in
            group.addTask { .finished(try await body()) }
            group.addTask {
                for await opening in dialogs { return .dialog(DialogInfo(type: opening.type.rawValue, message: opening.message)) }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let raced = next { return raced }
            }
            throw SessionError(.connectionClosed, "the tab went away during the action")
        }
    }

    /// Waits until every event the browser sent so far is published (tab and browser-wide).
    func flushEvents(_ tab: Tab) async {
        flushCounter += 1
        let id = flushCounter
        await tab.flush(id: id)
        flushCounter += 1
        let rootId = flushCounter
        let connection = browser.connection
        await browserFlush.wait(rootId) {
            connection.injectEvent(method: Tab.flushMethod, params: ["id": .number(Double(rootId))], sessionId: "")
        }
    }
}

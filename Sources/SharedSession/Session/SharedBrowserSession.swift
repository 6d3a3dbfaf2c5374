import CDPTransport
public import Coordination
public import EventBuffer
import ContentExtraction
import Foundation
import Logging
import SharedBrowserSupport

/// One long-lived browser that several agents and people share: every action is a `BrowserAction`
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
    /// What the session has done so far (``statistics``).
    nonisolated let statisticsBox = LockedValue(SessionStatistics())
    let options: Options
    /// Runs page-less actions (tabs, the browser) one at a time; each tab has its own queue.
    let browserQueue = ActionQueue()
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
    var tabsBeforeCloses: (urls: [String], active: Int, at: Duration, owners: [Int: TabOwner])?
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
    /// Each person's input not yet told in words (a press, a run of typing).
    var personInput: [Participant: PersonInputState] = [:]
    /// Agents' actions waiting for a person's approval, by id.
    var approvalsWaiting: [String: PendingApproval] = [:]
    var approvalCounter = 0
    /// People's messages to the agents, and how far each agent has read them.
    var postedMessages: [PostedMessage] = []
    var messagesReadInResult: [Participant: UInt64] = [:]
    var messagesReadInContext: [Participant: UInt64] = [:]
    var tabList: [Tab] = []
    var active: Tab
    /// Each participant's own tab (its lane): where its actions that name no tab go.
    var ownTabs: [Participant: String] = [:]
    /// What each own tab is for, by tab id.
    var tabPurposes: [String: String] = [:]
    /// What each participant was last shown of each tab's document (``rememberLook(_:view:tab:generation:by:)``).
    var looks: [LookKey: (generation: Int, lines: [String])] = [:]

    /// Whose own tab a tab is, and what for (kept by position across a relaunch).
    struct TabOwner: Sendable {
        var participant: Participant
        var purpose: String?
    }

    /// The own tabs by their position in ``tabList``.
    var tabOwners: [Int: TabOwner] {
        var owners: [Int: TabOwner] = [:]
        for (participant, id) in ownTabs {
            if let index = tabList.firstIndex(where: { $0.targetId == id }) {
                owners[index] = TabOwner(participant: participant, purpose: tabPurposes[id])
            }
        }
        return owners
    }
    var browserPump: Task<Void, Never>?
    private var controlPump: Task<Void, Never>?
    var flushCounter = 0
    let browserFlush = FlushGate()
    /// The session's clock (``Options/clock``): deadlines, delays, intervals and events' times.
    nonisolated var clock: SessionClock { sink.clock }

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

    /// The default profile directory of a session id: a folder of its own inside
    /// `$XDG_DATA_HOME/shared-browser/sessions/`, whatever the id (a character other than a letter,
    /// digit, `-`, `_` or `.` becomes `_`, and a leading `.` too, so `..` names no folder above).
    public static func defaultProfileDirectory(for id: String) -> String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (env["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        var safe = String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" })
        if safe.isEmpty || safe.hasPrefix(".") { safe = "_" + safe }
        return base + "/shared-browser/sessions/" + safe
    }

    /// Checks a session id against ``Options/id``'s pattern: 1 to 64 ASCII letters, digits, `.`, `_`
    /// or `-`, starting with a letter or digit.
    /// - Throws: ``SessionError/Code/invalidSessionID`` naming the id and the pattern.
    public static func validate(sessionID id: String) throws(SessionError) {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard (1...64).contains(id.utf8.count), allowed, let first = id.first, first.isLetter || first.isNumber else {
            throw SessionError(.invalidSessionID, "the session id \"\(id.prefix(80))\" is not 1 to 64 letters, digits, '.', '_' or '-' "
                               + "starting with a letter or digit")
        }
    }

    /// Launches a browser for the session (headless unless told otherwise) on its persistent profile.
    ///
    /// - Throws: ``SessionError/Code/invalidSessionID`` for an id outside ``Options/id``'s pattern;
    ///   ``SessionError/Code/profileLocked`` at once when another session uses the profile;
    ///   ``SessionError/Code/launchFailed`` when Chromium does not start.
    public static func start(_ options: Options = Options()) async throws -> SharedBrowserSession {
        try validate(sessionID: options.id)
        return try await launchAndConnect(options)
    }

    /// ``start(_:)`` once the options are valid: the profile, the browser, the session. (Kept apart
    /// from the check: an async function throwing before its first suspension with options this large
    /// has been seen to corrupt its task's allocator on Swift 6.3.)
    private static func launchAndConnect(_ options: Options) async throws -> SharedBrowserSession {
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
    /// (`CDPTransport/CDPConnection/Options/headers`, and
    /// `CDPTransport/CDPConnection/Options/trustedCertificatesFile` for a private CA); a dropped
    /// connection is opened again with the same headers (``Options/recovery``).
    public static func attach(to endpoint: String, options: Options = Options()) async throws -> SharedBrowserSession {
        try validate(sessionID: options.id)
        return try await attachAndConnect(to: endpoint, options)
    }

    /// ``attach(to:options:)`` once the options are valid. (Kept apart from the check: an async
    /// function throwing before its first suspension with options this large has been seen to corrupt
    /// its task's allocator on Swift 6.3.)
    private static func attachAndConnect(to endpoint: String, _ options: Options) async throws -> SharedBrowserSession {
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
        let clock = SessionClock(options.clock)
        let hub = EventHub(capacity: options.eventCapacity, now: { clock.date })
        let sink = EventSink(hub: hub, sessionId: options.id, clock: clock)
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
            do { recorder = try TimelineRecorder(directory: folder, options: recording, sessionId: options.id, clock: clock) } catch {
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
        let tab = Tab(targetId: targetId, page: page, clock: sink.clock, nextRef: sink.nextRef)
        tab.startPump(sink: sink, dialogPolicy: options.dialogPolicy)
        async let pageEnabled = page.send(Page.Enable())
        async let lifecycle = page.send(Page.SetLifecycleEventsEnabled(enabled: true))
        async let runtime = page.send(Runtime.Enable())
        async let network = page.send(Network.Enable())
        async let tree = page.send(Page.GetFrameTree())
        // Every tab behaves as the focused one (focus and blur handlers, :focus, document.hasFocus),
        // so agents typing in several tabs at once each see what a person at that tab would.
        async let focus = page.send(Emulation.SetFocusEmulationEnabled(enabled: true))
        if let viewport = options.viewport {
            try await page.send(Emulation.SetDeviceMetricsOverride(width: viewport.width, height: viewport.height,
                                                                   deviceScaleFactor: 1, mobile: false))
        }
        _ = try await (pageEnabled, lifecycle, runtime, network)
        _ = try? await focus
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
                sink.emit(.control, target: change.tab, payload: .control(ControlInfo(
                    change: change.change.rawValue, holder: change.holder.map { EventCause($0).description },
                    previousHolder: change.previousHolder.map { EventCause($0).description }, tab: change.tab)),
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
        let burstGoesOn = tabsBeforeCloses.map { clock.elapsed - $0.at < .seconds(2) } ?? false
        if !burstGoesOn { tabsBeforeCloses = (tabList.map(\.url), tabList.firstIndex { $0 === active } ?? 0, clock.elapsed, tabOwners) }
        let tab = tabList.remove(at: index)
        tab.stopPump()
        ownTabs = ownTabs.filter { $0.value != targetId }
        tabPurposes.removeValue(forKey: targetId)
        let coordinator = self.coordinator
        Task { await coordinator.tabClosed(targetId) }
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
        await recorder?.lastPictures()
        try? await browser.close()
        lifecycleInput { try $0.closed() }
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
    /// (`CDPBrowser/LaunchOptions/closeWithHost`) instead, without ``close()``'s orderly goodbye.
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

    /// The browser's DevTools WebSocket URL, when it has one: nil for a browser launched over a pipe
    /// (the default, `CDPBrowser.Transport.pipe`). Whoever has it can drive the browser past every
    /// check of this session: keep it private. A person gets DevTools through the live view instead
    /// (`LiveView.Options.devTools`), behind its control token.
    public nonisolated var remoteDebuggingURL: String? { browser.webSocketDebuggerURL }

    /// A Chrome DevTools front-end URL for a tab (the active one by default), to open in a Chromium
    /// on this machine and inspect the very page the agents drive; nil when the browser has no DevTools
    /// port (launched over a pipe, the default).
    public func devToolsFrontendURL(tab targetId: String? = nil) -> String? {
        guard let url = remoteDebuggingURL, url.hasPrefix("ws://") else { return nil }
        let address = url.dropFirst("ws://".count).prefix { $0 != "/" }
        return "http://\(address)/devtools/inspector.html?ws=\(address)/devtools/page/\(targetId ?? active.targetId)"
    }
}

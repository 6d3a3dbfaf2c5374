import AgentTools
import CDPTransport
import Foundation
import LiveView
import Logging
import SharedSession

/// The server's shared sessions, by id (the design's `shared_sessions`).
actor SessionRegistry {
    struct Entry {
        let session: SharedBrowserSession
        let toolbox: AgentToolbox
        let liveView: LiveView?
        /// Where the browser runs, for people: "here", or the endpoint without its query.
        let browser: String
    }

    struct Settings {
        var headless = true
        var record = true
        var allowJavaScript = false
        var profile: AgentToolProfile = .core
        var maxSessions = 4
        /// A browser elsewhere that sessions attach to instead of launching one (`--cdp-endpoint`).
        var browserEndpoint: String?
        /// Headers for ``browserEndpoint`` only (`--cdp-header`), never for endpoints a client names.
        var endpointHeaders: [(name: String, value: String)] = []
        /// Certificate authorities to trust for `wss://` and `https://` endpoints (`--cdp-ca-file`).
        var trustedCertificatesFile: String?
        /// A saved sign-in put into every new session (`--storage-state`).
        var storageState: StorageState?
        /// Actions agents may take only after a person approves them (`--require-approval`).
        var approvals: [ApprovalRule] = []
        /// Attach a picture of the page to every navigate answer (`--navigate-screenshots`); off: a
        /// picture only when a client asks for one.
        var navigateScreenshots = false
        /// A program run once for each session that starts, to take its live view links where people
        /// are (`--live-view-hook`): the session id as its argument, the links in its environment.
        var liveViewHook: String?
    }

    /// Where a session's browser is: launched here, or attached to at an endpoint with headers.
    struct BrowserSource {
        var endpoint: String?
        var headers: [(name: String, value: String)] = []
    }

    let settings: Settings
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    /// Starts under way, by id: a second call for the same id while the first launches gets the same
    /// session, not a second browser.
    private var starting: [String: Task<Entry, any Error>] = [:]

    init(settings: Settings) {
        self.settings = settings
    }

    var ids: [String] { order }

    /// Every session with its live view, in the order they started (for `/metrics`).
    var all: [(id: String, session: SharedBrowserSession, liveView: LiveView?)] {
        order.compactMap { id in entries[id].map { (id, $0.session, $0.liveView) } }
    }

    /// The tools every session offers (their names, descriptions and schemas).
    func toolTemplate() -> [AgentTool] { AgentToolbox.tools(profile: settings.profile, allowJavaScript: settings.allowJavaScript) }

    /// Where a session's browser comes from: the endpoint a client names (with the headers it gives),
    /// else the server's own endpoint with the server's headers, else a browser launched here. The
    /// server's headers go to the server's endpoint's host only.
    func browserSource(endpoint: String?, headers: [(name: String, value: String)]) -> BrowserSource {
        guard let endpoint else {
            return BrowserSource(endpoint: settings.browserEndpoint, headers: settings.browserEndpoint == nil ? [] : settings.endpointHeaders)
        }
        var all = headers
        if let own = settings.browserEndpoint, Self.sameHost(own, endpoint) {
            all += settings.endpointHeaders.filter { header in !headers.contains { $0.name.lowercased() == header.name.lowercased() } }
        }
        return BrowserSource(endpoint: endpoint, headers: all)
    }

    /// Whether two endpoints name the same host and port (`https` and `wss` alike).
    static func sameHost(_ a: String, _ b: String) -> Bool {
        func key(_ endpoint: String) -> String? {
            guard let parts = URLComponents(string: endpoint), let host = parts.host?.lowercased(), let scheme = parts.scheme?.lowercased() else { return nil }
            let secure = scheme == "https" || scheme == "wss"
            return "\(host):\(parts.port ?? (secure ? 443 : 80))"
        }
        return key(a) != nil && key(a) == key(b)
    }

    /// Starts a session (or returns the running one with that id): on a browser launched here, or
    /// attached to `source`'s endpoint.
    func start(id: String, headless: Bool?, persistentProfile: Bool, source: BrowserSource = BrowserSource()) async throws -> Entry {
        if let entry = entries[id] { return entry }
        if let pending = starting[id] { return try await pending.value }
        guard entries.count + starting.count < settings.maxSessions else {
            throw ToolError("this server holds at most \(settings.maxSessions) sessions (running: \(order.joined(separator: ", "))); close one first")
        }
        let pending = Task { try await launch(id: id, headless: headless, persistentProfile: persistentProfile, source: source) }
        starting[id] = pending
        defer { starting[id] = nil }
        return try await pending.value
    }

    /// Launches (or attaches) the session `start` made room for.
    private func launch(id: String, headless: Bool?, persistentProfile: Bool, source: BrowserSource) async throws -> Entry {
        var options = SharedBrowserSession.Options(id: id)
        options.headless = headless ?? settings.headless
        options.persistentProfile = persistentProfile
        options.approvals = settings.approvals
        if settings.record { options.recording = RecordingOptions() }
        let session: SharedBrowserSession
        if let endpoint = source.endpoint {
            options.launch.connection.headers = source.headers
            options.launch.connection.trustedCertificatesFile = settings.trustedCertificatesFile
            session = try await SharedBrowserSession.attach(to: endpoint, options: options)
        } else {
            session = try await SharedBrowserSession.start(options)
        }
        // SIGINT and SIGTERM close it (and every other) and exit; with no session, they just end the process.
        session.closeOnTerminationSignals()
        if let state = settings.storageState {
            do { try await session.setStorageState(state, as: .system) } catch {
                await session.close()
                throw ToolError("the saved sign-in (--storage-state) could not be put into the session: \(error)")
            }
        }
        var viewOptions = LiveView.Options()
        viewOptions.logger = Logger(label: "shared-browser-mcp.live-view")
        let view = try? await session.liveView(viewOptions)
        let entry = Entry(session: session, toolbox: AgentToolbox(session: session, profile: settings.profile,
                                                                  allowJavaScript: settings.allowJavaScript), liveView: view,
                          browser: source.endpoint.map { "at " + CDPBrowser.redactedEndpoint($0) } ?? "here")
        entries[id] = entry
        order.append(id)
        announce(entry)
        return entry
    }

    /// The live view's links, once per session, where people are: the server's log, and the host's
    /// hook when there is one.
    private func announce(_ entry: Entry) {
        guard let view = entry.liveView, let control = view.controlURL else { return }
        let line = "shared-browser-mcp: session \(entry.session.id): live view \(control) (watch only: \(view.watchURL ?? "none"))\n"
        FileHandle.standardError.write(Data(line.utf8))
        if let hook = settings.liveViewHook {
            Self.runHook(hook, session: entry.session.id, control: control, watch: view.watchURL)
        }
    }

    /// Runs `--live-view-hook`: the links go in its environment (`SHARED_BROWSER_LIVE_VIEW_URL`,
    /// `SHARED_BROWSER_WATCH_URL`, `SHARED_BROWSER_SESSION`), not its arguments, which every user of
    /// the machine can read; its output goes to the server's log; it gets 10 seconds.
    static func runHook(_ path: String, session: String, control: String, watch: String?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [session]
        var environment = ProcessInfo.processInfo.environment
        environment["SHARED_BROWSER_SESSION"] = session
        environment["SHARED_BROWSER_LIVE_VIEW_URL"] = control
        environment["SHARED_BROWSER_WATCH_URL"] = watch ?? ""
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("shared-browser-mcp: --live-view-hook \(path) could not run: \(error)\n".utf8))
            return
        }
        let pid = process.processIdentifier
        Task.detached {
            try? await Task.sleep(for: .seconds(10))
            if process.isRunning {
                kill(pid, SIGKILL)
                FileHandle.standardError.write(Data("shared-browser-mcp: --live-view-hook \(path) took over 10 s and was stopped\n".utf8))
            }
        }
    }

    /// The session a call names, or the only one when it names none.
    func entry(_ id: String?) throws -> Entry {
        if let id {
            guard let entry = entries[id] else {
                throw ToolError("no shared session \"\(id)\"" + (order.isEmpty ? "; start one with start_shared_session" : " (running: \(order.joined(separator: ", ")))"))
            }
            return entry
        }
        guard order.count == 1, let only = entries[order[0]] else {
            throw ToolError(order.isEmpty ? "no shared session yet: start one with start_shared_session"
                                          : "several sessions run (\(order.joined(separator: ", "))): pass session_id")
        }
        return only
    }

    /// The session a call names, or the only one; with neither, the default session, started with
    /// the server's settings (as `start_shared_session` without arguments starts it).
    func entryStartingDefault(_ id: String?) async throws -> Entry {
        guard id == nil, order.isEmpty else { return try entry(id) }
        return try await start(id: "default", headless: nil, persistentProfile: true, source: browserSource(endpoint: nil, headers: []))
    }

    func close(_ id: String?) async throws -> String {
        let entry = try entry(id)
        let sessionId = entry.session.id
        entries[sessionId] = nil
        order.removeAll { $0 == sessionId }
        await entry.session.close()
        return sessionId
    }

    /// A client went: any turn it holds passes on.
    func release(_ participant: Participant) async {
        for entry in entries.values { _ = await entry.session.coordinator.releaseControl(for: participant) }
    }

    func closeAll() async {
        let all = entries.values.map(\.session)
        entries.removeAll()
        order.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for session in all { group.addTask { await session.close() } }
        }
    }
}

struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

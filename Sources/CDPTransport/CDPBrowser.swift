import Foundation
import Logging
import SharedBrowserSupport
import WebSockets

/// A Chromium browser spoken to over CDP: launched by this process, or attached to while it runs.
///
/// ```swift
/// let browser = try await CDPBrowser.launch()
/// let page = try await browser.newPage()
/// let result = try await page.send(Runtime.Evaluate(expression: "1 + 1"))
/// try await browser.close()
/// ```
public final class CDPBrowser: Sendable {
    /// How to launch Chromium.
    public struct LaunchOptions: Sendable {
        /// The executable; nil searches `CHROME_PATH`, then `chromium`, `chromium-browser`,
        /// `google-chrome` and `google-chrome-stable` on `PATH`.
        public var executablePath: String?
        /// Headless (`--headless=new`, the default) or a visible window.
        public var headless = true
        /// The profile directory; nil creates a temporary one that ``CDPBrowser/close()`` removes.
        public var userDataDirectory: String?
        /// Treat ``userDataDirectory`` as temporary: removed when the browser closes or its host dies
        /// (to launch again on a temporary profile that must outlive one browser, as a relaunch does).
        public var removeProfileWhenClosed = false
        /// Adds `--no-sandbox`. nil (the default) adds it only when running as root, where Chromium
        /// refuses to start without it.
        public var noSandbox: Bool?
        /// The window size of new pages.
        public var windowSize = (width: 1280, height: 720)
        /// Lets the compositor draw as fast as it can instead of at 60 Hz (`--disable-frame-rate-limit`).
        ///
        /// Screenshots come back sooner (JPEG 1280x720: about 20 ms instead of 33 ms here), but a page
        /// with a running animation then keeps every core busy (227% CPU instead of 4% on a 2-core
        /// machine), so it is off by default. Turn it on for screenshot-heavy, short-lived work.
        public var unlimitedFrameRate = false
        /// End the browser when the host process dies without closing it, by any signal including
        /// SIGKILL (the default): a watchdog process sees the host go and ends the browser's process
        /// group (SIGTERM, so cookies are written, then SIGKILL 1.5 s later). Off leaves the browser running.
        public var closeWithHost = true
        /// More command-line switches, after the defaults.
        public var extraArguments: [String] = []
        /// How long Chromium may take to start and answer.
        public var launchTimeout: Duration = .seconds(30)
        /// How this process speaks to the browser: over a pipe (the default), so that nothing listens,
        /// or over a DevTools port on 127.0.0.1.
        public var transport: Transport = .pipe
        /// Settings of the CDP connection.
        public var connection = CDPConnection.Options()
        /// The defaults: Chromium found from `CHROME_PATH` or the PATH, headless, a temporary profile, closed
        /// with the host.
        public init() {}
    }

    /// How a launched browser is spoken to.
    public enum Transport: Sendable, Hashable {
        /// `--remote-debugging-pipe`: the browser reads CDP from its descriptor 3 and writes to 4, which
        /// only this process holds. No port listens, so no other process on the machine can drive the
        /// browser; a dropped link cannot be reconnected (the browser is relaunched instead).
        case pipe
        /// `--remote-debugging-port=0`: a DevTools port on 127.0.0.1 that any process on this machine
        /// can connect to and drive the browser through, past every check of this library. For tools
        /// that must attach to the browser themselves; ``CDPBrowser/webSocketDebuggerURL`` names it.
        case webSocket
    }

    /// The CDP connection to the browser.
    public let connection: CDPConnection
    /// The browser's WebSocket debugger URL (`ws://127.0.0.1:PORT/devtools/browser/<id>`); nil for a
    /// browser launched over a pipe (``Transport/pipe``, the default), which has none. Anyone on
    /// this machine who knows it can drive the browser: do not log it where others can read.
    public let webSocketDebuggerURL: String?
    private let process: ChildProcess?
    /// The temporary profile directory this browser was launched with (removed when it closes, or by
    /// the watchdog when the host dies); nil for a given profile or an attached browser.
    public let temporaryProfile: String?
    private let closing = LockedValue(false)
    private let connectionOptions: CDPConnection.Options
    /// The `http(s)://` endpoint an attached browser was found through, to find it again.
    private let discoveryEndpoint: String?

    private init(connection: CDPConnection, url: String?, process: ChildProcess?, temporaryProfile: String?,
                 options: CDPConnection.Options, discoveryEndpoint: String? = nil) {
        self.connection = connection
        self.webSocketDebuggerURL = url
        self.process = process
        self.temporaryProfile = temporaryProfile
        connectionOptions = options
        self.discoveryEndpoint = discoveryEndpoint
        if let process {
            // A browser that dies fails every pending command at once, as a crash.
            process.onExit { [weak self] status in
                guard let self, !self.closing.withLock({ $0 }) else { return }
                self.connection.fail(with: CDPError(
                    .browserCrashed, "the browser process \(process.pid) \(ChildProcess.describe(status: status))"))
            }
        }
    }

    /// Whether the browser process still runs: false once a launched browser has exited; true for an
    /// attached browser (whose process this library cannot see).
    public var isRunning: Bool { !(process?.isDead ?? false) }

    /// Whether a launched browser's process exits within `timeout` (a socket that closes is often
    /// seen a moment before the exit of the process behind it). False for an attached browser.
    public func exits(within timeout: Duration) async -> Bool {
        guard let process else { return false }
        // Dead already (a zombie not yet reaped), or dying: look at the process itself, not only at
        // the thread that reaps it, which a busy machine may run late.
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if process.isDead { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.isDead
    }

    /// A new connection to the same browser, for when this one dropped while the browser lives. The
    /// new value owns the launched process from then on; this one is done.
    ///
    /// A browser attached through an `http(s)://` endpoint that no longer answers at its WebSocket URL
    /// is looked for again at the endpoint: a grid or a service may have restarted it, under a new id.
    /// The value returned then has another ``webSocketDebuggerURL`` — a new browser, whose tabs are
    /// not the old ones.
    ///
    /// - Throws: ``CDPError/Code/connectionClosed`` when the browser does not answer, or was launched
    ///   over a pipe (which cannot be opened again: relaunch it).
    public func reconnect() async throws -> CDPBrowser {
        guard var url = webSocketDebuggerURL else {
            throw CDPError(.connectionClosed, "a browser launched over a pipe cannot be reconnected")
        }
        let connection: CDPConnection
        do {
            connection = try await CDPConnection.connect(to: url, options: connectionOptions)
        } catch {
            guard process == nil, let endpoint = discoveryEndpoint,
                  let found = try? await Self.webSocketURL(for: endpoint, options: connectionOptions), found != url else { throw error }
            url = found
            connection = try await CDPConnection.connect(to: url, options: connectionOptions)
        }
        closing.withLock { $0 = true }
        return CDPBrowser(connection: connection, url: url, process: process,
                          temporaryProfile: temporaryProfile, options: connectionOptions, discoveryEndpoint: discoveryEndpoint)
    }

    /// The browser session.
    public var session: CDPSession { connection.browserSession }

    /// The process id of a launched browser; nil when attached.
    public var processID: Int32? { process?.pid }

    /// The switches every launch passes, before ``LaunchOptions/extraArguments``: quiet, deterministic,
    /// no background traffic, and Chromium's faster screenshot path.
    public static let defaultArguments = [
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
        "--disable-breakpad", "--disable-crash-reporter", "--disable-client-side-phishing-detection",
        "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
        "--disable-renderer-backgrounding", "--disable-hang-monitor", "--disable-ipc-flooding-protection",
        "--disable-popup-blocking", "--disable-prompt-on-repost", "--metrics-recording-only",
        "--password-store=basic", "--use-mock-keychain", "--force-color-profile=srgb", "--mute-audio",
        "--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider",
        "--enable-features=CDPScreenshotNewSurface",
    ]

    /// Finds the Chromium executable as ``LaunchOptions/executablePath`` describes.
    /// - Throws: ``CDPError/Code/launchFailed`` with the install hint when none is found.
    public static func findExecutable(_ explicit: String? = nil) throws -> String {
        let fm = FileManager.default
        if let explicit {
            guard fm.isExecutableFile(atPath: explicit) else {
                throw CDPError(.launchFailed, "no executable at \(explicit)")
            }
            return explicit
        }
        let env = ProcessInfo.processInfo.environment
        if let path = env["CHROME_PATH"], !path.isEmpty {
            guard fm.isExecutableFile(atPath: path) else {
                throw CDPError(.launchFailed, "CHROME_PATH is \(path), which is not an executable")
            }
            return path
        }
        let dirs = (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for dir in dirs where fm.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        }
        throw CDPError(.launchFailed, "Chromium not found: install it (`sudo apt-get install chromium`, or `make deps`) or set CHROME_PATH")
    }

    /// Starts Chromium and connects to it: over a pipe (the default), or over a DevTools port chosen by
    /// the system (``LaunchOptions/transport``).
    ///
    /// - Parameter options: the executable, profile, headless mode, switches, transport and timeouts.
    /// - Throws: ``CDPError/Code/launchFailed`` when Chromium is missing, exits early, or does not
    ///   answer within ``LaunchOptions/launchTimeout`` — with the tail of its stderr.
    ///
    /// Call ``close()`` before the process ends. When the host process dies without it (any signal,
    /// SIGKILL included), a watchdog ends the browser within 2 s and removes a temporary profile,
    /// unless ``LaunchOptions/closeWithHost`` is off.
    public static func launch(_ options: LaunchOptions = LaunchOptions()) async throws -> CDPBrowser {
        let executable = try findExecutable(options.executablePath)
        let fm = FileManager.default
        var temporaryProfile: String?
        let profile: String
        if let dir = options.userDataDirectory {
            try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            profile = dir
            if options.removeProfileWhenClosed { temporaryProfile = dir }
        } else {
            var template = Array((NSTemporaryDirectory() + "/shared-browser-profile-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw CDPError(.launchFailed, "cannot create a temporary profile directory")
            }
            profile = String(cString: made)
            temporaryProfile = profile
        }
        let portFile = profile + "/DevToolsActivePort"
        try? fm.removeItem(atPath: portFile)   // a stale file from an earlier run must not be read

        let pipe = options.transport == .pipe ? try CDPPipeEnds.make() : nil
        var arguments = defaultArguments + [
            pipe == nil ? "--remote-debugging-port=0" : "--remote-debugging-pipe", "--user-data-dir=\(profile)",
            "--window-size=\(options.windowSize.width),\(options.windowSize.height)",
        ]
        if options.headless { arguments += ["--headless=new", "--hide-scrollbars"] }
        if options.noSandbox ?? (geteuid() == 0) { arguments.append("--no-sandbox") }
        if options.unlimitedFrameRate { arguments.append("--disable-frame-rate-limit") }
        arguments += options.extraArguments
        arguments.append("about:blank")

        func cleanUp() { if let temporaryProfile { try? fm.removeItem(atPath: temporaryProfile) } }
        let process: ChildProcess
        do {
            process = try ChildProcess(executable: executable, arguments: arguments, watchdog: options.closeWithHost,
                                       removeOnOrphan: temporaryProfile, pipe: pipe?.browser)
        } catch {
            if let pipe { Glibc.close(pipe.host) }
            cleanUp()
            throw error
        }
        do {
            if let pipe {
                let connection = CDPConnection.open(pipe: pipe.host, options: options.connection)
                let browser = CDPBrowser(connection: connection, url: nil, process: process, temporaryProfile: temporaryProfile,
                                         options: options.connection)
                // The first answer says the browser is up; its exit before then fails this at once.
                do { _ = try await browser.session.send(Browser.GetVersion(), timeout: options.launchTimeout) } catch {
                    await connection.close()
                    // A process that closed its pipe is ending (it may not be dead yet): its exit says why.
                    let pipeClosed = (error as? CDPError)?.code == .connectionClosed
                    if process.isDead || pipeClosed, await process.waitForExit(timeout: .seconds(1)), let status = process.exitStatus {
                        throw CDPError(.launchFailed, "Chromium \(ChildProcess.describe(status: status)) before answering")
                    }
                    throw CDPError(.launchFailed, "Chromium did not answer within \(options.launchTimeout): \(error)")
                }
                return browser
            }
            let url = try await waitForPortFile(portFile, process: process, timeout: options.launchTimeout)
            let connection = try await CDPConnection.connect(to: url, options: options.connection)
            return CDPBrowser(connection: connection, url: url, process: process, temporaryProfile: temporaryProfile,
                              options: options.connection)
        } catch {
            process.signalGroup(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(5))
            cleanUp()
            var failure = error as? CDPError ?? CDPError(.launchFailed, "\(error)")
            if failure.code != .launchFailed { failure = CDPError(.launchFailed, "launching \(executable) failed: \(failure.message)") }
            failure.stderrTail = process.stderrTail
            throw failure
        }
    }

    private static func waitForPortFile(_ path: String, process: ChildProcess, timeout: Duration) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let lines = text.split(separator: "\n")
                if lines.count >= 2, let port = Int(lines[0]) {
                    return "ws://127.0.0.1:\(port)\(lines[1])"
                }
            }
            if let status = process.exitStatus {
                throw CDPError(.launchFailed, "Chromium \(ChildProcess.describe(status: status)) before opening its DevTools port")
            }
            if clock.now >= deadline {
                throw CDPError(.launchFailed, "Chromium did not open its DevTools port within \(timeout)")
            }
            // The file appears once, within a few hundred milliseconds; checking every 2 ms costs nothing.
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Attaches to a running browser, on this machine or elsewhere.
    ///
    /// - Parameter endpoint: `http(s)://host:port` (its `/json/version` names the browser's WebSocket
    ///   path) or the `ws(s)://host:port/...` URL itself: `ws://127.0.0.1:9222/devtools/browser/<id>`,
    ///   a grid's `wss://grid.example/session/<id>/se/cdp`, a provider's `wss://host/?token=...`.
    /// - Parameter options: deadlines, message cap, logger, and for remote endpoints the handshake
    ///   ``CDPConnection/Options/headers`` (a token) and ``CDPConnection/Options/trustedCertificatesFile``.
    ///
    /// A browser behind a proxy or a TLS front names itself in `/json/version` by the address it was
    /// asked on, over plain `ws://`; so the WebSocket goes to the endpoint's own host and port, over
    /// `wss://` when the endpoint is `https://`, with the path `/json/version` gave. The headers go
    /// nowhere else. Redirects are not followed.
    ///
    /// - Throws: ``CDPError/Code/invalidEndpoint`` for an endpoint of another kind, a header with a line
    ///   break, or a `/json/version` without a WebSocket URL; ``CDPError/Code/connectionClosed`` when
    ///   nothing answers, the handshake is refused (a wrong token) or the certificate is not trusted —
    ///   the message says which; ``CDPError/Code/timeout`` when it takes longer than
    ///   ``CDPConnection/Options/connectTimeout``.
    public static func attach(to endpoint: String, options: CDPConnection.Options = CDPConnection.Options()) async throws -> CDPBrowser {
        let url = try await webSocketURL(for: endpoint, options: options)
        let connection = try await CDPConnection.connect(to: url, options: options)
        let discoverable = endpoint.lowercased().hasPrefix("http://") || endpoint.lowercased().hasPrefix("https://")
        return CDPBrowser(connection: connection, url: url, process: nil, temporaryProfile: nil, options: options,
                          discoveryEndpoint: discoverable ? endpoint : nil)
    }

    /// The WebSocket URL behind `endpoint`: itself for `ws(s)://`, discovered for `http(s)://`.
    static func webSocketURL(for endpoint: String, options: CDPConnection.Options) async throws -> String {
        let lowered = endpoint.lowercased()
        if lowered.hasPrefix("ws://") || lowered.hasPrefix("wss://") { return endpoint }
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw CDPError(.invalidEndpoint, "expected http(s)://host:port or ws(s)://host:port/..., got \(redactedEndpoint(endpoint))")
        }
        guard var base = URLComponents(string: endpoint), let host = base.host, !host.isEmpty else {
            throw CDPError(.invalidEndpoint, "cannot read host and port from \(redactedEndpoint(endpoint))")
        }
        // /json/version beside the given path (a proxy may serve the browser under a prefix).
        let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        base.path = prefix + "/json/version"
        guard let versionURL = base.string else { throw CDPError(.invalidEndpoint, "cannot read \(redactedEndpoint(endpoint))") }
        var socketOptions = WebSocketConnection.Options()
        socketOptions.connectTimeout = options.connectTimeout
        socketOptions.headers = options.headers
        socketOptions.trustedCertificatesFile = options.trustedCertificatesFile
        let body: Data
        do { body = try await HTTPClient.get(versionURL, options: socketOptions).body } catch let error as WebSocketError {
            switch error.code {
            case .timeout: throw CDPError(.timeout, error.message)
            case .invalidURL, .invalidHeader: throw CDPError(.invalidEndpoint, error.message)
            default: throw CDPError(.connectionClosed, "cannot read \(redactedEndpoint(versionURL)): \(error.message)")
            }
        }
        struct Version: Decodable { var webSocketDebuggerUrl: String }
        guard let version = try? JSONDecoder().decode(Version.self, from: body),
              let discovered = try? WebSocketURL(parsing: version.webSocketDebuggerUrl) else {
            throw CDPError(.invalidEndpoint, "\(redactedEndpoint(versionURL)) names no webSocketDebuggerUrl")
        }
        let secure = lowered.hasPrefix("https://")
        let authority = WebSocketURL(host: host, port: base.port ?? (secure ? 443 : 80), path: "/", isSecure: secure).authority
        var path = discovered.path
        // A prefix the proxy serves the browser under, when the browser's own path lacks it.
        if !prefix.isEmpty, !path.hasPrefix(prefix + "/") { path = prefix + path }
        var query = ""
        if let items = base.percentEncodedQuery, !items.isEmpty, !path.contains("?") { query = "?" + items }
        return "\(secure ? "wss" : "ws")://\(authority)\(path)\(query)"
    }

    /// `endpoint` without its query and user part, where tokens often travel: for messages and logs.
    public static func redactedEndpoint(_ endpoint: String) -> String {
        guard var parts = URLComponents(string: endpoint) else {
            return String(endpoint.prefix { $0 != "?" })
        }
        if parts.query != nil { parts.percentEncodedQuery = "…" }
        parts.user = nil
        parts.password = nil
        return parts.string?.replacingOccurrences(of: "%E2%80%A6", with: "…") ?? String(endpoint.prefix { $0 != "?" })
    }

    /// Opens a new tab and attaches to it, returning its session.
    ///
    /// - Parameter url: the first URL of the tab.
    /// - Parameter newWindow: open it in a new window, so it stays foreground (and keeps painting)
    ///   while other tabs are in use.
    /// - Throws: ``CDPError`` from `Target.createTarget` or `Target.attachToTarget`.
    public func newPage(url: String = "about:blank", newWindow: Bool = false) async throws -> CDPSession {
        let target = try await session.send(Target.CreateTarget(url: url, newWindow: newWindow ? true : nil))
        let attached = try await session.send(Target.AttachToTarget(targetId: target.targetId, flatten: true))
        guard let page = connection.session(id: attached.sessionId) else {
            throw CDPError(.targetClosed, "the new target \(target.targetId) closed before it could be used",
                           method: Target.AttachToTarget.method)
        }
        return page
    }

    /// Closes a page's target.
    public func closePage(_ page: CDPSession) async throws {
        guard let targetId = page.targetId else { return }
        _ = try await session.send(Target.CloseTarget(targetId: targetId))
    }

    /// Lets go of a browser that died or cannot be reached: ends whatever is left of its processes and
    /// the connection, and keeps the profile (a temporary one too), so the browser can be launched on
    /// it again.
    public func abandon() async {
        guard !closing.withLock({ closing in defer { closing = true }; return closing }) else { return }
        connection.fail(with: CDPError(.browserCrashed, "the browser was abandoned"))
        if let process {
            process.signalGroup(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(3))
        }
        await connection.close()
    }

    /// Closes the browser (a launched one) or disconnects (an attached one).
    ///
    /// A launched browser is asked with `Browser.close`, then sent SIGTERM, then SIGKILL, each after a
    /// grace period; then any process left in its group is killed and a temporary profile is removed.
    public func close() async throws {
        guard !closing.withLock({ closing in defer { closing = true }; return closing }) else { return }
        guard let process else {
            await connection.close()
            return
        }
        if connection.closedError == nil {
            _ = try? await session.send(Browser.Close(), timeout: .seconds(2))
        }
        if !(await process.waitForExit(timeout: .seconds(3))) {
            process.signalGroup(SIGTERM)
            if !(await process.waitForExit(timeout: .seconds(3))) {
                process.signalGroup(SIGKILL)
                _ = await process.waitForExit(timeout: .seconds(5))
            }
        }
        process.signalGroup(SIGKILL)   // helpers that outlived the browser
        connection.fail(with: CDPError(.connectionClosed, "the browser was closed"))
        await connection.close()
        if let temporaryProfile { try? FileManager.default.removeItem(atPath: temporaryProfile) }
    }
}

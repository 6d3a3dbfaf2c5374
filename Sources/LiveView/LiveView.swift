public import Coordination
import EventBuffer
import Foundation
public import Logging
public import SharedSession
import SharedBrowserSupport
import WebSockets

/// What people see and do in the shared browser from a web page: the screen of the active tab, who
/// drives, the event log, the tabs, the URL and the errors; with the control link, Take over, input
/// and Hand back.
///
/// One HTTP + WebSocket server per session, on 127.0.0.1 and a free port by default, reached through
/// URLs that carry an unguessable token (``LiveViewAccess``): ``watchURL`` only watches, ``controlURL``
/// may also act. `Host` and `Origin` are checked on every request and upgrade. One screencast of the
/// active tab feeds every viewer, each at its own pace (a slow viewer gets the latest frame when it is
/// ready and never holds up another); it runs only while someone watches, and follows tab switches and
/// a relaunched browser.
///
/// ```swift
/// let view = try await session.liveView()
/// print("watch: \(view.watchURL!)\ncontrol: \(view.controlURL!)")
/// ```
///
/// The WebSocket protocol (`/ws?token=…`) is documented in the article "Humans in the loop", so other
/// programs can subscribe with the watch token.
public final class LiveView: Sendable {
    /// Where to listen and who acts.
    public struct Options: Sendable {
        /// The interface to listen on. `127.0.0.1` by default; anything else is an explicit choice to
        /// be reachable from elsewhere.
        public var host = "127.0.0.1"
        /// 0 lets the system choose.
        public var port = 0
        /// Who a viewer with the control link acts as.
        public var person = Participant.human("person")
        /// JPEG quality of the screen, 1-100.
        public var jpegQuality = 70
        /// The most connections at once (viewers and page loads). At the cap, a new connection takes
        /// the place of the one waiting longest without a request; when all are busy, it is closed as
        /// soon as it is accepted. Default 64.
        public var maxConnections = 64
        /// How long a client has to send a whole request (or its WebSocket upgrade), and the longest an
        /// HTTP connection may sit idle between requests; then it is closed. Whole seconds. Default 10 s.
        public var requestTimeout: Duration = .seconds(10)
        /// Serves Chrome DevTools for a person at ``LiveView/devToolsURL(tab:)``, behind the control
        /// token. Off by default. DevTools is full control of the tab: it bypasses turns, the
        /// JavaScript setting and the allowed URLs, and what is done through it is not recorded as
        /// actions (the timeline shows when it was open, with `devToolsOpened` and `devToolsClosed`).
        /// For a person debugging their own session; never hand the link to an agent.
        public var devTools = false
        /// Where refused connections and limits hit are logged. Default: nowhere.
        public var logger = Logger(label: "LiveView", factory: { _ in SwiftLogNoOpLogHandler() })
        /// The defaults: 127.0.0.1, a port the system chooses, `human:person`, JPEG quality 70, 64
        /// connections, 10 s per request.
        public init() {}
    }

    /// The watch and control tokens, and the links made from them.
    public let access: LiveViewAccess
    /// The options it was started with.
    public let options: Options
    /// The port the server listens on.
    public let port: Int
    let server: WebSocketServer
    let hub: ViewerHub
    let devTools: DevToolsBridges

    init(access: LiveViewAccess, options: Options, port: Int, server: WebSocketServer, hub: ViewerHub, devTools: DevToolsBridges) {
        self.access = access
        self.options = options
        self.port = port
        self.server = server
        self.hub = hub
        self.devTools = devTools
    }

    /// The address people open: `http://127.0.0.1:PORT`.
    public var baseURL: String {
        let host = options.host == "0.0.0.0" || options.host == "::" ? "127.0.0.1" : options.host
        return "http://\(host):\(port)"
    }

    /// The link that only watches; nil once revoked.
    public var watchURL: String? { access.token(for: .watch).map { "\(baseURL)/?token=\($0)" } }

    /// The link that may also take over and act; nil once revoked.
    public var controlURL: String? { access.token(for: .control).map { "\(baseURL)/?token=\($0)" } }

    /// What a person opens in a Chromium on this machine to inspect a tab (the active one when
    /// connecting, by default) with Chrome DevTools: `devtools://devtools/bundled/inspector.html?ws=…`,
    /// whose WebSocket is this server's `/devtools/page/<tab>` with the control token. nil unless
    /// ``Options/devTools`` is on, or once the control link is revoked. See ``Options/devTools`` for
    /// what it allows.
    public func devToolsURL(tab targetId: String? = nil) -> String? {
        guard options.devTools, let token = access.token(for: .control) else { return nil }
        let authority = baseURL.dropFirst("http://".count)
        let socket = "\(authority)/devtools/page\(targetId.map { "/\($0)" } ?? "")?token=\(token)"
        let encoded = socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".:/-_"))) ?? socket
        return "devtools://devtools/bundled/inspector.html?ws=\(encoded)"
    }

    /// Revokes a link and closes the viewers that came in through it (and, for the control link, any
    /// DevTools opened with it).
    public func revoke(_ grant: LiveViewAccess.Grant) {
        access.revoke(grant)
        hub.disconnect(grant)
        if grant == .control { devTools.closeAll(reason: "the control link was revoked") }
    }

    /// How many viewers are connected.
    public var viewerCount: Int { hub.count }

    /// Frames sent to viewers since the live view started.
    public var framesSent: Int { hub.counters.withLock { $0.framesSent } }
    /// Frames a viewer never got because a newer one replaced it while it drew the last (latest wins).
    public var framesDropped: Int { hub.counters.withLock { $0.framesDropped } }
    /// Events not sent to a viewer that was over 1 MiB behind (each such viewer is told how many).
    public var eventsDropped: Int { hub.counters.withLock { $0.eventsDropped } }

    /// How many connections were turned away since the live view started: closed at
    /// ``Options/maxConnections`` (the one waiting longest without a request, or the new one when
    /// all are busy), or with a request body too large.
    public var refusedConnections: Int { server.refusals.values.reduce(0, +) }

    /// Stops the server and the screencast (closing the session does too); a later
    /// `session.liveView()` starts a new one, with new links.
    public func stop() async {
        devTools.closeAll(reason: "the live view stopped")
        hub.stop()
        await server.stop()
        liveViews.withLock { views in
            if let key = views.first(where: { $0.value === self })?.key { views.removeValue(forKey: key) }
        }
    }

    static func start(session: SharedBrowserSession, options: Options) async throws -> LiveView {
        let access = LiveViewAccess()
        let hub = ViewerHub(session: session, person: options.person, quality: options.jpegQuality)
        let portBox = LockedValue(0)
        var configuration = WebSocketServer.Configuration()
        configuration.host = options.host
        configuration.port = options.port
        configuration.maxMessageSize = 64 << 10
        // A viewer that does not read is disconnected once this much waits for it (frames are latest
        // wins and events beyond `Viewer.eventBacklog` are dropped, so a reading viewer never gets near).
        configuration.maxQueuedBytes = 8 << 20
        configuration.maxConnections = options.maxConnections
        configuration.requestTimeout = options.requestTimeout
        configuration.logger = options.logger
        let listenHost = options.host
        let devTools = DevToolsBridges()
        let devToolsOn = options.devTools
        let person = options.person
        let server = try await WebSocketServer.start(configuration, onHTTP: { request in
            Self.answer(request, access: access, port: portBox.withLock { $0 }, listenHost: listenHost)
        }, onWebSocket: { request in
            let port = portBox.withLock { $0 }
            guard LiveViewAccess.hostAllowed(request.host, port: port, listenHost: listenHost) else { return nil }
            let path = request.pathWithoutQuery
            if devToolsOn, path == "/devtools/page" || path.hasPrefix("/devtools/page/") {
                // DevTools' own front end connects from devtools://devtools; only the control link may.
                guard request.origin == "devtools://devtools"
                        || LiveViewAccess.originAllowed(request.origin, port: port, listenHost: listenHost),
                      access.grant(for: request.formValues["token"]) == .control else { return nil }
                let tab = path.dropFirst("/devtools/page".count).drop { $0 == "/" }
                return devTools.open(session: session, tab: tab.isEmpty ? nil : String(tab), person: person)
            }
            guard LiveViewAccess.originAllowed(request.origin, port: port, listenHost: listenHost),
                  path == "/ws",
                  let grant = access.grant(for: request.formValues["token"]) else { return nil }
            return hub.newViewer(grant: grant)
        })
        portBox.withLock { $0 = server.port }
        let key = ObjectIdentifier(session)
        hub.start(onSessionClosed: {
            await server.stop()
            liveViews.withLock { _ = $0.removeValue(forKey: key) }
        })
        return LiveView(access: access, options: options, port: server.port, server: server, hub: hub, devTools: devTools)
    }

    /// The page and its two files; everything else is 404. Refused: a foreign `Host` (421), a foreign
    /// `Origin` (403), the page without a valid token (403).
    static func answer(_ request: WebSocketServer.Request, access: LiveViewAccess, port: Int, listenHost: String) -> WebSocketServer.HTTPResponse {
        guard LiveViewAccess.hostAllowed(request.host, port: port, listenHost: listenHost) else {
            return .init(status: request.host == nil ? 400 : 421, text: "this server answers only to its own address\n")
        }
        guard LiveViewAccess.originAllowed(request.origin, port: port, listenHost: listenHost) else {
            return .init(status: 403, text: "requests from other pages are refused\n")
        }
        let headers: [(name: String, value: String)] = [
            ("Content-Security-Policy", LiveViewPage.contentSecurityPolicy), ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"),
        ]
        switch request.pathWithoutQuery {
        case "/":
            guard access.grant(for: request.formValues["token"]) != nil else {
                return .init(status: 403, text: "a valid token is needed: use the live view link you were given\n")
            }
            return .init(contentType: "text/html; charset=utf-8", text: LiveViewPage.html, headers: headers)
        case "/app.js":
            return .init(contentType: "text/javascript; charset=utf-8", text: LiveViewPage.script, headers: headers)
        case "/app.css":
            return .init(contentType: "text/css; charset=utf-8", text: LiveViewPage.css, headers: headers)
        default:
            return .notFound(String(request.pathWithoutQuery))
        }
    }
}

/// The DevTools a live view serves, to close them together.
final class DevToolsBridges: Sendable {
    private let open = LockedValue<[ObjectIdentifier: DevToolsBridge]>([:])

    func open(session: SharedBrowserSession, tab: String?, person: Participant) -> DevToolsBridge {
        let bridge = DevToolsBridge(session: session, targetId: tab, person: person) { [open] closed in
            _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(closed)) }
        }
        open.withLock { $0[ObjectIdentifier(bridge)] = bridge }
        return bridge
    }

    func closeAll(reason: String) {
        open.withLock { Array($0.values) }.forEach { $0.close(reason: reason) }
    }
}

private let liveViews = LockedValue<[ObjectIdentifier: LiveView]>([:])
private let startingLiveViews = ActionQueue()

extension SharedBrowserSession {
    /// Starts the session's live view (once; later calls return the same one) and returns it with its
    /// links.
    ///
    /// - Throws: `WebSocketError` `listenFailed` when the address cannot be bound.
    public nonisolated func liveView(_ options: LiveView.Options = LiveView.Options()) async throws -> LiveView {
        await startingLiveViews.acquire()
        defer { startingLiveViews.release() }
        if let running = liveViews.withLock({ $0[ObjectIdentifier(self)] }) { return running }
        let view = try await LiveView.start(session: self, options: options)
        liveViews.withLock { $0[ObjectIdentifier(self)] = view }
        return view
    }
}

public import Logging
import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide libwebsockets context and its service thread.
///
/// Every ``WebSocketConnection`` and ``WebSocketServer`` in the process is served by one lws context
/// and one thread, started lazily by the first connection or server. The service thread does all lws
/// calls (through `LWS.swift`, the one file that speaks lws); other threads reach it by queueing a
/// request under a lock and waking it (the only thread-safe lws call). The client side is in
/// `WebSocketEventLoop+Client.swift`, the servers in `+Server.swift`, HTTP GETs in `+Fetch.swift`.
public final class WebSocketEventLoop: @unchecked Sendable {
    /// The loop every connection and server uses.
    public static let shared = WebSocketEventLoop()

    struct Shared {
        var context: LWSContext?
        var running = false
        var stopRequested = false
        var connects: [WebSocketConnection] = []
        var fetches: [HTTPFetch] = []
        var fetchAborts: [HTTPFetch] = []
        var writes: [WebSocketConnection] = []
        var serverStarts: [WebSocketServer] = []
        var serverStops: [WebSocketServer] = []
        var delayedResponses: [DelayedResponse] = []
        var adoptions: [(server: WebSocketServer, fd: Int32)] = []
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let shared = LockedValue(Shared())
    private let loggerBox = LockedValue(Logger(label: "WebSockets", factory: { _ in SwiftLogNoOpLogHandler() }))

    // Service-thread state: touched only on the service thread.
    /// The running context, for lws calls on the service thread.
    var context: LWSContext?
    var sockets: [LWSSocket: WebSocketConnection] = [:]
    /// The connection being started: lws calls back for it before its socket is known.
    var connecting: WebSocketConnection?
    var fetchMap: [LWSSocket: HTTPFetch] = [:]
    var connectingFetch: HTTPFetch?
    var clientVhost: LWSVhost?
    /// Client vhosts for TLS, by trusted-certificates file ("" for the system's only).
    var tlsVhosts: [String: LWSVhost] = [:]
    /// The one vhost every server's connections are adopted into; each connection is routed by the
    /// server that accepted it (``socketServers``), not by lws's vhost, which lws may change on upgrade.
    var serverVhost: LWSVhost?
    var servers: [ObjectIdentifier: WebSocketServer] = [:]
    var socketServers: [LWSSocket: WebSocketServer] = [:]
    /// Server connections waiting for a request (just accepted, or kept alive after a response), by
    /// when they began to wait: the first to go when a server is at its connection cap.
    var awaitingRequest: [LWSSocket: UInt64] = [:]
    var awaitingOrder: UInt64 = 0
    /// Server connections closed to make room, not yet gone.
    var evicted: Set<LWSSocket> = []
    var pendingUpgrades: [LWSSocket: any WebSocketHandler] = [:]
    var httpOut: [LWSSocket: OutgoingHTTP] = [:]
    var httpIncoming: [LWSSocket: (server: WebSocketServer, request: WebSocketServer.Request)] = [:]
    var httpDelayed: [LWSSocket: Int] = [:]
    var nextDelayToken = 0

    struct OutgoingHTTP {
        var response: WebSocketServer.HTTPResponse
        var headersSent = false
        var offset = 0
    }

    /// A response whose delay has passed, on its way back to the service thread.
    struct DelayedResponse: Sendable {
        // The socket is only compared and used on the service thread, after checking the token.
        var socket: LWSSocket
        var token: Int
        var response: WebSocketServer.HTTPResponse
    }

    static let maxRequestBody = 1 << 20

    private init() {}

    /// Where libwebsockets' own warnings and errors go, and this loop's diagnostics. Default: nowhere.
    public var logger: Logger {
        get { loggerBox.withLock { $0 } }
        set {
            loggerBox.withLock { $0 = newValue }
            LWSContext.setLogger(newValue)
        }
    }

    /// Starts the service thread if it is not running.
    func started() throws -> WebSocketEventLoop {
        try shared.withLock { s in
            if s.running { return }
            let context = try LWSContext(handler: self)
            guard let vhost = context.makeVhost("client", kind: .client, protocolName: LWSContext.clientProtocol) else {
                context.destroy()
                throw WebSocketError(.listenFailed, "libwebsockets could not create the client vhost")
            }
            clientVhost = vhost
            self.context = context
            s.context = context
            s.running = true
            s.stopRequested = false
            let thread = Thread { [self] in serviceLoop(context) }
            thread.name = "lws-service"
            thread.start()
        }
        return self
    }

    /// Closes every connection and server, stops the service thread and frees the lws context.
    /// The next connection or server starts it again.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = shared.withLock { s -> Bool in
                guard s.running else { return true }
                s.stopRequested = true
                s.stopWaiters.append(continuation)
                s.context?.cancelService()
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func serviceLoop(_ context: LWSContext) {
        while !shared.withLock({ $0.stopRequested }) {
            if !context.service() { break }
        }
        // Set `context = nil` under the lock before destroying, so no other thread can wake a freed
        // context (a use-after-free found in the spike).
        shared.withLock { $0.context = nil }
        context.destroy()
        self.context = nil
        for connection in sockets.values { connection.didCloseSocket(failure: "the WebSocket loop shut down") }
        sockets.removeAll()
        servers.removeAll()
        socketServers.removeAll()
        serverVhost = nil
        pendingUpgrades.removeAll()
        httpOut.removeAll()
        clientVhost = nil
        tlsVhosts.removeAll()
        for fetch in fetchMap.values { fetch.finish(.failure(WebSocketError(.connectFailed, "the WebSocket loop shut down"))) }
        fetchMap.removeAll()
        let (waiters, connects, starts, fetches) = shared.withLock { s in
            defer {
                s.running = false
                s.stopWaiters = []
                s.connects = []
                s.fetches = []
                s.fetchAborts = []
                s.writes = []
                s.serverStarts = []
                s.serverStops = []
            }
            return (s.stopWaiters, s.connects, s.serverStarts, s.fetches)
        }
        for connection in connects { connection.didCloseSocket(failure: "the WebSocket loop shut down") }
        for fetch in fetches { fetch.finish(.failure(WebSocketError(.connectFailed, "the WebSocket loop shut down"))) }
        for server in starts {
            server.startContinuation.withLock { $0.take() }?.resume(
                throwing: WebSocketError(.listenFailed, "the WebSocket loop shut down"))
        }
        waiters.forEach { $0.resume() }
    }

    // MARK: Requests from other threads

    func enqueue(_ body: (inout Shared) -> Void) {
        shared.withLock { s in
            body(&s)
            s.context?.cancelService()
        }
    }

    /// Queues a request that needs a running loop; false when the loop is stopping or stopped.
    private func enqueueIfRunning(_ body: (inout Shared) -> Void) -> Bool {
        shared.withLock { s -> Bool in
            guard s.running, !s.stopRequested, let context = s.context else { return false }
            body(&s)
            context.cancelService()
            return true
        }
    }

    func requestConnect(_ connection: WebSocketConnection) {
        if !enqueueIfRunning({ $0.connects.append(connection) }) {
            connection.didCloseSocket(failure: "the WebSocket loop is shutting down")
        }
    }

    func requestFetch(_ fetch: HTTPFetch) {
        if !enqueueIfRunning({ $0.fetches.append(fetch) }) {
            fetch.finish(.failure(WebSocketError(.connectFailed, "the WebSocket loop is shutting down")))
        }
    }

    func requestFetchAbort(_ fetch: HTTPFetch) { enqueue { $0.fetchAborts.append(fetch) } }
    func requestWrite(_ connection: WebSocketConnection) { enqueue { $0.writes.append(connection) } }
    func requestServerStart(_ server: WebSocketServer) { enqueue { $0.serverStarts.append(server) } }
    func requestServerStop(_ server: WebSocketServer) { enqueue { $0.serverStops.append(server) } }

    // MARK: Service thread

    private func drainRequests() {
        let (clientRequests, writes, starts, stops, delayed, adoptions, running) = shared.withLock { s in
            defer {
                s.connects.removeAll(keepingCapacity: true)
                s.fetches.removeAll()
                s.fetchAborts.removeAll()
                s.writes.removeAll(keepingCapacity: true)
                s.serverStarts.removeAll()
                s.serverStops.removeAll()
                s.delayedResponses.removeAll()
                s.adoptions.removeAll()
            }
            return ((s.connects, s.fetches, s.fetchAborts), s.writes, s.serverStarts, s.serverStops, s.delayedResponses,
                    s.adoptions, s.context != nil)
        }
        let (connects, fetches, fetchAborts) = clientRequests
        guard running, let context else {
            adoptions.forEach { close($0.fd) }
            return
        }
        adopt(adoptions)
        for item in delayed where httpDelayed[item.socket] == item.token {
            httpDelayed.removeValue(forKey: item.socket)
            httpOut[item.socket] = OutgoingHTTP(response: item.response)
            item.socket.requestWritable()
        }
        for connection in connects { startConnect(connection, context) }
        for fetch in fetches { startFetch(fetch, context) }
        for fetch in fetchAborts { fetch.io.socket?.kill() }
        for connection in writes {
            guard let socket = connection.io.socket else { continue }
            if connection.shared.withLock({ $0.abortRequested }) {
                socket.kill()
            } else {
                socket.requestWritable()
            }
        }
        for server in starts { startServer(server, context) }
        for server in stops { stopServer(server) }
    }

    /// What lws says about `socket`, answered by the part of the loop it concerns.
    func handle(_ socket: LWSSocket, _ event: LWSEvent) -> LWSAnswer {
        if event.isForHTTPClient, let fetch = fetch(for: socket) { return handleFetch(fetch, socket, event) }
        switch event {
        case .wake:
            drainRequests()
            return .ok
        case .appendHandshakeHeaders, .clientConnectionError, .clientEstablished, .receive, .writeable, .peerClose, .closed:
            return handleClient(socket, event)
        case .destroyed:
            closed(socket, failure: "connection destroyed")
            pendingUpgrades.removeValue(forKey: socket)
            httpOut.removeValue(forKey: socket)
            httpIncoming.removeValue(forKey: socket)
            httpDelayed.removeValue(forKey: socket)
            socketServers.removeValue(forKey: socket)
            awaitingRequest.removeValue(forKey: socket)
            evicted.remove(socket)
            return .lwsDefault
        case .upgradeRequested, .established, .httpRequest, .httpBody, .httpBodyComplete, .httpWriteable:
            return handleServer(socket, event)
        case .httpClientEstablished, .httpClientReadable, .httpClientBody, .httpClientCompleted, .httpClientClosed, .other:
            return .lwsDefault
        }
    }
}

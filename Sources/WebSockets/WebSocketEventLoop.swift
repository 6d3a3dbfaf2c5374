private import CLibWebSockets
public import Logging
import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide libwebsockets context and its service thread.
///
/// Every ``WebSocketConnection`` and ``WebSocketServer`` in the process is served by one lws context
/// and one thread, started lazily by the first connection or server. Only this file touches lws: the
/// service thread does all lws calls, and other threads reach it by queueing a request under a lock and
/// waking it with `lws_cancel_service` (the only thread-safe lws call).
public final class WebSocketEventLoop: @unchecked Sendable {
    /// The loop every connection and server uses.
    public static let shared = WebSocketEventLoop()

    struct Shared {
        var context: OpaquePointer?
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

    private let shared = LockedValue(Shared())
    private let loggerBox = LockedValue(Logger(label: "WebSockets", factory: { _ in SwiftLogNoOpLogHandler() }))

    // Service-thread state: touched only on the service thread.
    private var wsiMap: [OpaquePointer: WebSocketConnection] = [:]
    private var connecting: WebSocketConnection?
    private var fetchMap: [OpaquePointer: HTTPFetch] = [:]
    private var connectingFetch: HTTPFetch?
    /// Client vhosts for TLS, by trusted-certificates file ("" for the system's only).
    private var tlsVhosts: [String: OpaquePointer] = [:]
    /// The one vhost every server's connections are adopted into; each connection is routed by the
    /// server that accepted it (``wsiServers``), not by lws's vhost, which lws may change on upgrade.
    private var serverVhost: OpaquePointer?
    private var servers: [ObjectIdentifier: WebSocketServer] = [:]
    private var wsiServers: [OpaquePointer: WebSocketServer] = [:]
    private var pendingUpgrades: [OpaquePointer: any WebSocketHandler] = [:]
    private var httpOut: [OpaquePointer: OutgoingHTTP] = [:]
    private var httpIncoming: [OpaquePointer: (server: WebSocketServer, request: WebSocketServer.Request)] = [:]
    private var httpDelayed: [OpaquePointer: Int] = [:]
    private var nextDelayToken = 0

    struct OutgoingHTTP {
        var response: WebSocketServer.HTTPResponse
        var headersSent = false
        var offset = 0
    }

    /// A response whose delay has passed, on its way back to the service thread.
    struct DelayedResponse: @unchecked Sendable {
        // The pointer is only compared and used on the service thread, after checking the token.
        var wsi: OpaquePointer
        var token: Int
        var response: WebSocketServer.HTTPResponse
    }

    private static let maxRequestBody = 1 << 20
    private var clientVhost: OpaquePointer?
    private var writeBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 16)
    private var writeCapacity = 64 << 10
    private var cAllocations: [UnsafeMutableRawPointer] = []
    private var vhostCount = 0

    private init() {}

    /// Where libwebsockets' own warnings and errors go, and this loop's diagnostics. Default: nowhere.
    public var logger: Logger {
        get { loggerBox.withLock { $0 } }
        set {
            loggerBox.withLock { $0 = newValue }
            lwsLoggerBox.withLock { $0 = newValue }
        }
    }

    /// Starts the service thread if it is not running.
    func started() throws -> WebSocketEventLoop {
        try shared.withLock { s in
            if s.running { return }
            lws_set_log_level(Int32(LLL_ERR | LLL_WARN), lwsLogEmit)
            var info = lws_context_creation_info()
            info.options = UInt64(LWS_SERVER_OPTION_EXPLICIT_VHOSTS) | UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
            info.gid = -1
            info.uid = -1
            info.fd_limit_per_thread = 1024
            info.user = Unmanaged.passUnretained(self).toOpaque()
            guard let context = lws_create_context(&info) else {
                throw WebSocketError(.listenFailed, "libwebsockets could not create its context")
            }
            var vhostInfo = lws_context_creation_info()
            vhostInfo.port = CONTEXT_PORT_NO_LISTEN
            vhostInfo.protocols = UnsafePointer(makeProtocols(["sb-client"]))
            vhostInfo.vhost_name = UnsafePointer(cString("client"))
            guard let vhost = lws_create_vhost(context, &vhostInfo) else {
                lws_context_destroy(context)
                throw WebSocketError(.listenFailed, "libwebsockets could not create the client vhost")
            }
            clientVhost = vhost
            s.context = context
            s.running = true
            s.stopRequested = false
            let thread = Thread { [self] in serviceLoop() }
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
                if let context = s.context { lws_cancel_service(context) }
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func serviceLoop() {
        guard let context = shared.withLock({ $0.context }) else { return }
        while !shared.withLock({ $0.stopRequested }) {
            if lws_service(context, 0) < 0 { break }
        }
        // Set `context = nil` under the lock before destroying, so no other thread can wake a freed
        // context (a use-after-free found in the spike).
        shared.withLock { $0.context = nil }
        lws_context_destroy(context)
        for connection in wsiMap.values { connection.didCloseSocket(failure: "the WebSocket loop shut down") }
        wsiMap.removeAll()
        servers.removeAll()
        wsiServers.removeAll()
        serverVhost = nil
        pendingUpgrades.removeAll()
        httpOut.removeAll()
        clientVhost = nil
        tlsVhosts.removeAll()
        for fetch in fetchMap.values { fetch.finish(.failure(WebSocketError(.connectFailed, "the WebSocket loop shut down"))) }
        fetchMap.removeAll()
        cAllocations.forEach { free($0) }
        cAllocations.removeAll()
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

    private func enqueue(_ body: (inout Shared) -> Void) {
        shared.withLock { s in
            body(&s)
            if let context = s.context { lws_cancel_service(context) }
        }
    }

    /// Queues a request that needs a running loop; false when the loop is stopping or stopped.
    private func enqueueIfRunning(_ body: (inout Shared) -> Void) -> Bool {
        shared.withLock { s -> Bool in
            guard s.running, !s.stopRequested, let context = s.context else { return false }
            body(&s)
            lws_cancel_service(context)
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

    private func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(string)!
        cAllocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A zero-terminated protocol array that lives as long as the context.
    private func makeProtocols(_ names: [String]) -> UnsafeMutablePointer<lws_protocols> {
        let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: names.count + 1)
        cAllocations.append(UnsafeMutableRawPointer(protocols))
        for (index, name) in names.enumerated() {
            var p = lws_protocols()
            p.name = UnsafePointer(cString(name))
            p.callback = webSocketCallback
            p.rx_buffer_size = 64 << 10
            p.id = UInt32(index)
            protocols[index] = p
        }
        protocols[names.count] = lws_protocols()
        return protocols
    }

    private func drainRequests() {
        let (clientRequests, writes, starts, stops, delayed, adoptions, context) = shared.withLock { s in
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
                    s.adoptions, s.context)
        }
        let (connects, fetches, fetchAborts) = clientRequests
        guard let context else {
            adoptions.forEach { close($0.fd) }
            return
        }
        for (server, fd) in adoptions {
            // A connection accepted by the server's own listener becomes lws's, as if lws had accepted it.
            if servers[ObjectIdentifier(server)] != nil, let vhost = serverVhost, let wsi = lws_adopt_socket_vhost(vhost, fd) {
                wsiServers[wsi] = server
            } else {
                close(fd)
            }
        }
        for item in delayed where httpDelayed[item.wsi] == item.token {
            httpDelayed.removeValue(forKey: item.wsi)
            httpOut[item.wsi] = OutgoingHTTP(response: item.response)
            lws_callback_on_writable(item.wsi)
        }
        for connection in connects { startConnect(connection, context) }
        for fetch in fetches { startFetch(fetch, context) }
        for fetch in fetchAborts {
            if let wsi = fetch.io.wsi { lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC) }
        }
        for connection in writes {
            guard let wsi = connection.io.wsi else { continue }
            if connection.shared.withLock({ $0.abortRequested }) {
                lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            } else {
                lws_callback_on_writable(wsi)
            }
        }
        for server in starts { startServer(server, context) }
        for server in stops { stopServer(server) }
    }

    private func startConnect(_ connection: WebSocketConnection, _ context: OpaquePointer) {
        guard let url = connection.url else { return }
        if connection.shared.withLock({ $0.abortRequested }) {
            connection.didCloseSocket(failure: "connect to \(url) abandoned")
            return
        }
        let io = connection.io
        guard var info = connectInfo(url, connection.options, context, keep: { io.cStrings.append($0) }) else {
            connection.didCloseSocket(failure: "cannot use the trusted certificates in \(connection.options.trustedCertificatesFile ?? "the system's store") for \(url)")
            return
        }
        info.origin = connection.options.origin.map { s in let p = strdup(s)!; io.cStrings.append(p); return UnsafePointer(p) }
        connecting = connection
        let wsi = lws_client_connect_via_info(&info)
        connecting = nil
        if let wsi {
            if connection.closeInfo == nil {
                wsiMap[wsi] = connection
                io.wsi = wsi
            }
        } else {
            connection.didCloseSocket(failure: "could not start connecting to \(url)")
        }
    }

    private func startFetch(_ fetch: HTTPFetch, _ context: OpaquePointer) {
        guard fetch.continuation.withLock({ $0 != nil }) else { return }   // timed out or cancelled already
        let io = fetch.io
        guard var info = connectInfo(fetch.url, fetch.options, context, keep: { io.cStrings.append($0) }) else {
            fetch.finish(.failure(WebSocketError(.connectFailed, "cannot use the trusted certificates in \(fetch.options.trustedCertificatesFile ?? "the system's store") for \(fetch.display)")))
            return
        }
        let method = strdup("GET")!
        io.cStrings.append(method)
        info.method = UnsafePointer(method)
        info.ssl_connection |= Int32(LCCSCF_HTTP_NO_FOLLOW_REDIRECT.rawValue)
        connectingFetch = fetch
        let wsi = lws_client_connect_via_info(&info)
        connectingFetch = nil
        if let wsi {
            if fetch.continuation.withLock({ $0 != nil }) {
                fetchMap[wsi] = fetch
                io.wsi = wsi
            }
        } else {
            fetch.finish(.failure(WebSocketError(.connectFailed, "could not start connecting to \(fetch.display)")))
        }
    }

    /// The connect info for `url`: address, Host header, path, and TLS (a vhost trusting the options'
    /// certificates) for a secure URL. nil when the TLS vhost cannot be made.
    private func connectInfo(
        _ url: WebSocketURL, _ options: WebSocketConnection.Options, _ context: OpaquePointer,
        keep: (UnsafeMutablePointer<CChar>) -> Void
    ) -> lws_client_connect_info? {
        func kept(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            keep(p)
            return UnsafePointer(p)
        }
        var info = lws_client_connect_info()
        info.context = context
        if url.isSecure {
            guard let vhost = tlsVhost(context, trusting: options.trustedCertificatesFile) else { return nil }
            info.vhost = vhost
            info.ssl_connection = Int32(LCCSCF_USE_SSL.rawValue)
        } else {
            info.vhost = clientVhost
        }
        info.address = kept(url.host)
        info.port = Int32(url.port)
        info.path = kept(url.path)
        info.host = kept(url.authority)
        info.ietf_version_or_minus_one = -1
        info.local_protocol_name = kept("sb-client")
        return info
    }

    /// The client vhost for TLS connections that trust the system's authorities and `file`, made on
    /// first use (lws keeps one client TLS context per vhost).
    private func tlsVhost(_ context: OpaquePointer, trusting file: String?) -> OpaquePointer? {
        if let vhost = tlsVhosts[file ?? ""] { return vhost }
        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
        info.protocols = UnsafePointer(makeProtocols(["sb-client"]))
        info.vhost_name = UnsafePointer(cString("client-tls-\(tlsVhosts.count)"))
        if let file { info.client_ssl_ca_filepath = UnsafePointer(cString(file)) }
        guard let vhost = lws_create_vhost(context, &info) else { return nil }
        tlsVhosts[file ?? ""] = vhost
        return vhost
    }

    /// Servers listen on a socket of their own, not lws's: lws 4.1 does not close a vhost's listen
    /// socket when the vhost is destroyed (warmcat/libwebsockets#2327), so a stopped server would go on
    /// accepting connections. An accept thread hands each connection to lws with
    /// `lws_adopt_socket_vhost`; stopping shuts the socket down.
    private func startServer(_ server: WebSocketServer, _ context: OpaquePointer) {
        let config = server.configuration
        let continuation = server.startContinuation.withLock { $0.take() }
        let listener: (fd: Int32, port: Int)
        do { listener = try Self.listen(host: config.host, port: config.port) } catch {
            continuation?.resume(throwing: error)
            return
        }
        if serverVhost == nil {
            var info = lws_context_creation_info()
            info.port = CONTEXT_PORT_NO_LISTEN_SERVER   // fed by adoption, never the client vhost
            info.protocols = UnsafePointer(makeProtocols(["default"]))
            info.vhost_name = UnsafePointer(cString("servers"))
            serverVhost = lws_create_vhost(context, &info)
        }
        guard serverVhost != nil else {
            close(listener.fd)
            continuation?.resume(throwing: WebSocketError(.listenFailed, "libwebsockets could not create the server vhost"))
            return
        }
        servers[ObjectIdentifier(server)] = server
        server.listener.withLock { $0 = listener.fd }
        let acceptor = Thread { [self] in
            while true {
                let fd = Glibc.accept(listener.fd, nil, nil)
                if fd >= 0 {
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    // Headers and body go out as separate writes; without this, Nagle's algorithm holds
                    // the body back until the peer's delayed ACK (40 ms per response).
                    var on: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                    enqueue { $0.adoptions.append((server, fd)) }
                } else if errno != EINTR && errno != ECONNABORTED {
                    break   // shut down by stop()
                }
            }
            close(listener.fd)
        }
        acceptor.name = "ws-accept-\(listener.port)"
        acceptor.start()
        continuation?.resume(returning: listener.port)
    }

    private static func listen(host: String, port: Int) throws -> (fd: Int32, port: Int) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let address = result else {
            throw WebSocketError(.listenFailed, "cannot listen on \(host):\(port): not a numeric address")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw WebSocketError(.listenFailed, "cannot create a socket for \(host):\(port)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if address.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &yes, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0, Glibc.listen(fd, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw WebSocketError(.listenFailed, "cannot listen on \(host):\(port): \(reason)")
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let boundPort = withUnsafePointer(to: &bound) { pointer -> UInt16 in
            if address.pointee.ai_family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port.bigEndian }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port.bigEndian }
        }
        return (fd, Int(boundPort))
    }

    private func stopServer(_ server: WebSocketServer) {
        // Stop accepting first: the accept thread wakes, exits and closes the socket.
        if let fd = server.listener.withLock({ $0.take() }) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        servers.removeValue(forKey: ObjectIdentifier(server))
        for (wsi, owner) in wsiServers where owner === server {
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
        }
        server.stopContinuation.withLock { $0.take() }?.resume()
    }

    private func connection(for wsi: OpaquePointer, allowConnecting: Bool) -> WebSocketConnection? {
        if let connection = wsiMap[wsi] { return connection }
        if allowConnecting, let connection = connecting {
            wsiMap[wsi] = connection
            connection.io.wsi = wsi
            return connection
        }
        return nil
    }

    /// The GET request `wsi` belongs to, for the callbacks an HTTP client connection gets.
    private func fetch(for wsi: OpaquePointer, _ reason: lws_callback_reasons) -> HTTPFetch? {
        switch reason {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR, LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER,
             LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP, LWS_CALLBACK_RECEIVE_CLIENT_HTTP,
             LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ, LWS_CALLBACK_COMPLETED_CLIENT_HTTP,
             LWS_CALLBACK_CLOSED_CLIENT_HTTP, LWS_CALLBACK_WSI_DESTROY:
            if let fetch = fetchMap[wsi] { return fetch }
            guard let fetch = connectingFetch else { return nil }
            fetchMap[wsi] = fetch
            fetch.io.wsi = wsi
            return fetch
        default:
            return nil
        }
    }

    private func handleFetch(
        _ fetch: HTTPFetch, _ wsi: OpaquePointer, _ reason: lws_callback_reasons,
        _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        let io = fetch.io
        switch reason {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let detail = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "unknown error"
            let status = Int(lws_http_client_http_response(wsi))
            if (300..<600).contains(status) {
                fetch.finish(.failure(WebSocketError(.httpStatus, "\(fetch.display) answered HTTP \(status)")))
            } else {
                fetch.finish(.failure(WebSocketError(.connectFailed, "connecting to \(fetch.display) failed: \(detail)")))
            }
            return 0
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return appendHeaders(fetch.options.headers, wsi, input, length)
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
            io.status = Int(lws_http_client_http_response(wsi))
            if !(200..<300).contains(io.status) {
                fetch.finish(.failure(WebSocketError(.httpStatus, "\(fetch.display) answered HTTP \(io.status)")))
                return -1
            }
            return 0
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
            return cws_http_client_drain(wsi) < 0 ? -1 : 0
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            if let input, length > 0 {
                if io.body.count + length > HTTPClient.maxBodySize {
                    fetch.finish(.failure(WebSocketError(.messageTooLarge, "the answer from \(fetch.display) is over \(HTTPClient.maxBodySize) bytes")))
                    return -1
                }
                io.body.append(input.assumingMemoryBound(to: UInt8.self), count: length)
            }
            return 0
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
            fetch.finish(.success(HTTPClient.Response(status: io.status, body: io.body)))
            // The server may keep the connection open (Chromium's DevTools server does): close it.
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            return 0
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
            fetch.finish(.failure(WebSocketError(.connectionClosed, "\(fetch.display) closed the connection before the whole answer")))
            return 0
        default:   // LWS_CALLBACK_WSI_DESTROY
            fetchMap.removeValue(forKey: wsi)
            io.wsi = nil
            fetch.finish(.failure(WebSocketError(.connectionClosed, "the connection to \(fetch.display) ended before the whole answer")))
            return 0
        }
    }

    /// Writes `headers` into a client handshake (`input` is lws's `unsigned char **` write position).
    private func appendHeaders(
        _ headers: [(name: String, value: String)], _ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        guard let input, !headers.isEmpty else { return 0 }
        let end = cws_handshake_end(input, length)
        for header in headers {
            let name = header.name.hasSuffix(":") ? header.name : header.name + ":"
            if cws_append_client_header(wsi, input, end, name, header.value) != 0 { return -1 }
        }
        return 0
    }

    private func closed(_ wsi: OpaquePointer, failure: String?) {
        guard let connection = wsiMap.removeValue(forKey: wsi) else { return }
        connection.io.wsi = nil
        connection.didCloseSocket(failure: failure)
    }

    fileprivate func handle(
        _ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
        _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        if let fetch = fetch(for: wsi, reason) { return handleFetch(fetch, wsi, reason, input, length) }
        switch reason {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drainRequests()
            return 0

        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let connection = connection(for: wsi, allowConnecting: true) else { return 0 }
            return appendHeaders(connection.options.headers, wsi, input, length)

        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let detail = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "unknown error"
            let connection = connection(for: wsi, allowConnecting: true)
            let target = connection?.url?.description ?? "peer"
            closed(wsi, failure: "connecting to \(target) failed: \(detail)")
            return 0

        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            connection(for: wsi, allowConnecting: true)?.didEstablish()
            return 0

        case LWS_CALLBACK_CLIENT_RECEIVE, LWS_CALLBACK_RECEIVE:
            guard let connection = connection(for: wsi, allowConnecting: false) else { return -1 }
            return receive(connection, wsi, input, length)

        case LWS_CALLBACK_CLIENT_WRITEABLE, LWS_CALLBACK_SERVER_WRITEABLE:
            guard let connection = connection(for: wsi, allowConnecting: false) else { return 0 }
            return write(connection, wsi)

        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if let connection = connection(for: wsi, allowConnecting: false) {
                var code: UInt16 = 1005
                var text = ""
                if let input, length >= 2 {
                    let bytes = input.assumingMemoryBound(to: UInt8.self)
                    code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
                    text = String(decoding: UnsafeBufferPointer(start: bytes + 2, count: length - 2), as: UTF8.self)
                }
                connection.io.peerClose = WebSocketCloseInfo(code: code, reason: text, initiatedLocally: false)
            }
            return 0

        case LWS_CALLBACK_CLIENT_CLOSED, LWS_CALLBACK_CLOSED:
            closed(wsi, failure: nil)
            return 0

        case LWS_CALLBACK_WSI_DESTROY:
            closed(wsi, failure: "connection destroyed")
            pendingUpgrades.removeValue(forKey: wsi)
            httpOut.removeValue(forKey: wsi)
            httpIncoming.removeValue(forKey: wsi)
            httpDelayed.removeValue(forKey: wsi)
            wsiServers.removeValue(forKey: wsi)
            return lws_callback_http_dummy(wsi, reason, user, input, length)

        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            guard let server = server(for: wsi) else { return 1 }
            let request = WebSocketServer.Request(
                method: "GET", path: header(wsi, WSI_TOKEN_GET_URI).map { $0 + query(wsi) } ?? "/",
                headers: requestHeaders(wsi))
            guard let handler = server.onWebSocket(request) else { return 1 }
            pendingUpgrades[wsi] = handler
            return 0

        case LWS_CALLBACK_ESTABLISHED:
            guard let handler = pendingUpgrades.removeValue(forKey: wsi), let server = server(for: wsi) else { return -1 }
            var options = WebSocketConnection.Options()
            options.maxMessageSize = server.configuration.maxMessageSize
            let connection = WebSocketConnection(
                url: nil, description: "server:\(server.port) peer", options: options, handler: handler,
                loop: self, open: true)
            connection.io.wsi = wsi
            wsiMap[wsi] = connection
            handler.webSocketDidOpen(connection)
            return 0

        case LWS_CALLBACK_HTTP:
            guard let server = server(for: wsi) else { return -1 }
            let path = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "/"
            let isPost = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0
            let request = WebSocketServer.Request(
                method: isPost ? "POST" : "GET", path: path + query(wsi), headers: requestHeaders(wsi))
            if isPost {
                httpIncoming[wsi] = (server, request)   // answered when the body is complete
                return 0
            }
            return dispatchHTTP(wsi, server, request)

        case LWS_CALLBACK_HTTP_BODY:
            guard var incoming = httpIncoming[wsi] else { return 0 }
            if let input, length > 0 {
                if incoming.request.body.count + length > Self.maxRequestBody {
                    httpIncoming.removeValue(forKey: wsi)
                    return respond(wsi, .init(status: 413, text: "request body over 1 MiB\n"))
                }
                incoming.request.body.append(input.assumingMemoryBound(to: UInt8.self), count: length)
            }
            httpIncoming[wsi] = incoming
            return 0

        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            guard let incoming = httpIncoming.removeValue(forKey: wsi) else { return 0 }
            return dispatchHTTP(wsi, incoming.server, incoming.request)

        case LWS_CALLBACK_HTTP_WRITEABLE:
            return writeHTTP(wsi)

        default:
            return lws_callback_http_dummy(wsi, reason, user, input, length)
        }
    }

    private func server(for wsi: OpaquePointer) -> WebSocketServer? {
        guard let server = wsiServers[wsi], servers[ObjectIdentifier(server)] != nil else { return nil }
        return server
    }

    private func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = lws_hdr_total_length(wsi, token)
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        guard lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return string(from: buffer)
    }

    private func string(from buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func query(_ wsi: OpaquePointer) -> String {
        var parts: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        var index: Int32 = 0
        while lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index) > 0 {
            parts.append(string(from: buffer))
            index += 1
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    private func dispatchHTTP(_ wsi: OpaquePointer, _ server: WebSocketServer, _ request: WebSocketServer.Request) -> Int32 {
        let response = server.onHTTP(request)
        guard let delay = response.delay, delay > .zero else { return respond(wsi, response) }
        nextDelayToken += 1
        let item = DelayedResponse(wsi: wsi, token: nextDelayToken, response: response)
        httpDelayed[wsi] = item.token
        afterDelay(delay) { [self] in enqueue { $0.delayedResponses.append(item) } }
        return 0
    }

    /// Queues `response`; the headers and the body go out from HTTP_WRITEABLE.
    private func respond(_ wsi: OpaquePointer, _ response: WebSocketServer.HTTPResponse) -> Int32 {
        httpOut[wsi] = OutgoingHTTP(response: response)
        lws_callback_on_writable(wsi)
        return 0
    }

    private func writeHTTP(_ wsi: OpaquePointer) -> Int32 {
        guard var out = httpOut[wsi] else { return 0 }
        let body = out.response.body
        if !out.headersSent {
            let pre = cws_pre()
            var headerBuffer = [UInt8](repeating: 0, count: pre + 4096)
            let names = out.response.headers.map { strdup($0.name.hasSuffix(":") ? $0.name : $0.name + ":") }
            let values = out.response.headers.map { strdup($0.value) }
            defer { (names + values).forEach { free($0) } }
            var namePointers = names.map { UnsafePointer($0) }
            var valuePointers = values.map { UnsafePointer($0) }
            let failed = headerBuffer.withUnsafeMutableBufferPointer { buffer in
                cws_write_http_headers(
                    wsi, UInt32(out.response.status), out.response.contentType, UInt(body.count),
                    &namePointers, &valuePointers, Int32(names.count), buffer.baseAddress! + pre, 4096)
            }
            if failed != 0 {
                httpOut.removeValue(forKey: wsi)
                return -1
            }
            out.headersSent = true
            if body.isEmpty {
                httpOut.removeValue(forKey: wsi)
                return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
            }
            httpOut[wsi] = out
            lws_callback_on_writable(wsi)
            return 0
        }
        let chunk = min(64 << 10, body.count - out.offset)
        let final = out.offset + chunk == body.count
        let payload = ensureWriteBuffer(chunk)
        body.copyBytes(to: payload.assumingMemoryBound(to: UInt8.self), from: out.offset..<(out.offset + chunk))
        let written = lws_write(
            wsi, payload.assumingMemoryBound(to: UInt8.self), chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        if written < 0 {
            httpOut.removeValue(forKey: wsi)
            return -1
        }
        if final {
            httpOut.removeValue(forKey: wsi)
            return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
        }
        out.offset += chunk
        httpOut[wsi] = out
        lws_callback_on_writable(wsi)
        return 0
    }

    private func requestHeaders(_ wsi: OpaquePointer) -> [String: String] {
        let tokens: [(String, lws_token_indexes)] = [
            ("host", WSI_TOKEN_HOST), ("origin", WSI_TOKEN_ORIGIN), ("cookie", WSI_TOKEN_HTTP_COOKIE),
            ("content-type", WSI_TOKEN_HTTP_CONTENT_TYPE), ("user-agent", WSI_TOKEN_HTTP_USER_AGENT),
            ("referer", WSI_TOKEN_HTTP_REFERER), ("authorization", WSI_TOKEN_HTTP_AUTHORIZATION),
        ]
        var headers: [String: String] = [:]
        for (name, token) in tokens {
            if let value = header(wsi, token) { headers[name] = value }
        }
        return headers
    }

    /// Returns a pointer `LWS_PRE` bytes into a buffer with room for `count` payload bytes.
    private func ensureWriteBuffer(_ count: Int) -> UnsafeMutableRawPointer {
        let needed = cws_pre() + count
        if needed > writeCapacity {
            writeBuffer.deallocate()
            writeCapacity = max(needed, writeCapacity * 2)
            writeBuffer = .allocate(byteCount: writeCapacity, alignment: 16)
        }
        return writeBuffer + cws_pre()
    }

    private func shrinkWriteBufferIfHuge() {
        if writeCapacity > 8 << 20 {
            writeBuffer.deallocate()
            writeCapacity = 64 << 10
            writeBuffer = .allocate(byteCount: writeCapacity, alignment: 16)
        }
    }

    private func receive(
        _ connection: WebSocketConnection, _ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ length: Int
    ) -> Int32 {
        let io = connection.io
        let first = io.rx.isEmpty
        if io.discardingMessage { return 0 }
        if io.rx.count + length > connection.options.maxMessageSize {
            connection.messageTooLarge(size: io.rx.count + length)
            return 0
        }
        if first { io.rxBinary = lws_frame_is_binary(wsi) != 0 }
        let final = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0
        let message: Data
        if final && first {
            message = length > 0 ? Data(bytes: input!, count: length) : Data()
        } else {
            if let input, length > 0 { io.rx.append(input.assumingMemoryBound(to: UInt8.self), count: length) }
            guard final else { return 0 }
            message = io.rx
            io.rx = Data()
        }
        connection.handler.webSocket(connection, didReceive: WebSocketMessage(data: message, isBinary: io.rxBinary))
        return 0
    }

    private func write(_ connection: WebSocketConnection, _ wsi: OpaquePointer) -> Int32 {
        switch connection.nextWrite() {
        case .nothing:
            return 0
        case .abort:
            return -1
        case .closeFrame(let code, let reason):
            var bytes = Array(reason.utf8.prefix(123))
            lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), &bytes, bytes.count)
            return -1
        case .message(let message, let more):
            let count = message.data.count
            let payload = ensureWriteBuffer(count)
            message.data.copyBytes(to: payload.assumingMemoryBound(to: UInt8.self), count: count)
            let written = lws_write(
                wsi, payload.assumingMemoryBound(to: UInt8.self), count,
                message.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT)
            shrinkWriteBufferIfHuge()
            if written < 0 { return -1 }
            if more { lws_callback_on_writable(wsi) }
            return 0
        }
    }
}

private let lwsLoggerBox = LockedValue<Logger?>(nil)

private func lwsLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line, let logger = lwsLoggerBox.withLock({ $0 }) else { return }
    let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    if level & Int32(LLL_ERR) != 0 { logger.error("lws: \(text)") } else { logger.debug("lws: \(text)") }
}

private func webSocketCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let raw = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    let loop = Unmanaged<WebSocketEventLoop>.fromOpaque(raw).takeUnretainedValue()
    return loop.handle(wsi, reason, user, input, length)
}

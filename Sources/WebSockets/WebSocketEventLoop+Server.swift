import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// The loop's servers: a listening socket of their own, connections adopted into lws, WebSocket
/// upgrades and HTTP requests answered by the server's handlers.
extension WebSocketEventLoop {
    /// Servers listen on a socket of their own, not lws's: lws 4.1 does not close a vhost's listen
    /// socket when the vhost is destroyed (warmcat/libwebsockets#2327), so a stopped server would go on
    /// accepting connections. An accept thread hands each connection to lws by adoption; stopping
    /// shuts the socket down.
    func startServer(_ server: WebSocketServer, _ context: LWSContext) {
        let config = server.configuration
        let continuation = server.startContinuation.withLock { $0.take() }
        let listener: (fd: Int32, port: Int)
        do { listener = try Self.listen(host: config.host, port: config.port) } catch {
            continuation?.resume(throwing: error)
            return
        }
        if serverVhost == nil {
            serverVhost = context.makeVhost("servers", kind: .adoptedServers, protocolName: "default")
        }
        guard serverVhost != nil else {
            close(listener.fd)
            continuation?.resume(throwing: WebSocketError(.listenFailed, "libwebsockets could not create the server vhost"))
            return
        }
        servers[ObjectIdentifier(server)] = server
        server.listener.withLock { $0 = listener.fd }
        let acceptor = Thread { [self] in
            var backoff: UInt32 = 0
            while true {
                let fd = Glibc.accept(listener.fd, nil, nil)
                if fd >= 0 {
                    backoff = 0
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    // Headers and body go out as separate writes; without this, Nagle's algorithm holds
                    // the body back until the peer's delayed ACK (40 ms per response).
                    var on: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                    enqueue { $0.adoptions.append((server, fd)) }
                } else if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    // Out of descriptors or memory for now (a flood of connections): the listener goes
                    // on once some are freed, waiting a little longer each time (at most 100 ms).
                    backoff = min(100_000, max(1_000, backoff * 2))
                    usleep(backoff)
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

    /// A connection accepted by a server's own listener becomes lws's, as if lws had accepted it, and
    /// has ``WebSocketServer/Configuration/requestTimeout`` to send its request. At the server's
    /// ``WebSocketServer/Configuration/maxConnections``, the connection that has waited longest
    /// without sending a request is closed to make room (so idle connections cannot keep a client
    /// with a request out); when every one is busy, the new one is closed instead.
    func adopt(_ adoptions: [(server: WebSocketServer, fd: Int32)]) {
        for (server, fd) in adoptions {
            guard servers[ObjectIdentifier(server)] != nil else {
                close(fd)
                continue
            }
            let open = socketServers.reduce(0) { $0 + ($1.value === server && !evicted.contains($1.key) ? 1 : 0) }
            if open >= server.configuration.maxConnections {
                let oldest = awaitingRequest.filter { socketServers[$0.key] === server }.min { $0.value < $1.value }?.key
                guard let oldest else {
                    close(fd)
                    server.refused(.tooManyConnections)
                    continue
                }
                awaitingRequest.removeValue(forKey: oldest)
                evicted.insert(oldest)
                oldest.kill()
                server.refused(.idleConnectionClosed)
            }
            if let socket = serverVhost?.adopt(fd) {
                socketServers[socket] = server
                socket.closeAfter(server.configuration.requestTimeout)
                awaitRequest(socket)
            } else {
                close(fd)
                server.refused(.tooManyConnections)
            }
        }
    }

    static func listen(host: String, port: Int) throws -> (fd: Int32, port: Int) {
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

    func stopServer(_ server: WebSocketServer) {
        // Stop accepting first: the accept thread wakes, exits and closes the socket.
        if let fd = server.listener.withLock({ $0.take() }) { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        servers.removeValue(forKey: ObjectIdentifier(server))
        for (socket, owner) in socketServers where owner === server { socket.kill() }
        server.stopContinuation.withLock { $0.take() }?.resume()
    }

    /// The running server that accepted `socket`.
    private func server(for socket: LWSSocket) -> WebSocketServer? {
        guard let server = socketServers[socket], servers[ObjectIdentifier(server)] != nil else { return nil }
        return server
    }

    func handleServer(_ socket: LWSSocket, _ event: LWSEvent) -> LWSAnswer {
        switch event {
        case .upgradeRequested:
            awaitingRequest.removeValue(forKey: socket)
            guard let server = server(for: socket) else { return .refuse }
            let request = WebSocketServer.Request(method: "GET", path: socket.upgradePath.map { $0 + socket.query } ?? "/",
                                                  headers: socket.requestHeaders)
            guard let handler = server.onWebSocket(request) else { return .refuse }
            pendingUpgrades[socket] = handler
            return .ok

        case .established:
            guard let handler = pendingUpgrades.removeValue(forKey: socket), let server = server(for: socket) else { return .close }
            var options = WebSocketConnection.Options()
            options.maxMessageSize = server.configuration.maxMessageSize
            options.maxQueuedBytes = server.configuration.maxQueuedBytes
            socket.closeAfter(nil)   // the request is whole; an open WebSocket has no deadline
            let connection = WebSocketConnection(
                url: nil, description: "server:\(server.port) peer", options: options, handler: handler, loop: self, open: true)
            connection.io.socket = socket
            sockets[socket] = connection
            handler.webSocketDidOpen(connection)
            return .ok

        case .httpRequest(let path):
            awaitingRequest.removeValue(forKey: socket)
            guard let server = server(for: socket) else { return .close }
            let isPost = socket.isPost
            let request = WebSocketServer.Request(method: isPost ? "POST" : "GET", path: path + socket.query, headers: socket.requestHeaders)
            if isPost {
                httpIncoming[socket] = (server, request)   // answered when the body is complete
                return .ok
            }
            return dispatchHTTP(socket, server, request)

        case .httpBody(let bytes):
            guard var incoming = httpIncoming[socket] else { return .ok }
            if incoming.request.body.count + bytes.count > Self.maxRequestBody {
                httpIncoming.removeValue(forKey: socket)
                incoming.server.refused(.requestTooLarge)
                return respond(socket, .init(status: 413, text: "request body over 1 MiB\n"))
            }
            incoming.request.body.append(contentsOf: bytes)
            httpIncoming[socket] = incoming
            return .ok

        case .httpBodyComplete:
            guard let incoming = httpIncoming.removeValue(forKey: socket) else { return .ok }
            return dispatchHTTP(socket, incoming.server, incoming.request)

        case .httpWriteable:
            return writeHTTP(socket)

        default:
            return .lwsDefault
        }
    }

    private func dispatchHTTP(_ socket: LWSSocket, _ server: WebSocketServer, _ request: WebSocketServer.Request) -> LWSAnswer {
        socket.closeAfter(nil)   // the request is whole: the response is ours to send
        let response = server.onHTTP(request)
        guard let delay = response.delay, delay > .zero else { return respond(socket, response) }
        nextDelayToken += 1
        let item = DelayedResponse(socket: socket, token: nextDelayToken, response: response)
        httpDelayed[socket] = item.token
        afterDelay(delay) { [self] in enqueue { $0.delayedResponses.append(item) } }
        return .ok
    }

    /// Queues `response`; the headers and the body go out when the socket may write.
    private func respond(_ socket: LWSSocket, _ response: WebSocketServer.HTTPResponse) -> LWSAnswer {
        httpOut[socket] = OutgoingHTTP(response: response)
        socket.requestWritable()
        return .ok
    }

    /// Writes the headers, then the body in 64 KiB pieces, one per writable callback.
    private func writeHTTP(_ socket: LWSSocket) -> LWSAnswer {
        guard var out = httpOut[socket], let context else { return .ok }
        let body = out.response.body
        if !out.headersSent {
            guard socket.writeHTTPHeaders(status: out.response.status, contentType: out.response.contentType,
                                          contentLength: body.count, headers: out.response.headers) else {
                httpOut.removeValue(forKey: socket)
                return .close
            }
            out.headersSent = true
            if body.isEmpty {
                httpOut.removeValue(forKey: socket)
                return completeTransaction(socket)
            }
            httpOut[socket] = out
            socket.requestWritable()
            return .ok
        }
        let chunk = min(64 << 10, body.count - out.offset)
        let final = out.offset + chunk == body.count
        guard socket.write(body, range: out.offset..<(out.offset + chunk), final ? .httpFinal : .http, in: context) else {
            httpOut.removeValue(forKey: socket)
            return .close
        }
        if final {
            httpOut.removeValue(forKey: socket)
            return completeTransaction(socket)
        }
        out.offset += chunk
        httpOut[socket] = out
        socket.requestWritable()
        return .ok
    }

    /// Ends a response; a kept-alive connection then has the request deadline for its next request.
    private func completeTransaction(_ socket: LWSSocket) -> LWSAnswer {
        guard socket.completeHTTPTransaction() else { return .close }
        if let server = server(for: socket) {
            socket.closeAfter(server.configuration.requestTimeout)
            awaitRequest(socket)
        }
        return .ok
    }

    /// `socket` waits for a request from now on.
    private func awaitRequest(_ socket: LWSSocket) {
        awaitingOrder += 1
        awaitingRequest[socket] = awaitingOrder
    }
}

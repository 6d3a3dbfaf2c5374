import Coordination
import Foundation
import Logging
import MCP
import NIOCore
import NIOHTTP1
import NIOPosix
import SharedBrowserSupport
import SharedSession

/// MCP over Streamable HTTP at `/mcp`: each client's MCP session gets its own server and transport
/// (``ClientSession``) and acts as its own participant; every request must carry
/// the bearer token, a `Host` naming this server and no foreign `Origin`.
actor HTTPEndpoint {
    struct Client {
        let transport: ClientSession
        let server: Server
        let name: ClientName
    }

    /// What one client may hold of the server.
    struct Limits: Sendable {
        /// Connections open at once. At the cap, a new connection takes the place of the one that has
        /// waited longest without sending a request; when all are busy, it is closed as soon as it is
        /// accepted.
        var maxConnections = 256
        /// How long a connection may take to send a whole request (headers and body), and stay idle
        /// between requests; then it is closed. A response being streamed (an event stream) is not idle.
        var requestTimeout: Duration = .seconds(10)
        /// MCP clients (sessions of the protocol) at once; one more `initialize` is answered 503 until
        /// one ends its session or its event stream closes.
        var maxClients = 64
        /// How long a client may send nothing, with no event stream open and no request unanswered,
        /// before it is taken as gone: its MCP session ends and any turn it held passes on.
        var clientIdleTimeout: Duration = .seconds(300)
    }

    let host: String
    let token: String
    let registry: SessionRegistry
    nonisolated let limits: Limits
    /// The connections open now.
    private nonisolated let connections = LockedValue(0)
    /// Requests and connections turned away, by reason.
    private nonisolated let refused = RefusalCounter<String>()
    /// Connections waiting for a request (accepted, or idle between requests), by when they began to
    /// wait: the first to go at the cap.
    nonisolated let waiting = IdleConnections()
    /// More `Host` values accepted (`--allowed-host`): a name alone allows it on any port.
    let allowedHosts: [String]
    private(set) var port = 0
    private var clients: [String: Client] = [:]
    /// Ids of each client's requests not yet answered.
    private var inFlight: [String: Set<String>] = [:]
    /// When each client last sent a request.
    private var lastSeen: [String: ContinuousClock.Instant] = [:]
    /// Each client's open event streams and requests being answered: while it has one, it is not idle.
    private var busy: [String: Int] = [:]
    private var sweeper: Task<Void, Never>?
    private var channel: (any Channel)?
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(host: String, port: Int, token: String, registry: SessionRegistry, allowedHosts: [String] = [], limits: Limits = Limits()) {
        self.allowedHosts = allowedHosts
        self.limits = limits
        self.host = host
        self.port = port
        self.token = token
        self.registry = registry
    }

    /// Listens; returns the port.
    func start() async throws -> Int {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                // At the cap: the connection waiting longest for its request makes room, or, when all
                // are busy, this one is closed at once, before anything is read.
                var victim: (any Channel)?
                let admitted = connections.withLock { count -> Bool in
                    guard count >= self.limits.maxConnections else {
                        count += 1
                        return true
                    }
                    victim = self.waiting.takeOldest()
                    guard victim != nil else { return false }
                    count += 1   // the evicted one counts down when it is gone
                    return true
                }
                guard admitted else {
                    self.countRefusal("too_many_connections")
                    return channel.close()
                }
                if let victim {
                    victim.close(promise: nil)
                    self.countRefusal("idle_connection_closed")
                }
                let waiting = self.waiting
                channel.closeFuture.whenComplete { [connections] _ in
                    connections.withLock { $0 -= 1 }
                    waiting.remove(channel)
                }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
                    let timeout = self.limits.requestTimeout.components
                    return channel.pipeline.addHandler(RequestHandler(
                        endpoint: self, waiting: self.waiting, timeout: .nanoseconds(timeout.seconds * 1_000_000_000 + timeout.attoseconds / 1_000_000_000)))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        self.channel = channel
        port = channel.localAddress?.port ?? port
        let idle = limits.clientIdleTimeout
        sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: min(idle / 4, .seconds(5)))
                await self?.forgetIdleClients()
            }
        }
        return port
    }

    /// Ends the MCP session of every client idle for longer than ``Limits/clientIdleTimeout``.
    private func forgetIdleClients() async {
        let now = ContinuousClock.now
        let idle = clients.keys.filter { id in
            (busy[id] ?? 0) == 0 && (lastSeen[id].map { $0.duration(to: now) > limits.clientIdleTimeout } ?? true)
        }
        for id in idle {
            await forget(id)
            ServerLog.limits.notice("an idle MCP client was let go", metadata: [
                "client": "\(id.prefix(6))", "idle_timeout_s": "\(limits.clientIdleTimeout.components.seconds)"])
        }
    }

    /// The client `id` began (`true`) or finished something that keeps it from being idle: an event
    /// stream, or a request being answered.
    /// Nothing is kept for a client that has gone (its stream may end after its session did).
    func setBusy(_ id: String, _ started: Bool) {
        guard clients[id] != nil, started || busy[id] != nil else { return }
        lastSeen[id] = .now
        busy[id, default: 0] += started ? 1 : -1
        if busy[id] == 0 { busy.removeValue(forKey: id) }
    }

    /// Counts a refusal, and logs the first of each reason and every 100th after.
    nonisolated func countRefusal(_ reason: String) {
        guard let count = refused.count(reason) else { return }
        ServerLog.limits.notice("refused", metadata: [
            "door": "mcp", "reason": "\(reason)", "refused_so_far": "\(count)",
            "max_connections": "\(limits.maxConnections)", "max_clients": "\(limits.maxClients)",
        ])
    }

    /// `GET /metrics`: the server's state as Prometheus text.
    func metrics() async -> String {
        let door = MetricsText.Door(connections: connections.withLock { $0 }, clients: clients.count, refused: refused.all)
        return MetricsText.render(door: door, sessions: await registry.all)
    }

    /// Why a request is refused before MCP sees it, if it is. `/metrics` is behind the same token.
    func refusal(path: Substring, headers: HTTPHeaders) -> (HTTPResponseStatus, String)? {
        guard path == "/mcp" || path == "/metrics" else { return (.notFound, "not found: the MCP endpoint is /mcp") }
        let hostHeader = headers.first(name: "host") ?? ""
        let given = hostHeader.lowercased()
        // The name without its port (`[::1]:8931` -> `[::1]`).
        let name = given.hasPrefix("[") ? String(given.prefix { $0 != "]" }) + "]" : String(given.prefix { $0 != ":" })
        let allowed = ["\(host):\(port)", "127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"] + allowedHosts
        guard allowed.contains(given) || allowedHosts.contains(name) else {
            return (.misdirectedRequest, "Host \"\(hostHeader)\" does not name this server")
        }
        if let origin = headers.first(name: "origin"), origin != "http://\(hostHeader)" {
            return (.forbidden, "requests from \(origin) are not accepted")
        }
        let authorization = headers.first(name: "authorization") ?? ""
        guard constantTimeEquals(authorization, "Bearer " + token) else {
            return (.unauthorized, "a bearer token is required (Authorization: Bearer TOKEN)")
        }
        return nil
    }


    /// Hands an MCP request to its client's transport (a new client for an `initialize` without a
    /// session id).
    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let id = request.header(HTTPHeaderName.sessionID)
        if let id {
            guard let client = clients[id] else {
                return .error(statusCode: 404, .invalidRequest("no MCP session \(id): initialize again"))
            }
            lastSeen[id] = .now
            let response = await client.transport.handle(request)
            if request.method == "DELETE" { await forget(id) }
            return response
        }
        guard request.method == "POST", let body = request.body,
              String(decoding: body, as: UTF8.self).contains("\"initialize\"") else {
            return .error(statusCode: 400, .invalidRequest("no MCP session: send initialize first"))
        }
        guard clients.count < limits.maxClients else {
            countRefusal("too_many_clients")
            return .error(statusCode: 503, .invalidRequest("too many MCP clients (\(limits.maxClients)): try again when one has left"))
        }
        let sessionId = UUID().uuidString.lowercased()
        let name = ClientName(suffix: String(sessionId.prefix(6)))
        let transport = ClientSession(sessionID: sessionId)
        let server = await MCPServerFactory.make(registry: registry, client: name)
        do {
            try await server.start(transport: transport) { info, _ in name.set(info.name) }
        } catch {
            return .error(statusCode: 500, .internalError("cannot start an MCP session: \(error)"))
        }
        clients[sessionId] = Client(transport: transport, server: server, name: name)
        lastSeen[sessionId] = .now
        return await transport.handle(request)
    }

    /// Marks request `request` of `client` as in flight; false when one with that id is already.
    func begin(client: String, request: String) -> Bool {
        inFlight[client, default: []].insert(request).inserted
    }

    /// Request `request` of `client` was answered.
    func end(client: String, request: String) {
        inFlight[client]?.remove(request)
        if inFlight[client]?.isEmpty == true { inFlight.removeValue(forKey: client) }
    }

    /// A client ended its session, or its connection went: its turn goes to the next in line.
    func forget(_ id: String) async {
        inFlight.removeValue(forKey: id)
        lastSeen.removeValue(forKey: id)
        busy.removeValue(forKey: id)
        guard let client = clients.removeValue(forKey: id) else { return }
        await registry.release(client.name.participant)
        await client.server.stop()
    }

    /// The client's event stream (`GET`) closed: it is gone.
    func streamClosed(_ id: String) async {
        await forget(id)
    }

    func stop() async {
        sweeper?.cancel()
        for id in Array(clients.keys) { await forget(id) }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}

/// One HTTP connection: each request is read whole and answered (streamed for SSE, chunked); the
/// connection stays open for the next one unless the client asks to close it.
private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    // `@unchecked`: the fields are touched only on the channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let endpoint: HTTPEndpoint
    let waiting: IdleConnections
    /// How long a request may take to arrive whole, or the connection stay idle between requests.
    let timeout: TimeAmount
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// Closes the connection when the request (or the next one) is not complete in time.
    private var deadline: Scheduled<Void>?
    /// The body is over ``RequestLimits/maxBody``: what comes of it is dropped, and the answer is 413.
    private var oversize = false

    init(endpoint: HTTPEndpoint, waiting: IdleConnections, timeout: TimeAmount) {
        self.endpoint = endpoint
        self.waiting = waiting
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) { arm(context.channel) }

    func handlerRemoved(context: ChannelHandlerContext) { deadline?.cancel() }

    /// Starts the clock for the next request: a connection that has not sent it whole by then is closed.
    private func arm(_ channel: any Channel) {
        waiting.add(channel)
        deadline?.cancel()
        deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            waiting.remove(context.channel)
            self.head = head
            body.clear()
            oversize = (head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0) > RequestLimits.maxBody
        case .body(var chunk):
            guard !oversize else { return }
            if body.readableBytes + chunk.readableBytes <= RequestLimits.maxBody {
                body.writeBuffer(&chunk)
            } else {
                oversize = true
                body.clear()
            }
        case .end:
            guard let head else { return }
            // The request is whole: no deadline while it is answered (an event stream may last).
            deadline?.cancel()
            deadline = nil
            let channel = context.channel
            let rearm = { [self] in channel.eventLoop.execute { if channel.isActive { self.arm(channel) } } }
            let bytes = Data(body.readableBytesView)
            let endpoint = endpoint
            let oversize = oversize
            Task {
                await Self.answer(head, bytes, oversize: oversize, channel: channel, endpoint: endpoint)
                // Answered: the connection may wait for its next request, for a while.
                rearm()
            }
        }
    }

    private static func answer(_ head: HTTPRequestHead, _ body: Data, oversize: Bool, channel: any Channel, endpoint: HTTPEndpoint) async {
        let path = head.uri.prefix { $0 != "?" }
        var refusal = await endpoint.refusal(path: path, headers: head.headers)
        // Limits are checked before any JSON is parsed: a body too big, or nested too deep to be worth it.
        if refusal == nil, oversize {
            refusal = (.payloadTooLarge, "the request body is over \(RequestLimits.maxBody >> 20) MiB")
        } else if refusal == nil, let problem = RequestLimits.problem(body) {
            refusal = (.badRequest, problem)
        }
        if let (status, message) = refusal {
            endpoint.countRefusal(Self.reason(status))
            var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")])
            if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Bearer") }
            write(channel, status: status, headers: headers, body: Data((message + "\n").utf8))
            return
        }
        if path == "/metrics" {
            guard head.method == .GET else {
                write(channel, status: .methodNotAllowed, headers: HTTPHeaders([("Allow", "GET")]), body: Data("GET only\n".utf8))
                return
            }
            write(channel, status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                  body: Data(await endpoint.metrics().utf8), keepAlive: head.isKeepAlive)
            return
        }
        // A request whose id is already in use by an unanswered one of the same client is answered at
        // once with an error (it would otherwise wait, unanswered, until it timed out).
        let client = head.headers.first(name: "mcp-session-id")
        // Parsed here only for a known client's POST (the SDK parses it again to answer it).
        let requestID = client != nil && head.method == .POST ? RequestLimits.requestID(body) : nil
        if let client, let requestID {
            guard await endpoint.begin(client: client, request: requestID.key) else {
                endpoint.countRefusal("duplicate_request_id")
                let error = #"{"jsonrpc":"2.0","id":\#(requestID.json),"error":{"code":-32600,"message":"request id \#(requestID.json) is in use by a request not yet answered"}}"#
                write(channel, status: .badRequest, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Data(error.utf8),
                      keepAlive: head.isKeepAlive)
                return
            }
        }
        defer { if let client, let requestID { Task { await endpoint.end(client: client, request: requestID.key) } } }
        var fields: [String: String] = [:]
        for (name, value) in head.headers { fields[name] = value }
        let request = HTTPRequest(method: head.method.rawValue, headers: fields, body: body.isEmpty ? nil : body, path: String(path))
        let response = await endpoint.handle(request)
        var headers = HTTPHeaders(response.headers.map { ($0.key, $0.value) })
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        switch response {
        case .stream(let stream, _):
            let streamClient = response.headers.first(where: { $0.key.lowercased() == "mcp-session-id" })?.value
                ?? request.header(HTTPHeaderName.sessionID)
            if let id = streamClient, head.method == .GET {
                // The client's standing event stream: when its connection goes, the client is gone.
                channel.closeFuture.whenComplete { _ in Task { await endpoint.streamClosed(id) } }
            }
            // A client with a stream open is not idle.
            if let id = streamClient { await endpoint.setBusy(id, true) }
            defer { if let id = streamClient { Task { await endpoint.setBusy(id, false) } } }
            channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), promise: nil)
            channel.flush()
            do {
                for try await chunk in stream {
                    guard channel.isActive else { break }
                    var buffer = channel.allocator.buffer(capacity: chunk.count)
                    buffer.writeBytes(chunk)
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
                }
            } catch {}
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in if !keepAlive { channel.close(promise: nil) } }
        default:
            write(channel, status: HTTPResponseStatus(statusCode: response.statusCode), headers: headers, body: response.bodyData ?? Data(),
                  keepAlive: keepAlive)
        }
    }

    /// The metrics' name for a refusal's status.
    private static func reason(_ status: HTTPResponseStatus) -> String {
        switch status {
        case .notFound: "not_found"
        case .misdirectedRequest: "wrong_host"
        case .forbidden: "foreign_origin"
        case .unauthorized: "unauthorized"
        case .payloadTooLarge: "request_too_large"
        default: "bad_request"
        }
    }

    private static func write(_ channel: any Channel, status: HTTPResponseStatus, headers: HTTPHeaders, body: Data, keepAlive: Bool = false) {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)), promise: nil)
        var buffer = channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in if !keepAlive { channel.close(promise: nil) } }
    }
}

/// What a request body may be, checked before any JSON is parsed.
enum RequestLimits {
    /// The largest body read (answered 413 beyond).
    static let maxBody = 4 << 20
    /// The deepest nesting of arrays and objects (MCP's messages need a handful).
    static let maxDepth = 64

    /// The id of a JSON-RPC request (not a notification or a response): `key` to compare, `json` to
    /// answer with. Parsed only after ``problem(_:)`` passed.
    static func requestID(_ body: Data) -> (key: String, json: String)? {
        guard let message = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], message["method"] != nil,
              let id = message["id"], let data = try? JSONSerialization.data(withJSONObject: [id], options: [.fragmentsAllowed]) else {
            return nil
        }
        let json = String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        return ((id is String ? "s" : "n") + json, json)
    }

    /// Why the body is refused, or nil: nested deeper than ``maxDepth`` (one pass over the bytes,
    /// strings skipped).
    static func problem(_ body: Data) -> String? {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth { return "the JSON is nested deeper than \(maxDepth) levels" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }
}

/// Connections waiting for a request, oldest first out.
final class IdleConnections: Sendable {
    private struct State {
        var order: UInt64 = 0
        var channels: [ObjectIdentifier: (order: UInt64, channel: any Channel)] = [:]
    }
    private let state = LockedValue(State())

    func add(_ channel: any Channel) {
        state.withLock { s in
            s.order += 1
            s.channels[ObjectIdentifier(channel)] = (s.order, channel)
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The connection that has waited longest, no longer counted as waiting.
    func takeOldest() -> (any Channel)? {
        state.withLock { s in
            guard let oldest = s.channels.min(by: { $0.value.order < $1.value.order }) else { return nil }
            s.channels.removeValue(forKey: oldest.key)
            return oldest.value.channel
        }
    }
}

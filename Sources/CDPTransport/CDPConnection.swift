import Foundation
public import Logging
import Dispatch
import Synchronization
import WebSockets
import SharedBrowserSupport

/// A Chrome DevTools Protocol connection over one WebSocket, or over the pipe of a browser this
/// process launched (``CDPBrowser/LaunchOptions/transport``).
///
/// Replies are matched to commands by id; events are routed by `sessionId` to ``CDPSession``s (the
/// browser is the session `""`). Sessions attached with `flatten: true` are created when
/// `Target.attachedToTarget` arrives, before any of their events are routed.
///
/// Threading: the WebSocket service thread only reassembles messages and, for replies, reads the id
/// from the first bytes and resumes the waiting task — no JSON is parsed there. Events go, in order, to
/// one router task per connection, which decodes each event's header once and hands it to the session's
/// subscribers. A reply is returned to its caller only after every event that arrived before it has been
/// routed, so after `send(Target.AttachToTarget(...))` returns, the new session exists.
public final class CDPConnection: Sendable {
    /// Settings for a connection.
    public struct Options: Sendable {
        /// The deadline for commands that do not give their own. Default 30 s.
        public var defaultTimeout: Duration = .seconds(30)
        /// The largest message accepted from the browser. Default 256 MiB.
        public var maxMessageSize: Int = 256 << 20
        /// How long connecting may take.
        public var connectTimeout: Duration = .seconds(10)
        /// Headers for the handshake (and for `/json/version` when attaching by `http(s)://`): what a
        /// remote endpoint asks for, such as `Authorization: Bearer <token>`. Sent to the endpoint's
        /// host only.
        public var headers: [(name: String, value: String)] = []
        /// A PEM file of certificate authorities to trust for `wss://` and `https://` endpoints, besides
        /// the system's. nil trusts the system's only.
        public var trustedCertificatesFile: String?
        /// Where diagnostics go (dropped late replies, undecodable events). Default: nowhere.
        public var logger: Logger = Logger(label: "CDPTransport", factory: { _ in SwiftLogNoOpLogHandler() })
        /// The defaults: a 256 MiB message cap, 30 s command deadline, no extra headers, the system's CAs.
        public init() {}
    }

    struct Reply: Sendable {
        var data: Data
        /// How many events had arrived before this reply.
        var eventsBefore: UInt64
    }

    /// Who waits for a reply: a suspended task, or a promise awaited later (pipelined commands).
    enum Waiter: Sendable {
        case task(CheckedContinuation<Reply, any Error>)
        case promise(ReplyPromise)

        func resume(returning reply: Reply) {
            switch self {
            case .task(let continuation): continuation.resume(returning: reply)
            case .promise(let promise): promise.fulfill(.success(reply))
            }
        }

        func resume(throwing error: any Error) {
            switch self {
            case .task(let continuation): continuation.resume(throwing: error)
            case .promise(let promise): promise.fulfill(.failure(error))
            }
        }
    }

    struct State {
        var pending = PendingRequests<Waiter>()
        var nextID = 0
        var closed: CDPError?
        /// Set by the owner before the socket closes (e.g. the browser process exited).
        var closeReason: CDPError?
        var sessions: [String: CDPSession] = [:]
        var armedDeadline: UInt64?
        var routedWaiters: [(mark: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let state = LockedValue(State())
    let options: Options
    var logger: Logger { options.logger }
    /// Where the connection goes, for messages.
    public let endpoint: String
    private let socket = LockedValue<(any CDPWire)?>(nil)
    private let inbound: AsyncStream<Data>.Continuation
    private let inboundStream: AsyncStream<Data>
    private let eventsArrived = Atomic<UInt64>(0)
    /// When the last message arrived (uptime nanoseconds).
    private let lastArrival = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    private let eventsRouted = Atomic<UInt64>(0)
    private let routedWaiterCount = Atomic<Int>(0)
    private let timer: DeadlineTimer
    private let routerDone = LockedValue<[CheckedContinuation<Void, Never>]?>([])
    private let root = LockedValue<CDPSession?>(nil)

    private init(endpoint: String, options: Options) {
        self.endpoint = endpoint
        self.options = options
        (inboundStream, inbound) = AsyncStream.makeStream(of: Data.self)
        timer = DeadlineTimer()
    }

    /// Connects to a CDP WebSocket endpoint (`ws://host:port/devtools/browser/<id>`).
    ///
    /// The connection runs until ``close()`` or until the browser goes away.
    /// - Throws: ``CDPError/Code/invalidEndpoint`` for a malformed URL, ``CDPError/Code/connectionClosed``
    ///   when the connection cannot be opened.
    public static func connect(to webSocketURL: String, options: Options = Options()) async throws -> CDPConnection {
        let url: WebSocketURL
        do { url = try WebSocketURL(parsing: webSocketURL) } catch {
            throw CDPError(.invalidEndpoint, "\(error)")
        }
        let connection = CDPConnection(endpoint: webSocketURL, options: options)
        var socketOptions = WebSocketConnection.Options()
        socketOptions.maxMessageSize = options.maxMessageSize
        socketOptions.connectTimeout = options.connectTimeout
        socketOptions.headers = options.headers
        socketOptions.trustedCertificatesFile = options.trustedCertificatesFile
        do {
            let socket = try await WebSocketConnection.connect(to: url, options: socketOptions, handler: SocketEvents(connection: connection))
            connection.socket.withLock { $0 = socket }
        } catch let error as WebSocketError {
            if error.code == .invalidHeader { throw CDPError(.invalidEndpoint, error.message) }
            throw CDPError(.connectionClosed, "cannot open the browser connection: \(error.message)")
        }
        connection.start()
        return connection
    }

    /// A connection over our end of a launched browser's pipe (`--remote-debugging-pipe`), which it
    /// takes over and closes.
    static func open(pipe fd: Int32, options: Options) -> CDPConnection {
        let connection = CDPConnection(endpoint: "pipe", options: options)
        let pipe = CDPPipe(fd: fd, maxMessageSize: options.maxMessageSize)
        connection.socket.withLock { $0 = pipe }
        // The reading thread keeps the connection until the pipe ends, as a WebSocket's handler does.
        pipe.start(onMessage: { data in connection.received(data) },
                   onClose: { error in
                       connection.wireClosed(error ?? CDPError(.connectionClosed, "the browser closed its pipe"))
                   })
        connection.start()
        return connection
    }

    private func start() {
        let session = CDPSession(id: "", targetId: nil, targetType: "browser", parentId: nil, connection: self)
        root.withLock { $0 = session }
        state.withLock { $0.sessions[""] = session }
        timer.start { [weak self] in self?.expireDeadlines() }
        // The router is this connection's own work loop; it ends when the socket closes.
        Task.detached { [self] in await route() }
    }

    /// The browser session (id `""`).
    /// It exists from `connect` on, and stays (closed) after the connection closes.
    public var browserSession: CDPSession { root.withLock { $0! } }

    /// The session with `id`, if it is attached.
    public func session(id: String) -> CDPSession? {
        id.isEmpty ? browserSession : state.withLock { $0.sessions[id] }
    }

    /// Every attached session, the browser session first.
    public var sessions: [CDPSession] {
        state.withLock { Array($0.sessions.values) }.sorted { ($0.id.isEmpty ? 0 : 1, $0.id) < ($1.id.isEmpty ? 0 : 1, $1.id) }
    }

    /// Why the connection is closed, or nil while it is open.
    public var closedError: CDPError? { state.withLock { $0.closed } }

    /// Whether no message at all (reply or event) has come from the browser for `duration`: a link
    /// that stalled, where a late reply behind a flood of events is not one.
    public func isSilent(for duration: Duration) -> Bool {
        let nanos = UInt64(max(0, duration.components.seconds)) * 1_000_000_000
            + UInt64(max(0, duration.components.attoseconds / 1_000_000_000))
        return DispatchTime.now().uptimeNanoseconds &- lastArrival.load(ordering: .relaxed) >= nanos
    }

    /// For diagnostics: commands awaiting replies, oldest first.
    public var outstandingCommands: [(id: Int, method: String, sessionId: String)] {
        state.withLock { $0.pending.outstanding }
    }

    /// Closes the WebSocket. Pending commands fail with ``CDPError/Code/connectionClosed``.
    public func close() async {
        fail(with: CDPError(.connectionClosed, "the browser connection was closed by the client"))
        socket.withLock { $0 }?.shutDown(code: 1000, reason: "client closed")
        await routerFinished()
    }

    /// Fails every pending command at once with `error` and refuses later ones; used when the owner
    /// learns first that the browser is gone (its process exited).
    public func fail(with error: CDPError) {
        let (waiters, sessions) = state.withLock { s -> ([PendingRequests<Waiter>.Entry], [CDPSession]) in
            if s.closeReason == nil { s.closeReason = error }
            guard s.closed == nil else { return ([], []) }
            s.closed = error
            return (s.pending.removeAll(), Array(s.sessions.values))
        }
        for entry in waiters {
            entry.waiter.resume(throwing: error.about(method: entry.method, sessionId: entry.sessionId))
        }
        for session in sessions { session.close(error) }
        timer.cancel()
        inbound.finish()
    }

    /// Delivers a synthetic event to the subscribers of session `sessionId`, after every event
    /// received from the browser so far.
    ///
    /// Use it as a marker: a subscriber that sees it has seen everything that came before. Nothing is
    /// sent to the browser. Method names should not collide with protocol methods
    /// (e.g. `"MyApp.marker"`).
    public func injectEvent(method: String, params: JSONValue = [:], sessionId: String = "") {
        var message: JSONValue = ["method": .string(method), "params": params]
        if !sessionId.isEmpty, case .object(var members) = message {
            members["sessionId"] = .string(sessionId)
            message = .object(members)
        }
        guard let data = try? Self.encoder.encode(message) else { return }
        // Counted as an arrival, like a browser event, so replies keep waiting for what came before.
        eventsArrived.add(1, ordering: .releasing)
        inbound.yield(data)
    }

    // MARK: Sending

    func call(method: String, params: some Encodable, session: CDPSession, timeout: Duration?) async throws -> Reply {
        let sessionId = session.id
        if let error = refusal(method: method, session: session) { throw error }
        let deadline = deadline(after: timeout)
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        let reply: Reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Reply, any Error>) in
                guard register(id: id, method: method, sessionId: sessionId, deadline: deadline, waiter: .task(continuation)) else { return }
                // Cancelled before the command was registered: the cancellation handler found nothing.
                if Task.isCancelled {
                    cancel(id: id, method: method, sessionId: sessionId)
                    return
                }
                transmit(id: id, method: method, params: params, sessionId: sessionId)
            }
        } onCancel: {
            cancel(id: id, method: method, sessionId: sessionId)
        }
        await waitUntilRouted(reply.eventsBefore)
        return reply
    }

    /// Why a command for `session` cannot be sent now, if it cannot.
    private func refusal(method: String, session: CDPSession) -> CDPError? {
        if let error = session.closedError { return error.about(method: method, sessionId: session.id) }
        if session.isCrashed, !Self.allowedWhileCrashed.contains(method) {
            return CDPError(.targetCrashed, "the target's renderer crashed; navigate or reload to recover",
                            method: method, sessionId: session.id)
        }
        return nil
    }

    private func deadline(after timeout: Duration?) -> UInt64 {
        var limit = timeout ?? options.defaultTimeout
        if let outer = CDPDeadline.current {
            limit = min(limit, max(.zero, ContinuousClock.now.duration(to: outer)))
        }
        let nanos = UInt64(max(0, limit.components.seconds)) * 1_000_000_000 + UInt64(max(0, limit.components.attoseconds / 1_000_000_000))
        return DispatchTime.now().uptimeNanoseconds &+ nanos
    }

    /// Adds a command to the pending registry and arms the deadline timer if needed. When the
    /// connection is closed, fails `waiter` instead and returns false.
    private func register(id: Int, method: String, sessionId: String, deadline: UInt64, waiter: Waiter) -> Bool {
        let rearm = state.withLock { s -> Bool? in
            guard s.closed == nil else { return nil }
            s.pending.add(.init(id: id, method: method, sessionId: sessionId, deadline: deadline, waiter: waiter))
            // The timer may fire early (for a command already answered): it then re-arms for the
            // earliest live deadline. So it needs moving only when this deadline is earlier.
            let rearm = s.armedDeadline.map { deadline < $0 } ?? true
            if rearm { s.armedDeadline = deadline }
            return rearm
        }
        guard let rearm else {
            let error = closedError ?? CDPError(.connectionClosed, "connection closed")
            waiter.resume(throwing: error.about(method: method, sessionId: sessionId))
            return false
        }
        if rearm { timer.arm(at: deadline) }
        return true
    }

    /// Encodes and queues a registered command; on failure, fails its waiter.
    private func transmit(id: Int, method: String, params: some Encodable, sessionId: String) {
        do {
            let message = try Self.encodeRequest(id: id, method: method, params: params, sessionId: sessionId)
            guard let socket = socket.withLock({ $0 }) else { throw CDPError(.connectionClosed, "not connected") }
            try socket.transmit(message)
        } catch {
            if let entry = state.withLock({ $0.pending.complete(id) }) {
                let failure = error as? CDPError ?? closedError ?? CDPError(.connectionClosed, "cannot send: \(error)")
                entry.waiter.resume(throwing: failure.about(method: method, sessionId: sessionId))
            }
        }
    }

    /// Commands a crashed target still accepts (they recover or close it).
    static let allowedWhileCrashed: Set<String> = [
        "Page.navigate", "Page.reload", "Page.close", "Target.closeTarget", "Target.detachFromTarget",
    ]

    /// Coders are thread-safe and costly to create; one of each serves every connection.
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    /// `{"id":N,"method":"M","sessionId":"S","params":{...}}`, with only the parameters going through
    /// the encoder (method names and session ids are plain ASCII tokens; both are escaped anyway).
    static func encodeRequest(id: Int, method: String, params: some Encodable, sessionId: String) throws -> Data {
        let encodedParams = try encoder.encode(params)
        var message = Data()
        message.reserveCapacity(encodedParams.count + method.utf8.count + sessionId.utf8.count + 64)
        message.append(contentsOf: #"{"id":"#.utf8)
        message.append(contentsOf: String(id).utf8)
        message.append(contentsOf: #","method":"#.utf8)
        message.append(try encoder.encode(method))
        if !sessionId.isEmpty {
            message.append(contentsOf: #","sessionId":"#.utf8)
            message.append(try encoder.encode(sessionId))
        }
        message.append(contentsOf: #","params":"#.utf8)
        message.append(encodedParams)
        message.append(UInt8(ascii: "}"))
        return message
    }

    private struct RemoteError: Decodable {
        var code: Int
        var message: String
        var data: String?
    }

    private struct ReplyEnvelope<R: Decodable>: Decodable {
        var result: R?
        var error: RemoteError?
    }

    func decodeReply<R: Decodable>(_ type: R.Type, from reply: Reply, method: String, sessionId: String) throws -> R {
        let envelope: ReplyEnvelope<R>
        do { envelope = try Self.decoder.decode(ReplyEnvelope<R>.self, from: reply.data) } catch {
            throw CDPError(.invalidResponse, "the reply does not decode as \(R.self): \(error)",
                           method: method, sessionId: sessionId)
        }
        if let error = envelope.error {
            let detail = error.data.map { "\(error.message) (\($0))" } ?? error.message
            if error.code == -32001 {
                throw CDPError(.targetClosed, "session \(sessionId) is gone: \(detail)", method: method,
                               sessionId: sessionId, protocolCode: error.code)
            }
            throw CDPError(.protocolError, "\(method) failed: \(detail)", method: method, sessionId: sessionId,
                           protocolCode: error.code)
        }
        guard let result = envelope.result else {
            throw CDPError(.invalidResponse, "the reply has neither result nor error", method: method, sessionId: sessionId)
        }
        return result
    }

    // MARK: Deadlines

    private func expireDeadlines() {
        let now = DispatchTime.now().uptimeNanoseconds
        let (expired, next) = state.withLock { s -> ([PendingRequests<Waiter>.Entry], UInt64?) in
            let expired = s.pending.expire(now: now)
            let next = s.pending.nextDeadline
            s.armedDeadline = next
            return (expired, next)
        }
        if let next { timer.arm(at: next) }
        for entry in expired {
            entry.waiter.resume(throwing: CDPError(
                .timeout, "no reply to \(entry.method) (id \(entry.id)) before its deadline",
                method: entry.method, sessionId: entry.sessionId))
        }
    }

    /// Registers and sends a command without waiting: the reply is awaited later through the promise.
    /// Commands dispatched one after another from one task reach the browser in that order.
    func dispatch(method: String, params: some Encodable, session: CDPSession, timeout: Duration?) -> (id: Int, promise: ReplyPromise) {
        let promise = ReplyPromise()
        if let error = refusal(method: method, session: session) {
            promise.fulfill(.failure(error))
            return (0, promise)
        }
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        if register(id: id, method: method, sessionId: session.id, deadline: deadline(after: timeout), waiter: .promise(promise)) {
            transmit(id: id, method: method, params: params, sessionId: session.id)
        }
        return (id, promise)
    }

    /// Waits for a dispatched command's reply (with the same event ordering as ``call``).
    func awaitReply(_ dispatched: (id: Int, promise: ReplyPromise), method: String, sessionId: String) async throws -> Reply {
        let reply = try await withTaskCancellationHandler {
            try await dispatched.promise.value()
        } onCancel: {
            cancel(id: dispatched.id, method: method, sessionId: sessionId)
        }
        await waitUntilRouted(reply.eventsBefore)
        return reply
    }

    /// Fails a pending command because its task was cancelled; its reply, if one comes, is dropped.
    private func cancel(id: Int, method: String, sessionId: String) {
        guard let entry = state.withLock({ $0.pending.complete(id) }) else { return }
        entry.waiter.resume(throwing: CDPError(.cancelled, "the task awaiting \(method) was cancelled",
                                               method: method, sessionId: sessionId))
    }

    // MARK: Receiving (service thread)

    /// Called on the wire's thread (lws's service thread, the pipe's reader) with each whole message: a
    /// reply is matched to its command by id without decoding it; events go to the inbound queue,
    /// decoded off this thread.
    fileprivate func received(_ data: Data) {
        lastArrival.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        let id = data.withUnsafeBytes { scanReplyID($0) }
        if let id {
            let marker = eventsArrived.load(ordering: .acquiring)
            if let entry = state.withLock({ $0.pending.complete(id) }) {
                entry.waiter.resume(returning: Reply(data: data, eventsBefore: marker))
            } else {
                logger.debug("dropping a reply with an unknown id (late, after its deadline?)", metadata: ["id": "\(id)"])
            }
            return
        }
        eventsArrived.add(1, ordering: .releasing)
        inbound.yield(data)
    }

    /// Called on the lws service thread when the WebSocket closes: every pending command, in every
    /// session, fails at once with the reason.
    fileprivate func socketClosed(_ info: WebSocketCloseInfo) {
        if let wsError = info.error, wsError.code == .messageTooLarge {
            wireClosed(CDPError(.messageTooLarge, wsError.message))
        } else {
            wireClosed(CDPError(.connectionClosed, "the browser connection closed (\(info))"))
        }
    }

    /// The link ended: every pending command fails at once, with the owner's reason if it gave one.
    private func wireClosed(_ error: CDPError) {
        fail(with: state.withLock { $0.closeReason } ?? error)
    }

    // MARK: Routing (router task)

    private struct Header: Decodable {
        var id: Int?
        var method: String?
        var sessionId: String?
    }

    private struct AttachedParams: Decodable {
        struct Info: Decodable {
            var targetId: String
            var type: String
        }
        var sessionId: String
        var targetInfo: Info
    }

    private struct DetachedParams: Decodable { var sessionId: String }
    private struct TargetCrashedParams: Decodable { var targetId: String }
    private struct Envelope<P: Decodable>: Decodable { var params: P }

    private func route() async {
        let decoder = JSONDecoder()
        var routed: UInt64 = 0
        for await data in inboundStream {
            routed += 1
            routeOne(data, decoder)
            eventsRouted.store(routed, ordering: .releasing)
            if routedWaiterCount.load(ordering: .acquiring) > 0 { resumeRoutedWaiters(upTo: routed) }
        }
        eventsRouted.store(.max, ordering: .releasing)
        resumeRoutedWaiters(upTo: .max)
        let sessions = state.withLock { s in
            defer { s.sessions.removeAll() }
            return Array(s.sessions.values)
        }
        let error = closedError ?? CDPError(.connectionClosed, "connection closed")
        for session in sessions { session.close(error) }
        routerDone.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }.forEach { $0.resume() }
    }

    private func routeOne(_ data: Data, _ decoder: JSONDecoder) {
        let header: Header
        do { header = try decoder.decode(Header.self, from: data) } catch {
            let preview = String(decoding: data.prefix(80), as: UTF8.self)
            logger.error("closing: the browser sent a message that is not JSON", metadata: ["preview": "\(preview)"])
            fail(with: CDPError(.invalidResponse, "the browser sent a message that is not a JSON object: \(preview)"))
            socket.withLock { $0 }?.shutDown(code: 1002, reason: "invalid JSON")
            return
        }
        if let id = header.id {
            // A reply whose id was not at the front: the slow path of the service-thread scan.
            if let entry = state.withLock({ $0.pending.complete(id) }) {
                entry.waiter.resume(returning: Reply(data: data, eventsBefore: 0))
            } else {
                logger.debug("dropping a reply with an unknown id", metadata: ["id": "\(id)"])
            }
            return
        }
        guard let method = header.method else {
            logger.warning("skipping a message with neither id nor method")
            return
        }
        let sessionId = header.sessionId ?? ""
        switch method {
        case "Target.attachedToTarget":
            if let params = try? decoder.decode(Envelope<AttachedParams>.self, from: data).params {
                state.withLock { s in
                    if s.sessions[params.sessionId] == nil, s.closed == nil {
                        s.sessions[params.sessionId] = CDPSession(
                            id: params.sessionId, targetId: params.targetInfo.targetId,
                            targetType: params.targetInfo.type, parentId: sessionId, connection: self)
                    }
                }
            }
        case "Inspector.targetCrashed":
            if let session = session(id: sessionId) {
                session.setCrashed(true)
                failPending(sessionId: sessionId, CDPError(.targetCrashed, "the target's renderer crashed", sessionId: sessionId))
            }
        case "Target.targetCrashed":
            if let params = try? decoder.decode(Envelope<TargetCrashedParams>.self, from: data).params {
                for session in sessions where session.targetId == params.targetId {
                    session.setCrashed(true)
                    failPending(sessionId: session.id, CDPError(.targetCrashed, "the target's renderer crashed", sessionId: session.id))
                }
            }
        case "Inspector.targetReloadedAfterCrash", "Page.frameNavigated":
            session(id: sessionId)?.setCrashed(false)
        default:
            break
        }
        if let session = session(id: sessionId) {
            session.deliver(CDPEvent(method: method, sessionId: sessionId, raw: data))
        } else {
            logger.debug("dropping an event for an unknown session", metadata: ["method": "\(method)", "session": "\(sessionId)"])
        }
        if method == "Target.detachedFromTarget",
           let params = try? decoder.decode(Envelope<DetachedParams>.self, from: data).params,
           let detached = state.withLock({ $0.sessions.removeValue(forKey: params.sessionId) }) {
            let error = CDPError(.targetClosed, "the target \(detached.targetId ?? "?") was closed or detached",
                                 sessionId: params.sessionId)
            detached.close(error)
            failPending(sessionId: params.sessionId, error)
        }
    }

    private func failPending(sessionId: String, _ error: CDPError) {
        let entries = state.withLock { $0.pending.removeAll(sessionId: sessionId) }
        for entry in entries { entry.waiter.resume(throwing: error.about(method: entry.method, sessionId: sessionId)) }
    }

    private func waitUntilRouted(_ mark: UInt64) async {
        if eventsRouted.load(ordering: .acquiring) >= mark { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            routedWaiterCount.add(1, ordering: .sequentiallyConsistent)
            let done = state.withLock { s -> Bool in
                if eventsRouted.load(ordering: .sequentiallyConsistent) >= mark { return true }
                s.routedWaiters.append((mark, continuation))
                return false
            }
            if done {
                routedWaiterCount.subtract(1, ordering: .sequentiallyConsistent)
                continuation.resume()
            }
        }
    }

    private func resumeRoutedWaiters(upTo routed: UInt64) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            var ready: [CheckedContinuation<Void, Never>] = []
            s.routedWaiters.removeAll { waiter in
                guard waiter.mark <= routed else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        if !ready.isEmpty { routedWaiterCount.subtract(ready.count, ordering: .sequentiallyConsistent) }
        ready.forEach { $0.resume() }
    }

    private func routerFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = routerDone.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// What the WebSocket tells a connection, kept out of ``CDPConnection``'s public face.
private struct SocketEvents: WebSocketHandler {
    let connection: CDPConnection

    func webSocket(_ socket: WebSocketConnection, didReceive message: WebSocketMessage) { connection.received(message.data) }
    func webSocket(_ socket: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) { connection.socketClosed(info) }
}

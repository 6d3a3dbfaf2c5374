import Foundation
import Logging
import SharedBrowserSupport

/// One CDP session: the browser itself (id `""`) or a target (tab, worker) attached with
/// `flatten: true`.
///
/// Send typed commands with ``send(_:timeout:)``, untyped ones with ``send(method:params:timeout:)``,
/// and subscribe to events with ``events(_:bufferingNewest:onDrop:)``. Every subscriber gets its own bounded
/// stream: a subscriber that does not keep up loses its oldest events (counted in
/// ``droppedEventCount``), and never slows the connection or other subscribers.
public final class CDPSession: Sendable, CustomStringConvertible {
    /// The session id; `""` for the browser session.
    public let id: String
    /// The target this session is attached to (nil for the browser session).
    public let targetId: String?
    /// The target type (`"page"`, `"iframe"`, `"worker"`, ...), when known.
    public let targetType: String?
    /// The session this one was attached through (nil for the browser session).
    public let parentId: String?
    /// The connection this session belongs to.
    public let connection: CDPConnection

    struct Subscriber {
        var methods: Set<String>?
        var continuation: AsyncStream<CDPEvent>.Continuation
        var onDrop: (@Sendable () -> Void)?
    }

    struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
        var closed: CDPError?
        var crashed = false
        var dropped = 0
    }

    let state = LockedValue(State())

    init(id: String, targetId: String?, targetType: String?, parentId: String?, connection: CDPConnection) {
        self.id = id
        self.targetId = targetId
        self.targetType = targetType
        self.parentId = parentId
        self.connection = connection
    }

    /// `browser session`, or the session id with its target's type and id.
    public var description: String {
        id.isEmpty ? "browser session" : "session \(id) (\(targetType ?? "target") \(targetId ?? "?"))"
    }

    /// Sends a typed command and waits for its reply.
    ///
    /// - Parameter command: the command and its parameters.
    /// - Parameter timeout: the deadline for the reply; `nil` uses the connection's default (30 s).
    /// - Throws: ``CDPError`` — `.protocolError` (the browser refused it), `.timeout`, `.targetClosed`,
    ///   `.targetCrashed`, `.connectionClosed`, `.browserCrashed`, `.invalidResponse`, `.cancelled`.
    @discardableResult
    public func send<C: CDPCommand>(_ command: C, timeout: Duration? = nil) async throws -> C.Response {
        let reply = try await connection.call(method: C.method, params: command, session: self, timeout: timeout)
        return try connection.decodeReply(C.Response.self, from: reply, method: C.method, sessionId: id)
    }

    /// Sends several commands back to back, in order, and waits for all the replies.
    ///
    /// The browser handles a session's commands in the order they arrive, so this behaves like
    /// sending them one by one, without waiting a round trip between them (mouse down and up, a
    /// series of key events). Fails with the first error, in command order.
    /// - Throws: the errors of ``send(_:timeout:)``.
    @discardableResult
    public func send<C: CDPCommand>(inOrder commands: [C], timeout: Duration? = nil) async throws -> [C.Response] {
        let dispatched = commands.map { connection.dispatch(method: C.method, params: $0, session: self, timeout: timeout) }
        var responses: [C.Response] = []
        responses.reserveCapacity(commands.count)
        for handle in dispatched {
            let reply = try await connection.awaitReply(handle, method: C.method, sessionId: id)
            responses.append(try connection.decodeReply(C.Response.self, from: reply, method: C.method, sessionId: id))
        }
        return responses
    }

    /// Sends several commands back to back, in order, and returns at once: the replies are awaited by
    /// the returned task, which fails with the first error, in command order.
    ///
    /// For input that must not wait for the browser between one event and the next (a person's mouse
    /// and keys forwarded from a live view): commands posted one after another reach the browser in
    /// that order, whether or not the earlier replies have come.
    @discardableResult
    public func post<C: CDPCommand>(inOrder commands: [C], timeout: Duration? = nil) -> Task<Void, any Error> {
        let dispatched = commands.map { connection.dispatch(method: C.method, params: $0, session: self, timeout: timeout) }
        return Task { [connection, id] in
            for handle in dispatched {
                let reply = try await connection.awaitReply(handle, method: C.method, sessionId: id)
                _ = try connection.decodeReply(C.Response.self, from: reply, method: C.method, sessionId: id)
            }
        }
    }

    /// Sends any command by name, for methods not modelled as types.
    ///
    /// ```swift
    /// let result = try await session.send(method: "Runtime.evaluate", params: ["expression": "1+1"])
    /// result["result"]?["value"]  // 2
    /// ```
    /// - Throws: the same errors as ``send(_:timeout:)``.
    @discardableResult
    public func send(method: String, params: JSONValue = [:], timeout: Duration? = nil) async throws -> JSONValue {
        let reply = try await connection.call(method: method, params: params, session: self, timeout: timeout)
        return try connection.decodeReply(JSONValue.self, from: reply, method: method, sessionId: id)
    }

    /// Sends any command by name at once and returns a task that awaits its reply: commands posted one
    /// after another reach the browser in that order, whether or not earlier replies have come (what a
    /// proxy for another CDP client needs).
    /// - Throws: (from the task) the same errors as ``send(_:timeout:)``.
    public func post(method: String, params: JSONValue = [:], timeout: Duration? = nil) -> Task<JSONValue, any Error> {
        let handle = connection.dispatch(method: method, params: params, session: self, timeout: timeout)
        return Task { [connection, id] in
            let reply = try await connection.awaitReply(handle, method: method, sessionId: id)
            return try connection.decodeReply(JSONValue.self, from: reply, method: method, sessionId: id)
        }
    }

    /// A stream of this session's events, optionally only those whose method is in `methods`.
    ///
    /// The stream ends when the session detaches or the connection closes. It holds at most `limit`
    /// undelivered events; beyond that the oldest are dropped, counted in ``droppedEventCount`` and
    /// reported to `onDrop` (called once per dropped event, on the thread that delivers events: keep it
    /// to a counter).
    public func events(_ methods: Set<String>? = nil, bufferingNewest limit: Int = 1024,
                       onDrop: (@Sendable () -> Void)? = nil) -> AsyncStream<CDPEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: CDPEvent.self, bufferingPolicy: .bufferingNewest(limit))
        let key = state.withLock { s -> Int? in
            guard s.closed == nil else { return nil }
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = Subscriber(methods: methods, continuation: continuation, onDrop: onDrop)
            return s.nextSubscriber
        }
        guard let key else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// A stream of one typed event. Events whose parameters do not decode as `E` are logged and skipped.
    public func events<E: CDPEventPayload>(
        _ type: E.Type, bufferingNewest limit: Int = 1024
    ) -> AsyncCompactMapSequence<AsyncStream<CDPEvent>, E> {
        let logger = connection.logger
        return events([E.method], bufferingNewest: limit).compactMap { event in
            do { return try event.decode(E.self) } catch {
                logger.warning("skipping undecodable event", metadata: ["method": "\(event.method)", "error": "\(error)"])
                return nil
            }
        }
    }

    /// Runs `action` and waits for the first `E` event (after subscribing, so the event cannot be
    /// missed) that satisfies `predicate`.
    ///
    /// - Throws: ``CDPError/Code/timeout`` naming the event when none arrives in time; whatever `action`
    ///   throws; `.targetClosed`/`.connectionClosed` when the session ends first.
    public func waitForEvent<E: CDPEventPayload>(
        _ type: E.Type, timeout: Duration = .seconds(30),
        where predicate: @escaping @Sendable (E) -> Bool = { _ in true },
        after action: () async throws -> Void = {}
    ) async throws -> E {
        let stream = events(E.self)
        try await action()
        return try await withThrowingTaskGroup(of: E?.self) { group in
            group.addTask {
                for await event in stream where predicate(event) { return event }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw CDPError(.timeout, "no \(E.method) event within \(timeout)", method: E.method, sessionId: self.id)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let event = first else {
                throw closedError ?? CDPError(.targetClosed, "the session ended before \(E.method)",
                                             method: E.method, sessionId: id)
            }
            return event
        }
    }

    /// How many events were dropped across this session's subscribers because they fell behind.
    public var droppedEventCount: Int { state.withLock { $0.dropped } }

    /// Why the session no longer works, or nil while it does.
    public var closedError: CDPError? { state.withLock { $0.closed } }

    /// Detaches from the target (the target stays open).
    public func detach() async throws {
        guard let parentId, let parent = connection.session(id: parentId) else { return }
        try await parent.send(Target.DetachFromTarget(sessionId: id))
    }

    // MARK: Routing (called by the connection's router task)

    func deliver(_ event: CDPEvent) {
        state.withLock { s in
            for subscriber in s.subscribers.values where subscriber.methods?.contains(event.method) ?? true {
                if case .dropped = subscriber.continuation.yield(event) {
                    s.dropped += 1
                    subscriber.onDrop?()
                }
            }
        }
    }

    /// Marks the session closed and ends its streams. Returns false if it was already closed.
    @discardableResult
    func close(_ error: CDPError) -> Bool {
        let subscribers = state.withLock { s -> [Subscriber]? in
            guard s.closed == nil else { return nil }
            s.closed = error
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        subscribers?.forEach { $0.continuation.finish() }
        return subscribers != nil
    }

    var isCrashed: Bool { state.withLock { $0.crashed } }
    func setCrashed(_ crashed: Bool) { state.withLock { $0.crashed = crashed } }
}

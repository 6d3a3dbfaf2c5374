public import Foundation
import SharedBrowserSupport

/// One WebSocket message as it arrived: the whole message, reassembled from its frames.
public struct WebSocketMessage: Sendable {
    /// The payload bytes (UTF-8 text for text messages).
    public var data: Data
    /// True for binary messages, false for text.
    public var isBinary: Bool

    /// A message of `data`, binary or text.
    public init(data: Data, isBinary: Bool) {
        self.data = data
        self.isBinary = isBinary
    }

    /// The payload as a string, for text messages.
    public var text: String? { isBinary ? nil : String(decoding: data, as: UTF8.self) }
}

/// Receives what happens on a connection.
///
/// Calls come **on the WebSocket service thread**, one at a time, in the order things happened. Keep
/// them short: hand the bytes to another task (an `AsyncStream` continuation, a resumed continuation)
/// and return. Never block or wait here; decoding JSON belongs elsewhere.
public protocol WebSocketHandler: Sendable {
    /// The connection is open (server side: after the upgrade; client side this is not called, because
    /// `connect` returning is that signal).
    func webSocketDidOpen(_ connection: WebSocketConnection)
    /// A whole message arrived.
    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage)
    /// The connection closed; no further calls follow.
    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo)
}

extension WebSocketHandler {
    /// Does nothing by default.
    public func webSocketDidOpen(_ connection: WebSocketConnection) {}
}

/// A WebSocket connection served by the process-wide lws service thread.
///
/// Create a client connection with ``connect(to:options:handler:)``; server-side connections are handed
/// to your ``WebSocketHandler`` by a ``WebSocketServer``. `send` may be called from any thread or task:
/// messages are queued and written in order by the service thread.
public final class WebSocketConnection: Sendable, CustomStringConvertible {
    /// Settings for a client connection.
    public struct Options: Sendable {
        /// The largest message accepted; a larger one closes the connection with code 1009 and
        /// ``WebSocketError/Code/messageTooLarge``. Default 256 MiB.
        public var maxMessageSize: Int = 256 << 20
        /// The most bytes queued for a peer that does not read: a message that would take the queue
        /// past it (a queue holding something already) closes the connection with 1008 and
        /// ``WebSocketError/Code/tooFarBehind``. Default 256 MiB.
        public var maxQueuedBytes: Int = 256 << 20
        /// How long the TCP connect plus handshake may take.
        public var connectTimeout: Duration = .seconds(10)
        /// The `Origin` header to send; `nil` (the default) sends none, which is what Chromium accepts
        /// without `--remote-allow-origins`.
        public var origin: String? = nil
        /// More handshake headers, in order: what a remote endpoint asks for, such as
        /// `Authorization: Bearer <token>`. Names and values may not hold line breaks.
        public var headers: [(name: String, value: String)] = []
        /// A PEM file of certificate authorities to trust for `wss://`, besides the system's (for a
        /// grid with its own CA). nil trusts the system's only.
        public var trustedCertificatesFile: String? = nil
        /// The defaults: 256 MiB messages, a 10 s connect deadline, no `Origin`, no extra headers, the system's CAs.
        public init() {}

        /// Checks the headers and the certificate file before anything is sent.
        ///
        /// - Throws: ``WebSocketError/Code/invalidHeader`` for a header with a line break, a colon in
        ///   its name or an empty name; ``WebSocketError/Code/connectFailed`` for a certificate file that
        ///   cannot be read.
        func validate() throws {
            for header in headers {
                let name = header.name.hasSuffix(":") ? String(header.name.dropLast()) : header.name
                if name.isEmpty || name.contains(where: { $0 == ":" || $0 == " " || $0.isNewline })
                    || header.value.contains(where: \.isNewline) || header.value.contains("\0") {
                    throw WebSocketError(.invalidHeader, "the header \"\(name.prefix(40))\" has an empty name, a colon or space in its name, or a line break")
                }
            }
            if let file = trustedCertificatesFile, !FileManager.default.isReadableFile(atPath: file) {
                throw WebSocketError(.connectFailed, "cannot read the trusted certificates file \(file)")
            }
        }
    }

    struct Outgoing {
        var data: Data
        var binary: Bool
    }

    struct Shared {
        var machine = WebSocketConnectionStateMachine()
        var outbox: [Outgoing] = []
        var outboxHead = 0
        /// The bytes in `outbox` not yet written.
        var outboxBytes = 0
        var queuedForWrite = false
        var closeFrame: (code: UInt16, reason: String)?
        var abortRequested = false
        var connectContinuation: CheckedContinuation<Void, any Error>?
    }

    /// State only the service thread touches.
    final class IO: @unchecked Sendable {
        var socket: LWSSocket?
        var rx = Data()
        var rxBinary = false
        /// Set once a message went over the cap: what is left of it is dropped until the connection closes.
        var discardingMessage = false
        var peerClose: WebSocketCloseInfo?
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        deinit { cStrings.forEach { free($0) } }
    }

    /// A description of the peer (`ws://host:port/path` for clients, `server:port` for server sides).
    public let description: String
    let url: WebSocketURL?
    let options: Options
    let handler: any WebSocketHandler
    let shared: LockedValue<Shared>
    let io = IO()
    let loop: WebSocketEventLoop

    init(url: WebSocketURL?, description: String, options: Options, handler: any WebSocketHandler,
         loop: WebSocketEventLoop, open: Bool) {
        self.url = url
        self.description = description
        self.options = options
        self.handler = handler
        self.loop = loop
        var s = Shared()
        if open { _ = s.machine.established() }
        self.shared = LockedValue(s)
    }

    /// Opens a client connection and returns once the handshake is complete.
    ///
    /// - Throws: ``WebSocketError`` with `.connectFailed` (refused, unreachable, handshake rejected, a
    ///   certificate not trusted — the message says which), `.timeout`, `.invalidURL`, or
    ///   `.invalidHeader` for a header with a line break.
    public static func connect(
        to url: WebSocketURL, options: Options = Options(), handler: any WebSocketHandler
    ) async throws -> WebSocketConnection {
        try options.validate()
        let loop = try WebSocketEventLoop.shared.started()
        let connection = WebSocketConnection(
            url: url, description: url.description, options: options, handler: handler, loop: loop, open: false)
        let timeout = options.connectTimeout
        let timer = afterDelay(timeout) {
            connection.closeNow(code: 1006, reason: "connect timed out",
                                error: WebSocketError(.timeout, "connecting to \(url) took longer than \(timeout)"))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                connection.shared.withLock { $0.connectContinuation = continuation }
                loop.requestConnect(connection)
            }
        } onCancel: {
            connection.closeNow(code: 1006, reason: "connect cancelled",
                                error: WebSocketError(.connectFailed, "connect to \(url) was cancelled"))
        }
        return connection
    }

    /// True while messages can be sent.
    public var isOpen: Bool { shared.withLock { $0.machine.isOpen } }

    /// Why the connection closed, once it has.
    public var closeInfo: WebSocketCloseInfo? {
        shared.withLock {
            if case .closed(let info) = $0.machine.state { return info }
            return nil
        }
    }

    /// Queues a text message.
    /// - Throws: ``WebSocketError/Code/connectionClosed`` once the connection is closing or closed.
    public func send(text: String) throws {
        try send(Data(text.utf8), binary: false)
    }

    /// Queues a message. Text messages must be valid UTF-8.
    /// - Throws: ``WebSocketError/Code/connectionClosed`` once the connection is closing or closed.
    /// - Throws: ``WebSocketError/Code/tooFarBehind`` (and the connection closes) when the bytes queued
    ///   for a peer that does not read would go over ``Options/maxQueuedBytes``.
    public func send(_ data: Data, binary: Bool = false) throws {
        let wake: Bool? = try shared.withLock { s in
            switch s.machine.sendRequested() {
            case .reject(let error): throw error
            case .enqueue:
                // One message goes out whatever its size (``Options/maxMessageSize`` is the peer's cap);
                // more queue up only while the bytes waiting stay within the cap.
                guard s.outboxBytes == 0 || s.outboxBytes + data.count <= options.maxQueuedBytes else { return nil }
                s.outbox.append(Outgoing(data: data, binary: binary))
                s.outboxBytes += data.count
                defer { s.queuedForWrite = true }
                return !s.queuedForWrite
            }
        }
        guard let wake else {
            let error = WebSocketError(.tooFarBehind, "\(description) does not read: over \(options.maxQueuedBytes) bytes wait for it",
                                       closeCode: 1008)
            closeNow(code: 1008, reason: "too far behind", error: error)
            // The peer does not read, so a close frame behind the queue would never go out: drop the
            // queue and end the connection now.
            shared.withLock { s in
                s.outbox.removeAll()
                s.outboxHead = 0
                s.outboxBytes = 0
                s.abortRequested = true
            }
            loop.requestWrite(self)
            throw error
        }
        if wake { loop.requestWrite(self) }
    }

    /// The bytes queued for the peer and not yet written.
    public var queuedBytes: Int { shared.withLock { $0.outboxBytes } }

    /// Starts the closing handshake after the queued messages are written. Returns at once; the
    /// handler's `didCloseWith` reports the end.
    public func close(code: UInt16 = 1000, reason: String = "") {
        closeNow(code: code, reason: reason, error: nil)
    }

    /// Drops the TCP connection without a closing handshake (what a crashed peer looks like to the
    /// other side). Meant for fault-injection tests and for giving up on an unresponsive peer.
    public func abort() {
        let wake = shared.withLock { s -> Bool in
            if case .closed = s.machine.state { return false }
            s.abortRequested = true
            return true
        }
        if wake { loop.requestWrite(self) }
    }

    func closeNow(code: UInt16, reason: String, error: WebSocketError?) {
        let (action, continuation) = shared.withLock { s -> (WebSocketConnectionStateMachine.CloseAction, CheckedContinuation<Void, any Error>?) in
            let action = s.machine.closeRequested(code: code, reason: reason, error: error)
            switch action {
            case .sendCloseFrame(let code, let reason):
                s.closeFrame = (code, reason)
                return (action, nil)
            case .abortConnect:
                s.abortRequested = true
                defer { s.connectContinuation = nil }
                return (action, s.connectContinuation)
            case .none:
                return (action, nil)
            }
        }
        switch action {
        case .sendCloseFrame: loop.requestWrite(self)
        case .abortConnect(let error):
            continuation?.resume(throwing: error)
            loop.requestWrite(self)
        case .none: break
        }
    }

    // MARK: Called on the service thread by the event loop

    /// The next thing to write, or nil when there is nothing left.
    enum WriteStep {
        case message(Outgoing, more: Bool)
        case closeFrame(code: UInt16, reason: String)
        case abort
        case nothing
    }

    func nextWrite() -> WriteStep {
        shared.withLock { s in
            if s.abortRequested { return .abort }
            if s.outboxHead < s.outbox.count {
                let message = s.outbox[s.outboxHead]
                s.outboxBytes -= message.data.count
                s.outbox[s.outboxHead] = Outgoing(data: Data(), binary: false)
                s.outboxHead += 1
                if s.outboxHead == s.outbox.count {
                    s.outbox.removeAll(keepingCapacity: s.outbox.count < 1024)
                    s.outboxHead = 0
                }
                let more = s.outboxHead < s.outbox.count || s.closeFrame != nil
                if !more { s.queuedForWrite = false }
                return .message(message, more: more)
            }
            s.queuedForWrite = false
            if let frame = s.closeFrame {
                s.closeFrame = nil
                return .closeFrame(code: frame.code, reason: frame.reason)
            }
            return .nothing
        }
    }

    func didEstablish() {
        let continuation = shared.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard s.machine.established() == .resumeConnected else { return nil }
            defer { s.connectContinuation = nil }
            return s.connectContinuation
        }
        continuation?.resume()
    }

    func didCloseSocket(failure: String?) {
        let peer = io.peerClose
        let (action, continuation) = shared.withLock { s -> (WebSocketConnectionStateMachine.ClosedAction, CheckedContinuation<Void, any Error>?) in
            let action = s.machine.socketClosed(peer: peer, failure: failure)
            s.outbox.removeAll()
            s.outboxHead = 0
            s.outboxBytes = 0
            defer { s.connectContinuation = nil }
            return (action, s.connectContinuation)
        }
        switch action {
        case .failConnect(let error): continuation?.resume(throwing: error)
        case .notifyClosed(let info): handler.webSocket(self, didCloseWith: info)
        case .none: break
        }
    }

    /// The message exceeded the cap: the rest of it is dropped as it arrives and the connection closes with
    /// 1009 from the writable callback. (Returning -1 from a receive callback in the middle of a message
    /// makes libwebsockets 4.1 free its receive buffer twice, so the close never happens in the receive path.)
    func messageTooLarge(size: Int) {
        io.rx = Data()
        io.discardingMessage = true
        let error = WebSocketError(
            .messageTooLarge, "message of at least \(size) bytes exceeds the cap of \(options.maxMessageSize) bytes",
            closeCode: 1009)
        closeNow(code: 1009, reason: "message too big", error: error)
    }
}

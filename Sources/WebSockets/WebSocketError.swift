/// An error from a WebSocket connection or server.
///
/// Compare with the static members (`error.code == .connectionClosed`) or use the predicates; new codes
/// may be added without breaking callers.
public struct WebSocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable identifier.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidURL, connectFailed, connectionClosed, messageTooLarge, timeout, listenFailed, invalidHeader, httpStatus, tooFarBehind
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A header to send has a line break, or a colon or space in its name.
        public static let invalidHeader = Code(.invalidHeader)
        /// An HTTP request (``HTTPClient``) was answered with a status other than 2xx; the message holds it.
        public static let httpStatus = Code(.httpStatus)
        /// The URL is not a `ws://` or `wss://` URL this library can connect to.
        public static let invalidURL = Code(.invalidURL)
        /// The TCP connection or the WebSocket handshake failed.
        public static let connectFailed = Code(.connectFailed)
        /// The connection is closed (by either side, or because the peer vanished).
        public static let connectionClosed = Code(.connectionClosed)
        /// A message was larger than the connection's cap.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The connection did not open in time.
        public static let timeout = Code(.timeout)
        /// A server could not listen on the requested address.
        public static let listenFailed = Code(.listenFailed)
        /// The peer does not read: more than the connection's cap of queued bytes
        /// (``WebSocketConnection/Options/maxQueuedBytes``) waits for it, so the connection was closed (1008).
        public static let tooFarBehind = Code(.tooFarBehind)

        /// The code's name.
        public var description: String { "\(value)" }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation naming the URL or address involved.
    public var message: String
    /// The WebSocket close code, when the peer or this side sent one.
    public var closeCode: UInt16?

    /// An error with its code, message and close code.
    public init(_ code: Code, _ message: String, closeCode: UInt16? = nil) {
        self.code = code
        self.message = message
        self.closeCode = closeCode
    }

    /// `WebSocketError.connectFailed: ...`.
    public var description: String { "WebSocketError.\(code): \(message)" }

    /// True when the connection is closed or was never opened.
    public var isConnectionClosed: Bool { code == .connectionClosed || code == .connectFailed }
}

/// Why a connection closed.
public struct WebSocketCloseInfo: Sendable, Hashable, CustomStringConvertible {
    /// The close code received or sent (1000 normal, 1006 abnormal: no close frame).
    public var code: UInt16
    /// The close reason text, possibly empty.
    public var reason: String
    /// True when this side asked for the close.
    public var initiatedLocally: Bool
    /// Set when the close was caused by an error (for example a message over the cap).
    public var error: WebSocketError?

    /// A close of `code` with its reason, which side asked, and the error behind it.
    public init(code: UInt16, reason: String, initiatedLocally: Bool, error: WebSocketError? = nil) {
        self.code = code
        self.reason = reason
        self.initiatedLocally = initiatedLocally
        self.error = error
    }

    /// `close 1000 "done" (local)`.
    public var description: String {
        "close \(code)\(reason.isEmpty ? "" : " \"\(reason)\"")\(initiatedLocally ? " (local)" : "")"
    }
}

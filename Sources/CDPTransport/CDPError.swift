/// An error from the CDP client: a stable ``Code`` plus a message naming the method, session and
/// URL involved.
///
/// Match on the code (`error.code == .timeout`) or use the predicates; codes may be added without
/// breaking callers.
public struct CDPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The WebSocket to the browser closed (or could not be opened); nothing more can be sent.
        public static let connectionClosed = Code("connectionClosed")
        /// The browser process died.
        public static let browserCrashed = Code("browserCrashed")
        /// The target (tab) of the session was closed or detached.
        public static let targetClosed = Code("targetClosed")
        /// The renderer of the session's target crashed; navigate or reload to recover.
        public static let targetCrashed = Code("targetCrashed")
        /// No reply came before the command's deadline.
        public static let timeout = Code("timeout")
        /// The browser answered with a protocol error (unknown method, bad parameters, ...).
        public static let protocolError = Code("protocolError")
        /// The browser's reply or event could not be decoded as the expected type, or was not JSON.
        public static let invalidResponse = Code("invalidResponse")
        /// A message from the browser exceeded the size cap.
        public static let messageTooLarge = Code("messageTooLarge")
        /// Chromium could not be found or did not start.
        public static let launchFailed = Code("launchFailed")
        /// The endpoint URL is not something this client can attach to.
        public static let invalidEndpoint = Code("invalidEndpoint")
        /// The awaiting task was cancelled.
        public static let cancelled = Code("cancelled")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// What happened, naming the method, session or URL involved.
    public var message: String
    /// The CDP method involved, if any.
    public var method: String?
    /// The session id involved ("" is the browser session), if any.
    public var sessionId: String?
    /// The protocol error code for ``Code/protocolError`` (e.g. -32601 method not found).
    public var protocolCode: Int?
    /// For ``Code/launchFailed``: the last lines Chromium wrote to stderr.
    public var stderrTail: String?

    /// An error with its code, message and what was involved.
    public init(_ code: Code, _ message: String, method: String? = nil, sessionId: String? = nil,
                protocolCode: Int? = nil, stderrTail: String? = nil) {
        self.code = code
        self.message = message
        self.method = method
        self.sessionId = sessionId
        self.protocolCode = protocolCode
        self.stderrTail = stderrTail
    }

    /// The same error, naming `method` and `sessionId` when it did not already.
    func about(method: String, sessionId: String) -> CDPError {
        var copy = self
        if copy.method == nil { copy.method = method }
        if copy.sessionId == nil { copy.sessionId = sessionId }
        return copy
    }

    /// `CDPError.timeout [Page.navigate]: ...`, with Chromium's last stderr lines for a failed launch.
    public var description: String {
        var text = "CDPError.\(code)"
        if let method { text += " [\(method)]" }
        text += ": \(message)"
        if let stderrTail, !stderrTail.isEmpty { text += "\n--- chromium stderr (tail) ---\n\(stderrTail)" }
        return text
    }

    /// The connection or the browser is gone: reconnect or relaunch to continue.
    public var isConnectionClosed: Bool { code == .connectionClosed || code == .browserCrashed }
    /// The target is gone or crashed; other targets may still work.
    public var isTargetGone: Bool { code == .targetClosed || code == .targetCrashed }
    /// Whether no reply came before the deadline.
    public var isTimeout: Bool { code == .timeout }
}

import CDPTransport
import Coordination
public import EventBuffer

/// Why an action or a session operation failed: a stable ``Code`` and a message naming the selector,
/// URL or method involved.
public struct SessionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why it failed, as a stable name; new codes are not breaking.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name (`timeout`, `notInControl`, ...).
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The selector cannot be parsed (fails at once, without waiting).
        public static let invalidSelector = Code("invalidSelector")
        /// The action did not finish in time: a missing element, a navigation that never loads, ...
        public static let timeout = Code("timeout")
        /// The browser could not load the URL (`net::ERR_NAME_NOT_RESOLVED`, ...).
        public static let navigationFailed = Code("navigationFailed")
        /// The string is not a URL, or not an endpoint to attach to with the headers given; nothing was sent.
        public static let invalidURL = Code("invalidURL")
        /// The URL's scheme is not allowed (see ``SharedBrowserSession/Options/allowedURLSchemes``).
        public static let urlNotAllowed = Code("urlNotAllowed")
        /// The page script threw or its promise rejected; ``SessionError/stack`` has the stack.
        public static let evaluationFailed = Code("evaluationFailed")
        /// Another participant holds control (``SessionError/heldBy``).
        public static let notInControl = Code("notInControl")
        /// A person denied the approval the action needed (``SharedBrowserSession/Options/approvals``);
        /// the message has their reason.
        public static let approvalDenied = Code("approvalDenied")
        /// A JavaScript dialog is open in the tab; handle it first.
        public static let dialogOpen = Code("dialogOpen")
        /// No option of the `<select>` has the given value or label.
        public static let optionNotFound = Code("optionNotFound")
        /// The element is of the wrong kind for the action (filling a `<div>`, checking a button).
        public static let notApplicable = Code("notApplicable")
        /// A `BrowserAction` of an unknown type, without a parameter its type needs, with one its type
        /// does not take, or with a value its declaration does not allow.
        public static let invalidAction = Code("invalidAction")
        /// The action may not come through the door it came by: a person's input that is not input,
        /// JavaScript where the door does not allow it (`ActionDeclaration/admits(_:)`).
        public static let actionNotAllowed = Code("actionNotAllowed")
        /// Another session uses the profile directory.
        public static let profileLocked = Code("profileLocked")
        /// A ref from before a navigation (refs come with accessibility snapshots).
        public static let staleReference = Code("staleReference")
        /// The tab was closed.
        public static let targetClosed = Code("targetClosed")
        /// The tab's renderer crashed; navigate or reload to recover.
        public static let targetCrashed = Code("targetCrashed")
        /// The browser is gone.
        public static let browserCrashed = Code("browserCrashed")
        /// The connection to the browser closed.
        public static let connectionClosed = Code("connectionClosed")
        /// The session could not start the browser.
        public static let launchFailed = Code("launchFailed")
        /// The browser refused a command.
        public static let protocolError = Code("protocolError")
        /// The waiting task was cancelled.
        public static let cancelled = Code("cancelled")
        /// No tab with that id.
        public static let noSuchTab = Code("noSuchTab")
        /// The session id does not fit ``SharedBrowserSession/Options/id``'s pattern (it names folders).
        public static let invalidSessionID = Code("invalidSessionID")
        /// Signing in did not work: the site refused the credentials, they could not be read, or the
        /// login page was on another origin (no credentials were sent there).
        public static let authenticationFailed = Code("authenticationFailed")

        /// The code's name.
        public var description: String { name }
    }

    /// Why it failed.
    public var code: Code
    /// What failed, naming the selector, URL or method involved.
    public var message: String
    /// The selector or ref involved.
    public var selector: String?
    /// The URL involved.
    public var url: String?
    /// For ``Code/evaluationFailed``: the script's stack.
    public var stack: String?
    /// For ``Code/notInControl``: who holds control.
    public var heldBy: Participant?
    /// For ``Code/notInControl``: the tab whose control it was about; nil for the whole browser.
    public var tab: String?

    /// The error for an action its declaration or its door refused: ``Code/actionNotAllowed`` for a
    /// door that may not send it, ``Code/invalidAction`` for an unknown type or parameters that do
    /// not fit.
    public init(_ refusal: ActionRefusal) {
        switch refusal.reason {
        case .notThroughThisDoor, .javaScriptNotAllowed: self.init(.actionNotAllowed, refusal.message)
        case .unknownKind, .invalidParameters: self.init(.invalidAction, refusal.message)
        }
    }

    /// An error with its code, message and what was involved.
    public init(_ code: Code, _ message: String, selector: String? = nil, url: String? = nil,
                stack: String? = nil, heldBy: Participant? = nil) {
        self.code = code
        self.message = message
        self.selector = selector
        self.url = url
        self.stack = stack
        self.heldBy = heldBy
    }

    /// `SessionError.timeout: ...`.
    public var description: String { "SessionError.\(code): \(message)" }

    /// Maps errors of the layers below to a session error, with no DevTools URL or secret URL value
    /// in its message or URL (``Redaction``).
    static func from(_ error: any Error, selector: String? = nil, url: String? = nil) -> SessionError {
        var mapped = mapped(error, selector: selector, url: url)
        mapped.message = Redaction.text(mapped.message)
        mapped.url = mapped.url.map { Redaction.text(Redaction.url($0)) }
        return mapped
    }

    private static func mapped(_ error: any Error, selector: String?, url: String?) -> SessionError {
        if let error = error as? SessionError { return error }
        if let error = error as? CoordinationError {
            var mapped: SessionError
            switch error.code {
            case .timedOut: mapped = SessionError(.timeout, error.message, heldBy: error.heldBy)
            case .cancelled: mapped = SessionError(.cancelled, error.message, heldBy: error.heldBy)
            default: mapped = SessionError(.notInControl, error.message, heldBy: error.heldBy)
            }
            mapped.tab = error.tab
            return mapped
        }
        if let error = error as? CDPError {
            let code: Code
            switch error.code {
            case .timeout: code = .timeout
            case .targetClosed: code = .targetClosed
            case .targetCrashed: code = .targetCrashed
            case .browserCrashed: code = .browserCrashed
            case .connectionClosed, .messageTooLarge, .invalidResponse: code = .connectionClosed
            case .launchFailed: code = .launchFailed
            case .invalidEndpoint: code = .invalidURL
            case .cancelled: code = .cancelled
            default: code = .protocolError
            }
            return SessionError(code, error.message + (error.stderrTail.map { "\n\($0)" } ?? ""), selector: selector, url: url)
        }
        if error is CancellationError { return SessionError(.cancelled, "the task was cancelled", selector: selector, url: url) }
        return SessionError(.protocolError, "\(error)", selector: selector, url: url)
    }
}

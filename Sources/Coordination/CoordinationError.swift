/// Why a participant could not act or get control.
public struct CoordinationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why it failed, as a stable name; new codes are not breaking.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// Someone else holds control (``CoordinationError/heldBy``), or no one does.
        public static let notInControl = Code("notInControl")
        /// Waiting for control took longer than the caller allowed.
        public static let timedOut = Code("timedOut")
        /// The wait was cancelled (its task, or the participant released or left).
        public static let cancelled = Code("cancelled")
        /// The participant is already waiting for control.
        public static let alreadyWaiting = Code("alreadyWaiting")
        /// The operation is not for this kind of participant (only humans take over).
        public static let notAllowed = Code("notAllowed")
        /// The code's name.
        public var description: String { name }
    }

    /// Why it failed.
    public var code: Code
    /// Who held control when the error happened.
    public var heldBy: Participant?
    /// What happened, naming the participant and the holder.
    public var message: String

    /// An error with its code, the holder and a message.
    public init(_ code: Code, heldBy: Participant?, _ message: String) {
        self.code = code
        self.heldBy = heldBy
        self.message = message
    }

    /// `CoordinationError.notInControl: ...`.
    public var description: String { "CoordinationError.\(code): \(message)" }

    static func notInControl(_ participant: Participant, heldBy holder: Participant?) -> CoordinationError {
        CoordinationError(.notInControl, heldBy: holder,
                          "\(participant) is not in control; \(holder.map { "\($0) holds control" } ?? "no one holds control")")
    }
}

/// A change of who holds control, as reported by ``AgentCoordinator/events()``.
public struct ControlEvent: Sendable, Hashable, CustomStringConvertible {
    /// What changed.
    public enum Change: String, Sendable, Hashable, Codable {
        /// A participant started waiting for control.
        case requested
        /// A participant got control.
        case granted
        /// The holder gave control up.
        case released
        /// A holder's lease ran out without activity.
        case expired
        /// A human took control from whoever held it.
        case takenOver
        /// A human gave control back.
        case handedBack
        /// A participant stopped waiting because its timeout passed.
        case timedOut
    }

    /// What changed.
    public var change: Change
    /// The participant the change is about.
    public var participant: Participant
    /// Who holds control after the change.
    public var holder: Participant?
    /// Who held it before.
    public var previousHolder: Participant?
    /// When, as time since the coordinator was created.
    public var at: Duration

    /// `granted agent:a (holder: agent:a)`.
    public var description: String {
        "\(change.rawValue) \(participant) (holder: \(holder?.description ?? "none"))"
    }
}

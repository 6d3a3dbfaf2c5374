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
        /// Waiting for this tab could deadlock: the participant holds a tab opened after it. Tabs are
        /// waited for in the order they were opened (the session before any); out of order, a free tab
        /// can still be taken without waiting.
        public static let lockOrder = Code("lockOrder")
        /// The code's name.
        public var description: String { name }
    }

    /// Why it failed.
    public var code: Code
    /// Who held control when the error happened (of the tab, when ``tab`` is set).
    public var heldBy: Participant?
    /// The tab whose control it was about; nil for the whole browser.
    public var tab: String?
    /// What happened, naming the participant and the holder.
    public var message: String

    /// An error with its code, the holder, the tab (nil: the whole browser) and a message.
    public init(_ code: Code, heldBy: Participant?, tab: String? = nil, _ message: String) {
        self.code = code
        self.heldBy = heldBy
        self.tab = tab
        self.message = message
    }

    /// `CoordinationError.notInControl: ...`.
    public var description: String { "CoordinationError.\(code): \(message)" }

    static func notInControl(_ participant: Participant, heldBy holder: Participant?) -> CoordinationError {
        notInControl(participant, of: .session, heldBy: holder)
    }

    /// The refusal names the holder and the lane: `agent:b is not in control of tab 3A…; agent:a holds
    /// control of it`. For the session, `blockingTab` is a tab another holds, which keeps it from being granted.
    static func notInControl(_ participant: Participant, of lane: ControlStateMachine.Lane, heldBy holder: Participant?,
                             blockingTab: String? = nil) -> CoordinationError {
        switch lane {
        case .session:
            let held = holder.map { "\($0) holds control of \(blockingTab.map { "tab \($0)" } ?? "the whole browser")" } ?? "no one holds control"
            return CoordinationError(.notInControl, heldBy: holder, "\(participant) is not in control; \(held)")
        case .tab(let tab):
            let held = holder.map { "\($0) holds control of it" } ?? "no one holds control of it"
            return CoordinationError(.notInControl, heldBy: holder, tab: tab, "\(participant) is not in control of tab \(tab); \(held)")
        }
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
    /// The tab whose control changed; nil for the whole browser.
    public var tab: String?
    /// When, as time since the coordinator was created.
    public var at: Duration

    /// An event of a change of control of `tab` (nil: the whole browser).
    public init(change: Change, participant: Participant, holder: Participant?, previousHolder: Participant?,
                tab: String? = nil, at: Duration) {
        self.change = change
        self.participant = participant
        self.holder = holder
        self.previousHolder = previousHolder
        self.tab = tab
        self.at = at
    }

    /// `granted agent:a (holder: agent:a)`, with ` in tab T` for a tab.
    public var description: String {
        "\(change.rawValue) \(participant)\(tab.map { " in tab \($0)" } ?? "") (holder: \(holder?.description ?? "none"))"
    }
}

/// Where a session is in its life. Recovery moves it between these; `SharedBrowserSession/lifecycleState`
/// tells the current one and `browserCrashed`, `browserRestarted`, `disconnected` and `reconnected`
/// events each change.
public enum LifecycleState: String, Sendable, Hashable, Codable {
    case starting
    /// The browser answers; actions run.
    case running
    /// The browser process died; a relaunch follows when the policy allows it.
    case crashed
    case relaunching
    /// The connection dropped or stalled while the browser may live; a reconnect follows when the
    /// policy allows it.
    case disconnected
    case reconnecting
    case closing
    case closed
}

/// What a session does when its browser dies or its connection drops.
public enum RecoveryPolicy: String, Sendable, Hashable, Codable {
    /// Reconnect to a browser that lives; relaunch a launched browser that died (or cannot be
    /// reconnected) on the same profile, restoring its tabs and cookies. The default.
    case relaunch
    /// Reconnect to a browser that lives; never relaunch.
    case reconnect
    /// Neither: once the browser is gone, actions fail.
    case none
}

/// The session's lifecycle as a state machine value, in the style of async-http-client's
/// `HTTP1ConnectionStateMachine`: a private ``State`` holds the data of each state in its case, every
/// input returns an ``Action`` (the work to do and what to report), and nothing here does I/O, so
/// every path (crash, drop, stall, failed tries, close during recovery) is tested as a value.
///
/// Inputs that may arrive in any order in a live session (a connection lost while closing, a
/// recovery outcome after close was asked) are ignored. Inputs that cannot happen (a reconnect that
/// succeeds when none was tried) throw ``Impossible``, naming the input and the state.
struct Lifecycle: Sendable, Hashable {
    /// How many times a dropped connection is tried again before giving up (or relaunching).
    static let reconnectAttempts = 3

    private enum State: Sendable, Hashable {
        case starting
        case running
        /// The browser process died; `relaunch` follows when the policy allows it.
        case crashed
        case relaunching
        /// The connection dropped while the browser may live: try `next` comes (after its backoff),
        /// or nil when the tries ran out (the session gave up until an action asks again).
        case disconnected(next: Int?)
        case reconnecting(attempt: Int)
        case closing
        case closed
    }

    /// What the shell does next.
    enum Work: Sendable, Hashable {
        case none
        /// Try to reconnect, after waiting `after` (backoff).
        case reconnect(attempt: Int, after: Duration)
        /// Launch the browser again on the same profile.
        case relaunch
    }

    /// What the shell reports (as an event) for the transition.
    enum Report: Sendable, Hashable {
        /// The browser process died (`browserCrashed`); `afterTries` when reconnecting failed first.
        case crashed(afterTries: Int?)
        /// The connection dropped while the browser lives (`disconnected`).
        case disconnected
        /// Reconnecting failed `tries` times; the next action tries again (an `error` event).
        case gaveUp(tries: Int)
        /// The connection is back (`reconnected`), on try `attempt`.
        case reconnected(attempt: Int)
        /// A browser runs again with the tabs reopened (`browserRestarted`): relaunched, or found
        /// restarted behind its endpoint.
        case restarted
        /// A relaunch failed (an `error` event); the session stays crashed.
        case relaunchFailed
    }

    /// The answer to an input: what to do, and what to report.
    struct Action: Sendable, Hashable {
        var work: Work = .none
        var report: Report?
        static let none = Action()
    }

    /// An input that cannot happen in the state the machine is in.
    struct Impossible: Error, Sendable, Hashable, CustomStringConvertible {
        let input: String
        let state: LifecycleState
        var description: String { "lifecycle: \(input) cannot happen while \(state.rawValue)" }
    }

    private var state: State = .starting
    /// Whether the session launched its browser (it can relaunch it) or attached to one.
    let launched: Bool
    let policy: RecoveryPolicy

    init(launched: Bool, policy: RecoveryPolicy) {
        self.launched = launched
        self.policy = policy
    }

    /// The state as the session's public ``LifecycleState``.
    var publicState: LifecycleState {
        switch state {
        case .starting: .starting
        case .running: .running
        case .crashed: .crashed
        case .relaunching: .relaunching
        case .disconnected: .disconnected
        case .reconnecting: .reconnecting
        case .closing: .closing
        case .closed: .closed
        }
    }

    /// Whether actions may run now.
    var isRunning: Bool { state == .running }

    /// Whether the session is closing or closed.
    var isClosing: Bool { state == .closing || state == .closed }

    /// Whether a recovery is under way (actions wait for it rather than fail).
    var isRecovering: Bool {
        switch state {
        case .relaunching, .reconnecting: true
        case .disconnected(let next): next != nil
        default: false
        }
    }

    /// Whether the session gave up reconnecting (a browser that may come back: an attached one, or a
    /// launched one the policy does not relaunch).
    var gaveUp: Bool { state == .disconnected(next: nil) }

    /// The try under way or next, while reconnecting; 0 otherwise.
    var attempt: Int {
        switch state {
        case .disconnected(let next): next ?? 0
        case .reconnecting(let attempt): attempt
        default: 0
        }
    }

    private func impossible(_ input: String) -> Impossible { Impossible(input: input, state: publicState) }

    /// The browser answers: the session runs.
    mutating func started() throws(Impossible) -> Action {
        guard state == .starting else { throw impossible("started") }
        state = .running
        return .none
    }

    /// The connection ended. `browserAlive`: the launched process still runs (always true when
    /// attached: the process cannot be seen, so the socket is tried again). Ignored unless running
    /// (a recovery or a close is already under way).
    mutating func connectionLost(browserAlive: Bool) -> Action {
        guard state == .running else { return .none }
        if launched && !browserAlive {
            state = .crashed
            return Action(work: policy == .relaunch ? .relaunch : .none, report: .crashed(afterTries: nil))
        }
        guard policy != .none else {
            state = .disconnected(next: nil)
            return Action(report: .disconnected)
        }
        state = .disconnected(next: 1)
        return Action(work: .reconnect(attempt: 1, after: .zero), report: .disconnected)
    }

    /// A reconnect try begins (after its backoff).
    mutating func reconnectStarted() throws(Impossible) -> Action {
        if isClosing { return .none }
        guard case .disconnected(let next?) = state else { throw impossible("reconnectStarted") }
        state = .reconnecting(attempt: next)
        return .none
    }

    /// The try worked. `restarted`: the endpoint answered with a browser restarted behind it, whose
    /// tabs were reopened.
    mutating func reconnected(restarted: Bool) throws(Impossible) -> Action {
        if isClosing { return .none }
        guard case .reconnecting(let attempt) = state else { throw impossible("reconnected") }
        state = .running
        return Action(report: restarted ? .restarted : .reconnected(attempt: attempt))
    }

    /// A try failed: try again with a doubling backoff (100, 200 ms), then relaunch a launched browser
    /// the policy allows, else give up until an action asks again.
    mutating func reconnectFailed(browserAlive: Bool) throws(Impossible) -> Action {
        if isClosing { return .none }
        guard case .reconnecting(let attempt) = state else { throw impossible("reconnectFailed") }
        if browserAlive || !launched, attempt < Self.reconnectAttempts {
            state = .disconnected(next: attempt + 1)
            return Action(work: .reconnect(attempt: attempt + 1, after: .milliseconds(100 << (attempt - 1))))
        }
        if launched && policy == .relaunch {
            state = .crashed
            return Action(work: .relaunch, report: .crashed(afterTries: attempt))
        }
        state = .disconnected(next: nil)
        return Action(report: .gaveUp(tries: attempt))
    }

    /// An action arrived: after the session gave up, try once more (one try, so an action waits at
    /// most one connect timeout for a browser that is still out of reach). Nothing otherwise.
    mutating func retryRequested() -> Action {
        guard gaveUp, policy != .none else { return .none }
        state = .disconnected(next: Self.reconnectAttempts)
        return Action(work: .reconnect(attempt: Self.reconnectAttempts, after: .zero))
    }

    /// A relaunch begins.
    mutating func relaunchStarted() throws(Impossible) -> Action {
        if isClosing { return .none }
        guard state == .crashed else { throw impossible("relaunchStarted") }
        state = .relaunching
        return .none
    }

    /// The relaunch worked.
    mutating func relaunched() throws(Impossible) -> Action {
        if isClosing { return .none }
        guard state == .relaunching else { throw impossible("relaunched") }
        state = .running
        return Action(report: .restarted)
    }

    /// The relaunch failed: the session stays crashed.
    mutating func relaunchFailed() throws(Impossible) -> Action {
        if isClosing { return .none }
        guard state == .relaunching else { throw impossible("relaunchFailed") }
        state = .crashed
        return Action(report: .relaunchFailed)
    }

    /// Returns false when the session is closing or closed already.
    mutating func closeRequested() -> Bool {
        guard !isClosing else { return false }
        state = .closing
        return true
    }

    /// The close finished.
    mutating func closed() throws(Impossible) -> Action {
        guard state == .closing else { throw impossible("closed") }
        state = .closed
        return .none
    }
}

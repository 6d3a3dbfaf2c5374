/// Where a session is in its life. Recovery moves it between these; ``SharedBrowserSession/lifecycle``
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

/// The session's lifecycle as a value: each input returns what to do next, and nothing here does I/O,
/// so every path (crash, drop, stall, failed tries, close during recovery) is tested as a value.
struct Lifecycle: Sendable, Hashable {
    /// How many times a dropped connection is tried again before giving up (or relaunching).
    static let reconnectAttempts = 3

    enum Action: Sendable, Hashable {
        case none
        /// Try to reconnect, after waiting `after` (backoff).
        case reconnect(attempt: Int, after: Duration)
        /// Launch the browser again on the same profile.
        case relaunch
    }

    private(set) var state: LifecycleState = .starting
    /// Whether the session launched its browser (it can relaunch it) or attached to one.
    let launched: Bool
    let policy: RecoveryPolicy
    private(set) var attempt = 0

    init(launched: Bool, policy: RecoveryPolicy) {
        self.launched = launched
        self.policy = policy
    }

    /// Whether actions may run now.
    var isRunning: Bool { state == .running }

    /// Whether a recovery is under way (actions wait for it rather than fail).
    var isRecovering: Bool { state == .relaunching || state == .reconnecting || (state == .disconnected && attempt > 0) }

    mutating func started() {
        if state == .starting { state = .running }
    }

    /// The connection ended. `browserAlive`: the launched process still runs (always true when
    /// attached: the process cannot be seen, so the socket is tried again).
    mutating func connectionLost(browserAlive: Bool) -> Action {
        guard state == .running else { return .none }
        if launched && !browserAlive {
            state = .crashed
            attempt = 0
            return policy == .relaunch ? .relaunch : .none
        }
        state = .disconnected
        guard policy != .none else { return .none }
        attempt = 1
        return .reconnect(attempt: 1, after: .zero)
    }

    mutating func reconnecting() {
        if state == .disconnected { state = .reconnecting }
    }

    mutating func reconnected() {
        guard state == .reconnecting else { return }
        state = .running
        attempt = 0
    }

    /// A try failed: try again with a doubling backoff (100, 200 ms), then relaunch a launched browser
    /// the policy allows, else stay disconnected.
    mutating func reconnectFailed(browserAlive: Bool) -> Action {
        guard state == .reconnecting else { return .none }
        if browserAlive || !launched, attempt < Self.reconnectAttempts {
            state = .disconnected
            attempt += 1
            return .reconnect(attempt: attempt, after: .milliseconds(100 << (attempt - 2)))
        }
        attempt = 0
        if launched && policy == .relaunch {
            state = .crashed
            return .relaunch
        }
        state = .disconnected
        return .none
    }

    /// Whether the session gave up reconnecting (a browser that may come back: an attached one, or a
    /// launched one the policy does not relaunch).
    var gaveUp: Bool { state == .disconnected && attempt == 0 }

    /// An action arrived after the session gave up: try once more (one try, so an action waits at
    /// most one connect timeout for a browser that is still out of reach).
    mutating func retryRequested() -> Action {
        guard gaveUp, policy != .none else { return .none }
        attempt = Self.reconnectAttempts
        return .reconnect(attempt: attempt, after: .zero)
    }

    mutating func relaunching() {
        if state == .crashed { state = .relaunching }
    }

    mutating func relaunched() {
        if state == .relaunching { state = .running }
    }

    mutating func relaunchFailed() {
        if state == .relaunching { state = .crashed }
    }

    /// Returns false when the session is closing or closed already.
    mutating func closeRequested() -> Bool {
        guard state != .closing && state != .closed else { return false }
        state = .closing
        return true
    }

    mutating func closed() { state = .closed }
}

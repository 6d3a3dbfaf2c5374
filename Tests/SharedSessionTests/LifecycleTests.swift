@testable import SharedSession
import Testing

@Suite struct LifecycleTests {
    @Test func aLaunchedBrowserThatDiesIsRelaunched() {
        var life = Lifecycle(launched: true, policy: .relaunch)
        #expect(life.state == .starting && !life.isRunning)
        life.started()
        #expect(life.isRunning)
        do { let answer = life.connectionLost(browserAlive: false); #expect(answer == .relaunch) }
        #expect(life.state == .crashed)
        life.relaunching()
        #expect(life.state == .relaunching && life.isRecovering)
        life.relaunched()
        #expect(life.state == .running)
    }

    @Test func aFailedRelaunchLeavesTheSessionCrashed() {
        var life = Lifecycle(launched: true, policy: .relaunch)
        life.started()
        _ = life.connectionLost(browserAlive: false)
        life.relaunching()
        life.relaunchFailed()
        #expect(life.state == .crashed && !life.isRecovering)
        // A second loss while not running changes nothing.
        do { let answer = life.connectionLost(browserAlive: false); #expect(answer == .none) }
    }

    @Test func aDroppedSocketIsReconnectedThreeTimesWithBackoffThenRelaunched() {
        var life = Lifecycle(launched: true, policy: .relaunch)
        life.started()
        do { let answer = life.connectionLost(browserAlive: true); #expect(answer == .reconnect(attempt: 1, after: .zero)) }
        #expect(life.state == .disconnected && life.isRecovering)
        life.reconnecting()
        do { let answer = life.reconnectFailed(browserAlive: true); #expect(answer == .reconnect(attempt: 2, after: .milliseconds(100))) }
        life.reconnecting()
        do { let answer = life.reconnectFailed(browserAlive: true); #expect(answer == .reconnect(attempt: 3, after: .milliseconds(200))) }
        life.reconnecting()
        do { let answer = life.reconnectFailed(browserAlive: true); #expect(answer == .relaunch) }
        #expect(life.state == .crashed)
    }

    @Test func aReconnectSucceedsAndResetsTheTries() {
        var life = Lifecycle(launched: false, policy: .relaunch)
        life.started()
        do { let answer = life.connectionLost(browserAlive: true); #expect(answer == .reconnect(attempt: 1, after: .zero)) }
        life.reconnecting()
        life.reconnected()
        #expect(life.state == .running && life.attempt == 0)
        do { let answer = life.connectionLost(browserAlive: true); #expect(answer == .reconnect(attempt: 1, after: .zero)) }
    }

    @Test func anAttachedBrowserIsNeverRelaunched() {
        var life = Lifecycle(launched: false, policy: .relaunch)
        life.started()
        // Attached: the process cannot be seen, so even "dead" means try the socket again.
        do { let answer = life.connectionLost(browserAlive: false); #expect(answer == .reconnect(attempt: 1, after: .zero)) }
        for _ in 0..<2 {
            life.reconnecting()
            guard case .reconnect = life.reconnectFailed(browserAlive: false) else {
                Issue.record("expected another try")
                return
            }
        }
        life.reconnecting()
        do { let answer = life.reconnectFailed(browserAlive: false); #expect(answer == .none) }
        #expect(life.state == .disconnected && !life.isRecovering)
    }

    /// After the tries, each next action tries once more (a network that comes back later); never while
    /// running or recovering, nor under the `none` policy.
    @Test func aSessionThatGaveUpTriesAgainWhenAsked() {
        var life = Lifecycle(launched: false, policy: .relaunch)
        life.started()
        do { let answer = life.retryRequested(); #expect(answer == .none, "running: nothing to retry") }
        _ = life.connectionLost(browserAlive: true)
        #expect(!life.gaveUp, "still trying")
        do { let answer = life.retryRequested(); #expect(answer == .none) }
        for _ in 0..<3 {
            life.reconnecting()
            _ = life.reconnectFailed(browserAlive: true)
        }
        #expect(life.gaveUp && life.state == .disconnected)
        do { let answer = life.retryRequested(); #expect(answer == .reconnect(attempt: 3, after: .zero)) }
        life.reconnecting()
        do { let answer = life.reconnectFailed(browserAlive: true); #expect(answer == .none, "one try per action") }
        #expect(life.gaveUp)
        _ = life.retryRequested()
        life.reconnecting()
        life.reconnected()
        #expect(life.isRunning && !life.gaveUp)

        var none = Lifecycle(launched: false, policy: .none)
        none.started()
        _ = none.connectionLost(browserAlive: true)
        #expect(none.gaveUp)
        do { let answer = none.retryRequested(); #expect(answer == .none) }
    }

    @Test func policiesLimitRecovery() {
        var reconnectOnly = Lifecycle(launched: true, policy: .reconnect)
        reconnectOnly.started()
        do { let answer = reconnectOnly.connectionLost(browserAlive: false); #expect(answer == .none) }
        #expect(reconnectOnly.state == .crashed)

        var none = Lifecycle(launched: true, policy: .none)
        none.started()
        do { let answer = none.connectionLost(browserAlive: true); #expect(answer == .none) }
        #expect(none.state == .disconnected && !none.isRecovering)
    }

    @Test func closingWinsOverRecovery() {
        var life = Lifecycle(launched: true, policy: .relaunch)
        life.started()
        _ = life.connectionLost(browserAlive: false)
        do { let answer = life.closeRequested(); #expect(answer) }
        do { let again = life.closeRequested(); #expect(!again) }
        life.relaunching()
        #expect(life.state == .closing)
        life.closed()
        #expect(life.state == .closed)
        do { let answer = life.connectionLost(browserAlive: false); #expect(answer == .none) }
    }
}

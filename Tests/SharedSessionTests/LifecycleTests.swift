@testable import SharedSession
import Testing

/// The lifecycle as a pure value: every path, each answer's work and report, and every input that
/// cannot happen caught with the input and the state named.
@Suite struct LifecycleTests {
    typealias Action = Lifecycle.Action

    func running(launched: Bool = true, policy: RecoveryPolicy = .relaunch) throws -> Lifecycle {
        var life = Lifecycle(launched: launched, policy: policy)
        _ = try life.started()
        return life
    }

    @Test func aLaunchedBrowserThatDiesIsRelaunched() throws {
        var life = Lifecycle(launched: true, policy: .relaunch)
        #expect(life.publicState == .starting && !life.isRunning)
        _ = try life.started()
        #expect(life.isRunning)
        #expect(life.connectionLost(browserAlive: false) == Action(work: .relaunch, report: .crashed(afterTries: nil)))
        #expect(life.publicState == .crashed)
        _ = try life.relaunchStarted()
        #expect(life.publicState == .relaunching && life.isRecovering)
        #expect(try life.relaunched() == Action(report: .restarted))
        #expect(life.publicState == .running)
    }

    @Test func aFailedRelaunchLeavesTheSessionCrashed() throws {
        var life = try running()
        _ = life.connectionLost(browserAlive: false)
        _ = try life.relaunchStarted()
        #expect(try life.relaunchFailed() == Action(report: .relaunchFailed))
        #expect(life.publicState == .crashed && !life.isRecovering)
        // A second loss while not running changes nothing.
        #expect(life.connectionLost(browserAlive: false) == .none)
    }

    @Test func aDroppedSocketIsReconnectedThreeTimesWithBackoffThenRelaunched() throws {
        var life = try running()
        #expect(life.connectionLost(browserAlive: true) == Action(work: .reconnect(attempt: 1, after: .zero), report: .disconnected))
        #expect(life.publicState == .disconnected && life.isRecovering)
        _ = try life.reconnectStarted()
        #expect(life.publicState == .reconnecting && life.attempt == 1)
        #expect(try life.reconnectFailed(browserAlive: true) == Action(work: .reconnect(attempt: 2, after: .milliseconds(100))))
        _ = try life.reconnectStarted()
        #expect(try life.reconnectFailed(browserAlive: true) == Action(work: .reconnect(attempt: 3, after: .milliseconds(200))))
        _ = try life.reconnectStarted()
        #expect(try life.reconnectFailed(browserAlive: true) == Action(work: .relaunch, report: .crashed(afterTries: 3)))
        #expect(life.publicState == .crashed)
    }

    @Test func aReconnectSucceedsAndResetsTheTries() throws {
        var life = try running(launched: false)
        #expect(life.connectionLost(browserAlive: true).work == .reconnect(attempt: 1, after: .zero))
        _ = try life.reconnectStarted()
        #expect(try life.reconnected(restarted: false) == Action(report: .reconnected(attempt: 1)))
        #expect(life.publicState == .running && life.attempt == 0)
        #expect(life.connectionLost(browserAlive: true).work == .reconnect(attempt: 1, after: .zero))
        _ = try life.reconnectStarted()
        #expect(try life.reconnected(restarted: true) == Action(report: .restarted), "a browser restarted behind its endpoint")
    }

    @Test func anAttachedBrowserIsNeverRelaunched() throws {
        var life = try running(launched: false)
        // Attached: the process cannot be seen, so even "dead" means try the socket again.
        #expect(life.connectionLost(browserAlive: false).work == .reconnect(attempt: 1, after: .zero))
        for _ in 0..<2 {
            _ = try life.reconnectStarted()
            guard case .reconnect = try life.reconnectFailed(browserAlive: false).work else {
                Issue.record("expected another try")
                return
            }
        }
        _ = try life.reconnectStarted()
        #expect(try life.reconnectFailed(browserAlive: false) == Action(report: .gaveUp(tries: 3)))
        #expect(life.publicState == .disconnected && !life.isRecovering && life.gaveUp)
    }

    /// After the tries, each next action tries once more (a network that comes back later); never while
    /// running or recovering, nor under the `none` policy.
    @Test func aSessionThatGaveUpTriesAgainWhenAsked() throws {
        var life = try running(launched: false)
        #expect(life.retryRequested() == .none, "running: nothing to retry")
        _ = life.connectionLost(browserAlive: true)
        #expect(!life.gaveUp, "still trying")
        #expect(life.retryRequested() == .none)
        for _ in 0..<3 {
            _ = try life.reconnectStarted()
            _ = try life.reconnectFailed(browserAlive: true)
        }
        #expect(life.gaveUp && life.publicState == .disconnected)
        #expect(life.retryRequested() == Action(work: .reconnect(attempt: 3, after: .zero)))
        _ = try life.reconnectStarted()
        #expect(try life.reconnectFailed(browserAlive: true) == Action(report: .gaveUp(tries: 3)), "one try per action")
        #expect(life.gaveUp)
        _ = life.retryRequested()
        _ = try life.reconnectStarted()
        _ = try life.reconnected(restarted: false)
        #expect(life.isRunning && !life.gaveUp)

        var none = try running(launched: false, policy: .none)
        #expect(none.connectionLost(browserAlive: true) == Action(report: .disconnected))
        #expect(none.gaveUp)
        #expect(none.retryRequested() == .none)
    }

    @Test func policiesLimitRecovery() throws {
        var reconnectOnly = try running(policy: .reconnect)
        #expect(reconnectOnly.connectionLost(browserAlive: false) == Action(report: .crashed(afterTries: nil)))
        #expect(reconnectOnly.publicState == .crashed)

        var none = try running(policy: .none)
        #expect(none.connectionLost(browserAlive: true).work == .none)
        #expect(none.publicState == .disconnected && !none.isRecovering)
    }

    /// A close wins over a recovery under way: its outcomes, arriving later, are ignored.
    @Test func closingWinsOverRecovery() throws {
        var life = try running()
        _ = life.connectionLost(browserAlive: false)
        let first = life.closeRequested(), second = life.closeRequested()
        #expect(first && !second)
        #expect(life.isClosing)
        _ = try life.relaunchStarted()
        #expect(try life.relaunched() == .none)
        #expect(try life.relaunchFailed() == .none)
        _ = try life.reconnectStarted()
        #expect(try life.reconnected(restarted: false) == .none)
        #expect(try life.reconnectFailed(browserAlive: true) == .none)
        #expect(life.publicState == .closing)
        _ = try life.closed()
        #expect(life.publicState == .closed && life.isClosing)
        #expect(life.connectionLost(browserAlive: false) == .none)
        #expect(life.retryRequested() == .none)
    }

    /// Each input that cannot happen is caught, naming the input and the state.
    @Test func impossibleInputsAreCaught() throws {
        func impossible(_ input: String, _ state: LifecycleState, _ body: (inout Lifecycle) throws -> Void,
                        from start: Lifecycle) {
            var life = start
            #expect(throws: Lifecycle.Impossible(input: input, state: state)) { try body(&life) }
            #expect(life == start, "\(input) changed nothing")
        }
        let starting = Lifecycle(launched: true, policy: .relaunch)
        let run = try running()
        var crashed = run
        _ = crashed.connectionLost(browserAlive: false)
        var disconnected = run
        _ = disconnected.connectionLost(browserAlive: true)

        impossible("started", .running, { _ = try $0.started() }, from: run)
        impossible("reconnectStarted", .running, { _ = try $0.reconnectStarted() }, from: run)
        impossible("reconnectStarted", .crashed, { _ = try $0.reconnectStarted() }, from: crashed)
        impossible("reconnected", .running, { _ = try $0.reconnected(restarted: false) }, from: run)
        impossible("reconnected", .disconnected, { _ = try $0.reconnected(restarted: false) }, from: disconnected)
        impossible("reconnectFailed", .starting, { _ = try $0.reconnectFailed(browserAlive: true) }, from: starting)
        impossible("reconnectFailed", .disconnected, { _ = try $0.reconnectFailed(browserAlive: true) }, from: disconnected)
        impossible("relaunchStarted", .running, { _ = try $0.relaunchStarted() }, from: run)
        impossible("relaunchStarted", .disconnected, { _ = try $0.relaunchStarted() }, from: disconnected)
        impossible("relaunched", .crashed, { _ = try $0.relaunched() }, from: crashed)
        impossible("relaunchFailed", .running, { _ = try $0.relaunchFailed() }, from: run)
        impossible("closed", .running, { _ = try $0.closed() }, from: run)
        #expect(Lifecycle.Impossible(input: "closed", state: .running).description == "lifecycle: closed cannot happen while running")
    }
}

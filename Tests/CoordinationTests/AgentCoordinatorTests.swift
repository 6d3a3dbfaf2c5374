import Coordination
import Foundation
import TestSupport
import Testing

extension AsyncStream where Element == ControlEvent {
    /// Reads events until one with `change` about `participant` arrives (or the stream ends).
    func first(_ change: ControlEvent.Change, _ participant: Participant) async -> ControlEvent? {
        for await event in self where event.change == change && event.participant == participant { return event }
        return nil
    }
}

@Suite struct AgentCoordinatorTests {
    let a = Participant.agent("a"), b = Participant.agent("b"), c = Participant.agent("c")
    let alice = Participant.human("alice")

    @Test func waitersAreServedFirstComeFirstServed() async throws {
        let coordinator = AgentCoordinator()
        let events = await coordinator.events()
        try await coordinator.requestControl(for: a)
        var order: [Participant] = []
        let bTurn = Task { try await coordinator.requestControl(for: b); return b }
        _ = await events.first(.requested, b)
        let cTurn = Task { try await coordinator.requestControl(for: c); return c }
        _ = await events.first(.requested, c)
        #expect(await coordinator.queue == [b, c])
        await coordinator.releaseControl(for: a)
        order.append(try await bTurn.value)
        #expect(await coordinator.holder == b)
        await coordinator.releaseControl(for: b)
        order.append(try await cTurn.value)
        #expect(order == [b, c])
        #expect(await coordinator.holder == c)
    }

    @Test func aWaitTimesOutNamingTheHolder() async throws {
        let clock = ManualClock()
        let coordinator = AgentCoordinator(clock: clock)
        let events = await coordinator.events()
        try await coordinator.requestControl(for: a)
        let waiting = Task { try await coordinator.requestControl(for: b, timeout: .seconds(5)) }
        _ = await events.first(.requested, b)
        clock.advance(by: .seconds(4))
        #expect(await coordinator.queue == [b])
        clock.advance(by: .seconds(1))
        do {
            try await waiting.value
            Issue.record("the wait must time out")
        } catch let error as CoordinationError {
            #expect(error.code == .timedOut)
            #expect(error.heldBy == a)
        }
        #expect(await coordinator.queue.isEmpty)
        #expect(await coordinator.holder == a)
    }

    @Test func aLeaseRunsOutWithoutActivityAndTheNextWaiterGetsControl() async throws {
        let clock = ManualClock()
        var configuration = AgentCoordinator.Configuration()
        configuration.agentLease = .seconds(30)
        let coordinator = AgentCoordinator(configuration: configuration, clock: clock)
        let events = await coordinator.events()
        try await coordinator.requestControl(for: a)
        let bWaits = Task { try await coordinator.requestControl(for: b) }
        _ = await events.first(.requested, b)
        clock.advance(by: .seconds(20))
        try await coordinator.checkControl(a)          // activity renews: lease now ends at 50 s
        clock.advance(by: .seconds(20))
        #expect(await coordinator.holder == a)
        clock.advance(by: .seconds(10))
        let expired = await events.first(.expired, a)
        #expect(expired?.holder == b)
        try await bWaits.value
        #expect(await coordinator.holder == b)
        await #expect(throws: CoordinationError.self) { try await coordinator.checkControl(a) }
    }

    /// A lone agent acts without asking: its first action takes control (an implicit turn); another's
    /// is refused naming it; the turn ends after 30 s without an action, and then the other may act.
    @Test func anAgentActingWhenNoOneHoldsControlTakesAnImplicitTurn() async throws {
        let clock = ManualClock()
        let coordinator = AgentCoordinator(clock: clock)
        let events = await coordinator.events()
        try await coordinator.checkControl(a, implicitly: true)
        let implicit = await coordinator.holdsImplicitly
        #expect(await coordinator.holder == a && implicit)
        do {
            try await coordinator.checkControl(b, implicitly: true)
            Issue.record("b must be refused while a holds control")
        } catch let error as CoordinationError {
            #expect(error.code == .notInControl && error.heldBy == a && error.message.contains("agent:a holds control"))
        }
        clock.advance(by: .seconds(20))
        try await coordinator.checkControl(a, implicitly: true)   // activity renews: the turn now ends at 50 s
        clock.advance(by: .seconds(29))
        #expect(await coordinator.holder == a)
        clock.advance(by: .seconds(1))
        #expect(await events.first(.expired, a) != nil)
        #expect(await coordinator.holder == nil)
        try await coordinator.checkControl(b, implicitly: true)
        #expect(await coordinator.holder == b)
        // Released, it is free again; without `implicitly` acting needs a turn.
        await coordinator.releaseControl(for: b)
        await #expect(throws: CoordinationError.self) { try await coordinator.checkControl(c) }
        // `withTurn` keeps its meaning: held for the closure, released after.
        try await coordinator.withTurn(for: c) {
            let holder = await coordinator.holder, implicit = await coordinator.holdsImplicitly
            #expect(holder == c && !implicit)
        }
        #expect(await coordinator.holder == nil)
    }

    /// Lanes on a manual clock: acting in a tab nobody holds takes that tab (an implicit turn) and
    /// leaves the others free; its idle time ends it; a wait for the whole browser is served once the
    /// lanes are let go, and covers every tab.
    @Test func laneTurnsAreImplicitEndWhenIdleAndTheWholeBrowserWaitsForThem() async throws {
        let clock = ManualClock()
        let coordinator = AgentCoordinator(clock: clock)
        let events = await coordinator.events()
        await coordinator.tabOpened("t1")
        await coordinator.tabOpened("t2")
        try await coordinator.checkControl(a, tab: "t1", implicitly: true)
        try await coordinator.checkControl(b, tab: "t2", implicitly: true)
        let holders = (await coordinator.holder(of: "t1"), await coordinator.holder(of: "t2"), await coordinator.holder)
        #expect(holders.0 == a && holders.1 == b && holders.2 == nil)
        do {
            try await coordinator.checkControl(b, tab: "t1", implicitly: true)
            Issue.record("b must be refused in a's tab")
        } catch let error as CoordinationError {
            #expect(error.tab == "t1" && error.heldBy == a && error.message == "agent:b is not in control of tab t1; agent:a holds control of it")
        }
        let whole = Task { try await coordinator.requestControl(for: c, timeout: .seconds(120)) }
        _ = await events.first(.requested, c)
        clock.advance(by: .seconds(20))
        try await coordinator.checkControl(a, tab: "t1")     // activity renews a's lane: it now ends at 50 s
        clock.advance(by: .seconds(10))
        #expect(await events.first(.expired, b)?.tab == "t2")  // b was idle for 30 s
        #expect(await coordinator.holder == nil, "a still holds t1")
        clock.advance(by: .seconds(20))
        #expect(await events.first(.expired, a)?.tab == "t1")
        try await whole.value
        #expect(await coordinator.holder == c)
        try await coordinator.checkControl(c, tab: "t2")     // the whole browser covers every tab
        await #expect(throws: CoordinationError.self) { try await coordinator.checkControl(a, tab: "t1", implicitly: true) }
        await coordinator.tabClosed("t2")
        #expect(await coordinator.lanes.map(\.tab) == [nil, "t1"])
    }

    @Test func cancellingAWaitingTaskTakesItOutOfTheQueue() async throws {
        let coordinator = AgentCoordinator()
        let events = await coordinator.events()
        try await coordinator.requestControl(for: a)
        let waiting = Task { try await coordinator.requestControl(for: b) }
        _ = await events.first(.requested, b)
        waiting.cancel()
        do {
            try await waiting.value
            Issue.record("a cancelled wait must throw")
        } catch let error as CoordinationError {
            #expect(error.code == .cancelled)
        }
        #expect(await coordinator.queue.isEmpty)
    }

    @Test func withTurnReleasesOnReturnThrowAndCancellation() async throws {
        let coordinator = AgentCoordinator()
        let value = try await coordinator.withTurn(for: a) { 42 }
        #expect(value == 42)
        #expect(await coordinator.holder == nil)

        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await coordinator.withTurn(for: a) { throw Boom() } }
        #expect(await coordinator.holder == nil)

        let events = await coordinator.events()
        let turn = Task {
            try await coordinator.withTurn(for: b) {
                try await Task.sleep(for: .seconds(3600))   // cancelled below; never waited out
            }
        }
        _ = await events.first(.granted, b)
        turn.cancel()
        await #expect(throws: CancellationError.self) { try await turn.value }
        #expect(await coordinator.holder == nil)
    }

    @Test func aHumanTakesOverAndHandsBack() async throws {
        let coordinator = AgentCoordinator()
        let events = await coordinator.events()
        try await coordinator.requestControl(for: a)
        let bWaits = Task { try await coordinator.requestControl(for: b) }
        _ = await events.first(.requested, b)
        try await coordinator.takeOver(by: alice)
        #expect(await coordinator.holder == alice)
        let refused = await #expect(throws: CoordinationError.self) { try await coordinator.checkControl(a) }
        #expect(refused?.code == .notInControl && refused?.heldBy == alice)
        await #expect(throws: CoordinationError.self) { try await coordinator.takeOver(by: b) }
        try await coordinator.handBack(by: alice)
        #expect(await coordinator.holder == a)       // the preempted agent first
        #expect(await coordinator.queue == [b])
        let handedBack = await events.first(.handedBack, alice)
        #expect(handedBack?.holder == a)
        await coordinator.releaseControl(for: a)
        try await bWaits.value
        #expect(await coordinator.holder == b)
    }

    @Test func theSimpleShapeWorks() async throws {
        let coordinator = AgentCoordinator()
        await coordinator.register(a)
        await coordinator.register(b)
        #expect(await coordinator.participants == [a, b])
        #expect(await coordinator.requestControl(a))
        #expect(await !coordinator.requestControl(b))
        let error = await #expect(throws: CoordinationError.self) {
            try await coordinator.agentTurn(b) { Issue.record("b must not run while a holds control") }
        }
        #expect(error?.heldBy == a)
        await coordinator.releaseControl(for: a)
        let ran = try await coordinator.agentTurn(b) { true }
        #expect(ran)
        #expect(await coordinator.holder == nil)
        await coordinator.unregister(b)
        #expect(await coordinator.participants == [a])
    }

    @Test func eventsReportEveryChangeInOrder() async throws {
        let coordinator = AgentCoordinator()
        let events = await coordinator.events()
        try await coordinator.requestControl(for: a)
        try await coordinator.takeOver(by: alice)
        try await coordinator.handBack(by: alice)
        await coordinator.releaseControl(for: a)
        var changes: [String] = []
        for await event in events {
            changes.append("\(event.change.rawValue) \(event.participant)")
            if changes.count == 4 { break }
        }
        #expect(changes == ["granted agent:a", "takenOver human:alice", "handedBack human:alice", "released agent:a"])
    }

    /// 50 agents x 100 turns, all asking at once: never two holders, no deadlock, and every request
    /// is granted or times out.
    @Test func fiftyAgentsTakingAHundredTurnsEachNeverOverlap() async throws {
        let coordinator = AgentCoordinator()
        final class Occupancy: @unchecked Sendable {
            let lock = NSLock()
            var inside = 0
            var maximum = 0
            func enter() { lock.lock(); inside += 1; maximum = max(maximum, inside); lock.unlock() }
            func leave() { lock.lock(); inside -= 1; lock.unlock() }
        }
        let occupancy = Occupancy()
        let outcomes = try await withThrowingTaskGroup(of: (granted: Int, timedOut: Int).self) { group in
            for agent in 0..<50 {
                group.addTask {
                    var granted = 0, timedOut = 0
                    for turn in 0..<100 {
                        // Every fifth request is impatient, so both outcomes occur.
                        let timeout: Duration = turn % 5 == 0 ? .microseconds(50) : .seconds(60)
                        do {
                            try await coordinator.withTurn(for: .agent("agent-\(agent)"), timeout: timeout) {
                                occupancy.enter()
                                await Task.yield()
                                occupancy.leave()
                            }
                            granted += 1
                        } catch let error as CoordinationError where error.code == .timedOut {
                            timedOut += 1
                        }
                    }
                    return (granted, timedOut)
                }
            }
            return try await group.reduce((granted: 0, timedOut: 0)) { (granted: $0.granted + $1.granted, timedOut: $0.timedOut + $1.timedOut) }
        }
        #expect(outcomes.granted + outcomes.timedOut == 5000)
        #expect(outcomes.granted >= 4000)
        #expect(occupancy.maximum == 1)
        #expect(await coordinator.holder == nil)
        #expect(await coordinator.queue.isEmpty)
    }
}

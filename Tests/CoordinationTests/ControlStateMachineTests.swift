@testable import Coordination
import Testing

/// The control lease as a pure value: no clock, no tasks.
@Suite struct ControlStateMachineTests {
    let a = Participant.agent("a"), b = Participant.agent("b"), c = Participant.agent("c")
    let alice = Participant.human("alice"), bob = Participant.human("bob")

    func machine(preemptedFirst: Bool = true) -> ControlStateMachine {
        ControlStateMachine(configuration: .init(agentLease: .seconds(60), humanLease: .seconds(600),
                                                 preemptedAgentFirst: preemptedFirst))
    }

    func implicitMachine() -> ControlStateMachine {
        ControlStateMachine(configuration: .init(agentLease: .seconds(60), humanLease: .seconds(600),
                                                 preemptedAgentFirst: true, implicitTurnIdle: .seconds(30)))
    }

    /// Acting while no one holds control takes it for the actor: an implicit turn that activity renews
    /// and that ends after its idle time; asking makes it explicit; a holder or a waiter stops it.
    @Test func anImplicitTurnIsTakenByActingAndEndsWhenIdle() {
        var m = implicitMachine()
        let taken = m.takeImplicitly(a, now: .zero)
        #expect(taken == [.event(.granted, a, holder: a, previous: nil)])
        #expect(m.holder == a && m.implicit && m.leaseUntil == .seconds(30))
        let refused = m.takeImplicitly(b, now: .seconds(1))
        #expect(refused == nil, "a holder stops it")
        let renewed = m.renew(a, now: .seconds(20))
        #expect(renewed)
        #expect(m.leaseUntil == .seconds(50))
        // Another agent asks and waits; it gets control when the implicit turn goes idle.
        let asked = m.request(waiter: 1, for: b, timeout: nil, now: .seconds(21))
        #expect(asked == [.event(.requested, b, holder: a, previous: nil)])
        let early = m.tick(now: .seconds(49))
        #expect(early.isEmpty)
        let idle = m.tick(now: .seconds(50))
        #expect(idle == [.event(.expired, a, holder: b, previous: a), .resume(waiter: 1), .event(.granted, b, holder: b, previous: a)])
        #expect(m.holder == b && !m.implicit && m.leaseUntil == .seconds(110), "an asked-for turn has the agent lease")
        // A waiter stops an implicit turn too (control goes to the queue first).
        let queued = m.request(waiter: 2, for: c, timeout: nil, now: .seconds(60))
        #expect(queued.count == 1)
        _ = m.release(b, now: .seconds(61))
        #expect(m.holder == c)
        _ = m.release(c, now: .seconds(62))
        // Asking while holding implicitly makes the turn explicit.
        _ = m.takeImplicitly(a, now: .seconds(70))
        let explicit = m.request(waiter: 3, for: a, timeout: nil, now: .seconds(71))
        #expect(explicit == [.resume(waiter: 3)])
        #expect(!m.implicit && m.leaseUntil == .seconds(131))
        _ = m.release(a, now: .seconds(72))
        #expect(m.holder == nil && !m.implicit)
        // Off: nothing is taken by acting.
        var off = machine()
        let none = off.takeImplicitly(a, now: .zero)
        #expect(none == nil && off.holder == nil)
    }

    @Test func grantsAtOnceWhenFreeThenServesWaitersInOrder() {
        var m = machine()
        #expect(m.request(waiter: 1, for: a, timeout: nil, now: .zero) ==
                [.resume(waiter: 1), .event(.granted, a, holder: a, previous: nil)])
        #expect(m.request(waiter: 2, for: b, timeout: nil, now: .zero) == [.event(.requested, b, holder: a, previous: nil)])
        #expect(m.request(waiter: 3, for: c, timeout: nil, now: .zero) == [.event(.requested, c, holder: a, previous: nil)])
        #expect(m.queue.map(\.participant) == [b, c])
        let (released, effects) = m.release(a, now: .seconds(1))
        #expect(released)
        #expect(effects == [.event(.released, a, holder: nil, previous: a), .resume(waiter: 2), .event(.granted, b, holder: b, previous: a)])
        #expect(m.holder == b)
        _ = m.release(b, now: .seconds(2))
        #expect(m.holder == c && m.queue.isEmpty)
        _ = m.release(c, now: .seconds(3))
        #expect(m.holder == nil)
    }

    @Test func theHolderAskingAgainIsGrantedAndAWaiterCannotQueueTwice() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        #expect(m.request(waiter: 2, for: a, timeout: nil, now: .seconds(10)) == [.resume(waiter: 2)])
        #expect(m.leaseUntil == .seconds(70))
        _ = m.request(waiter: 3, for: b, timeout: nil, now: .zero)
        guard case .fail(3 + 1, let error)? = m.request(waiter: 4, for: b, timeout: nil, now: .zero).first else {
            Issue.record("a second wait must fail")
            return
        }
        #expect(error.code == .alreadyWaiting)
    }

    @Test func aZeroTimeoutNeverWaits() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        guard case .fail(2, let error)? = m.request(waiter: 2, for: b, timeout: .zero, now: .zero).first else {
            Issue.record("expected an immediate failure")
            return
        }
        #expect(error.code == .notInControl && error.heldBy == a)
        #expect(m.queue.isEmpty)
    }

    @Test func waitsTimeOutNamingTheHolder() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, timeout: .seconds(5), now: .zero)
        _ = m.request(waiter: 3, for: c, timeout: .seconds(50), now: .zero)
        #expect(m.nextDeadline == .seconds(5))
        #expect(m.tick(now: .seconds(4)).isEmpty)
        let effects = m.tick(now: .seconds(5))
        guard case .fail(2, let error) = effects[0] else {
            Issue.record("b must time out")
            return
        }
        #expect(error.code == .timedOut && error.heldBy == a)
        #expect(error.message.contains("agent:a holds control"))
        #expect(effects[1] == .event(.timedOut, b, holder: a, previous: nil))
        #expect(m.queue.map(\.participant) == [c])
    }

    @Test func aCancelledWaiterLeavesTheQueue() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, timeout: nil, now: .zero)
        guard case .fail(2, let error)? = m.cancel(waiter: 2, now: .zero).first else {
            Issue.record("expected the waiter to fail")
            return
        }
        #expect(error.code == .cancelled)
        #expect(m.queue.isEmpty)
        #expect(m.cancel(waiter: 2, now: .zero).isEmpty)
    }

    @Test func leasesExpireUnlessRenewed() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, timeout: nil, now: .zero)
        #expect(m.renew(a, now: .seconds(50)) == true)
        #expect(m.renew(b, now: .seconds(50)) == false)
        #expect(m.tick(now: .seconds(100)).isEmpty)
        #expect(m.tick(now: .seconds(110)) == [
            .event(.expired, a, holder: b, previous: a), .resume(waiter: 2), .event(.granted, b, holder: b, previous: a),
        ])
        #expect(m.leaseUntil == .seconds(170))
    }

    @Test func aHumanTakesOverAtOnceAndHandsBackToThePreemptedAgentFirst() throws {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, timeout: nil, now: .zero)
        #expect(try m.takeOver(by: alice, now: .seconds(1)).get() == [.event(.takenOver, alice, holder: alice, previous: a)])
        #expect(m.holder == alice && m.preempted == a)
        #expect(m.queue.map(\.participant) == [b])      // queued agents stay queued
        #expect(m.renew(a, now: .seconds(2)) == false)          // a's next action is refused
        #expect(try m.handBack(by: alice, now: .seconds(3)).get() == [.event(.handedBack, alice, holder: a, previous: alice)])
        #expect(m.holder == a && m.preempted == nil)
        #expect(m.queue.map(\.participant) == [b])
    }

    @Test func handBackGoesToTheQueueWhenThePreemptedAgentGaveUpOrByConfiguration() throws {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, timeout: nil, now: .zero)
        _ = try m.takeOver(by: alice, now: .zero).get()
        #expect(m.release(a, now: .zero).released == true)     // a gives up its claim
        #expect(try m.handBack(by: alice, now: .zero).get() ==
                [.event(.handedBack, alice, holder: b, previous: alice), .resume(waiter: 2), .event(.granted, b, holder: b, previous: alice)])

        var fifo = machine(preemptedFirst: false)
        _ = fifo.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = fifo.request(waiter: 2, for: b, timeout: nil, now: .zero)
        _ = try fifo.takeOver(by: alice, now: .zero).get()
        _ = try fifo.handBack(by: alice, now: .zero).get()
        #expect(fifo.holder == b)
    }

    @Test func thePreemptedAgentWaitingAgainIsServedFirst() throws {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, timeout: nil, now: .zero)
        _ = try m.takeOver(by: alice, now: .zero).get()
        _ = m.request(waiter: 3, for: a, timeout: nil, now: .zero)   // a asks again while preempted
        let effects = try m.handBack(by: alice, now: .zero).get()
        #expect(effects.first == .resume(waiter: 3))
        #expect(m.holder == a && m.queue.map(\.participant) == [b])
    }

    @Test func onlyHumansTakeOverAndNotFromEachOther() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        #expect(throws: CoordinationError.self) { try m.takeOver(by: b, now: .zero).get() }
        _ = try? m.takeOver(by: alice, now: .zero).get()
        let error = #expect(throws: CoordinationError.self) { try m.takeOver(by: bob, now: .zero).get() }
        #expect(error?.heldBy == alice)
        #expect(throws: CoordinationError.self) { try m.handBack(by: bob, now: .zero).get() }
        #expect((try? m.takeOver(by: alice, now: .zero).get()) == [])   // already holds it
    }

    @Test func anExpiredHumanLeaseGoesBackLikeAHandBack() throws {
        var m = machine()
        _ = m.request(waiter: 1, for: a, timeout: nil, now: .zero)
        _ = try m.takeOver(by: alice, now: .zero).get()
        #expect(m.nextDeadline == .seconds(600))
        #expect(m.tick(now: .seconds(600)) == [.event(.expired, alice, holder: a, previous: alice)])
        #expect(m.holder == a)
    }
}

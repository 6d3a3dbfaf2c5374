@testable import Coordination
import TestSupport
import Testing

/// Control per tab (lanes) and of the whole browser, as a pure value.
@Suite struct LaneStateMachineTests {
    let a = Participant.agent("a"), b = Participant.agent("b"), c = Participant.agent("c")
    let alice = Participant.human("alice"), bob = Participant.human("bob")

    func machine(implicitIdle: Duration? = .seconds(30)) -> ControlStateMachine {
        var m = ControlStateMachine(configuration: .init(agentLease: .seconds(60), humanLease: .seconds(600),
                                                         preemptedAgentFirst: true, implicitTurnIdle: implicitIdle))
        for tab in ["t1", "t2", "t3"] { m.openTab(tab) }
        return m
    }

    /// Agents in their own tabs hold them at once, side by side; acting in another's tab is refused
    /// naming the holder and the tab.
    @Test func agentsHoldTheirOwnTabsSideBySide() throws {
        var m = machine()
        #expect(m.request(waiter: 1, for: a, lane: .tab("t1"), timeout: nil, now: .zero).contains(.resume(waiter: 1)))
        #expect(m.takeImplicitly(b, lane: .tab("t2"), now: .zero) == [.event(.granted, b, holder: b, previous: nil, tab: "t2")])
        #expect(m.mayAct(a, in: .tab("t1")) && m.mayAct(b, in: .tab("t2")))
        #expect(!m.mayAct(a, in: .tab("t2")) && !m.mayAct(b, in: .tab("t1")) && !m.mayAct(a, in: .session))
        guard case .fail(3, let error)? = m.request(waiter: 3, for: b, lane: .tab("t1"), timeout: .zero, now: .zero).first else {
            Issue.record("b must be refused in a's tab")
            return
        }
        #expect(error.code == .notInControl && error.heldBy == a && error.tab == "t1")
        #expect(error.message == "agent:b is not in control of tab t1; agent:a holds control of it")
        // An implicit take is refused where someone holds the tab.
        #expect(m.takeImplicitly(c, lane: .tab("t1"), now: .zero) == nil)
    }

    /// The whole browser waits for every tab held by others; meanwhile a participant holding nothing
    /// queues behind it (no starvation); the session covers every tab once granted.
    @Test func theWholeBrowserWaitsForTheLanes() throws {
        var m = machine()
        _ = m.request(waiter: 1, for: a, lane: .tab("t1"), timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, lane: .tab("t2"), timeout: nil, now: .zero)
        let asked = m.request(waiter: 3, for: c, lane: .session, timeout: nil, now: .zero)
        #expect(asked == [.event(.requested, c, holder: nil, previous: nil, tab: nil)])
        // Someone holding nothing comes after the session request, even for a free tab.
        #expect(m.takeImplicitly(alice, lane: .tab("t3"), now: .zero) == nil)
        #expect(m.request(waiter: 4, for: bob, lane: .tab("t3"), timeout: nil, now: .zero)
                == [.event(.requested, bob, holder: nil, previous: nil, tab: "t3")])
        // A holder of a tab may still take a free one (it never waits behind the session, which waits for it).
        m.openTab("t4")
        #expect(m.request(waiter: 5, for: a, lane: .tab("t4"), timeout: .zero, now: .zero).contains(.resume(waiter: 5)))
        _ = m.release(a, now: .zero)
        #expect(m.holder == nil)
        let last = m.release(b, lane: .tab("t2"), now: .seconds(1)).effects
        #expect(last.contains(.resume(waiter: 3)))
        #expect(m.holder == c && m.mayAct(c, in: .tab("t1")) && m.mayAct(c, in: .tab("t2")))
        #expect(!m.mayAct(bob, in: .tab("t3")))
        _ = m.release(c, now: .seconds(2))
        #expect(m.hold(.tab("t3"))?.holder == bob)
    }

    /// Asking for the whole browser while holding a tab gives the tab up while waiting.
    @Test func askingForTheWholeBrowserGivesUpOnesTabs() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, lane: .tab("t1"), timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, lane: .tab("t2"), timeout: nil, now: .zero)
        let effects = m.request(waiter: 3, for: a, lane: .session, timeout: nil, now: .zero)
        #expect(effects.contains(.event(.released, a, holder: nil, previous: a, tab: "t1")))
        #expect(m.hold(.tab("t1"))?.holder == nil && m.queue.map(\.participant) == [a])
        _ = m.release(b, now: .zero)
        #expect(m.holder == a)
    }

    /// Tabs are waited for in the order they were opened: waiting out of order is refused.
    @Test func waitingOutOfLockOrderIsRefused() {
        var m = machine()
        _ = m.request(waiter: 1, for: a, lane: .tab("t1"), timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, lane: .tab("t2"), timeout: nil, now: .zero)
        // a (holding t1) may wait for t2, opened later.
        #expect(m.request(waiter: 3, for: a, lane: .tab("t2"), timeout: nil, now: .zero)
                == [.event(.requested, a, holder: b, previous: nil, tab: "t2")])
        // b (holding t2) waiting for t1 would close the circle.
        guard case .fail(4, let error)? = m.request(waiter: 4, for: b, lane: .tab("t1"), timeout: nil, now: .zero).first else {
            Issue.record("b must not wait for t1")
            return
        }
        #expect(error.code == .lockOrder && error.message.contains("release tab t2 first"))
    }

    /// A person takes over one tab while the others go on; the hand-back returns it to its agent.
    /// Taking the whole browser suspends every lane until the hand-back.
    @Test func aPersonTakesOverOneTabOrTheWholeBrowser() throws {
        var m = machine()
        _ = m.request(waiter: 1, for: a, lane: .tab("t1"), timeout: nil, now: .zero)
        _ = m.request(waiter: 2, for: b, lane: .tab("t2"), timeout: nil, now: .zero)
        #expect(try m.takeOver(by: alice, lane: .tab("t1"), now: .zero).get()
                == [.event(.takenOver, alice, holder: alice, previous: a, tab: "t1")])
        #expect(m.mayAct(alice, in: .tab("t1")) && !m.mayAct(a, in: .tab("t1")) && m.mayAct(b, in: .tab("t2")))
        #expect(try m.handBack(by: alice, lane: .tab("t1"), now: .seconds(1)).get()
                == [.event(.handedBack, alice, holder: a, previous: alice, tab: "t1")])
        #expect(m.mayAct(a, in: .tab("t1")))

        _ = try m.takeOver(by: alice, now: .seconds(2)).get()
        #expect(!m.mayAct(a, in: .tab("t1")) && !m.mayAct(b, in: .tab("t2")) && m.mayAct(alice, in: .tab("t2")))
        // Another person cannot take a tab meanwhile.
        #expect(throws: CoordinationError.self) { try m.takeOver(by: bob, lane: .tab("t3"), now: .seconds(2)).get() }
        _ = try m.handBack(by: alice, now: .seconds(3)).get()
        #expect(m.mayAct(a, in: .tab("t1")) && m.mayAct(b, in: .tab("t2")))
    }

    /// A closed tab's holder loses it and its waiters fail; an implicit tab turn ends when idle.
    @Test func closedTabsAndIdleLanes() {
        var m = machine()
        _ = m.takeImplicitly(a, lane: .tab("t1"), now: .zero)
        _ = m.request(waiter: 2, for: b, lane: .tab("t1"), timeout: nil, now: .zero)
        let closed = m.closeTab("t1", now: .seconds(1))
        #expect(closed.contains { if case .fail(2, let error) = $0 { error.code == .cancelled } else { false } })
        #expect(closed.contains(.event(.released, a, holder: nil, previous: a, tab: "t1")))
        _ = m.takeImplicitly(c, lane: .tab("t2"), now: .seconds(1))
        let renewed = m.renew(c, lane: .tab("t2"), now: .seconds(20))
        #expect(renewed)
        #expect(m.tick(now: .seconds(49)).isEmpty)
        #expect(m.tick(now: .seconds(50)) == [.event(.expired, c, holder: nil, previous: c, tab: "t2")])
    }

    // MARK: Random schedules

    /// 20 participants (4 of them people) and 5 tabs, 1,000 random steps per seed: requests with and
    /// without waiting, implicit takes, releases, take-overs and hand-backs, cancellations, time
    /// passing, tabs opening and closing. After every step the invariants hold: one actor per tab, the
    /// whole browser's agent alone, no grant left undone, every waiter resolved once, and no deadlock
    /// (whoever holds and does not wait finishing in turn serves every waiter).
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomSchedulesKeepTheInvariants(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let people = (0..<4).map { Participant.human("p\($0)") }
        let everyone = (0..<16).map { Participant.agent("a\($0)") } + people
        var m = ControlStateMachine(configuration: .init(agentLease: .seconds(60), humanLease: .seconds(300),
                                                         preemptedAgentFirst: seed % 2 == 0, implicitTurnIdle: .seconds(30)))
        var tabNames = (0..<5).map { "t\($0)" }
        tabNames.forEach { m.openTab($0) }
        var nextTab = 5
        var pending: [Int: Participant] = [:]       // waiter id → who waits
        var nextWaiter = 0
        var now = Duration.zero
        var grants = 0

        func apply(_ effects: [ControlStateMachine.Effect], step: Int) {
            for effect in effects {
                switch effect {
                case .resume(let id), .fail(let id, _):
                    // Every waiter is resolved exactly once (a request answered at once counts too).
                    #expect(pending.removeValue(forKey: id) != nil, "step \(step): waiter \(id) resolved twice or never asked")
                    if case .resume = effect { grants += 1 }
                case .event: break
                }
            }
        }

        for step in 0..<1000 {
            let who = everyone[Int(random.next() % UInt64(everyone.count))]
            let waiting = Set(pending.values)
            let lane: ControlStateMachine.Lane = random.next() % 6 == 0 ? .session : .tab(tabNames[Int(random.next() % UInt64(tabNames.count))])
            switch random.next() % 12 {
            case 0, 1, 2:
                // One task per participant waits at a time.
                guard !waiting.contains(who) else { break }
                nextWaiter += 1
                pending[nextWaiter] = who
                let timeout: Duration? = [nil, .zero, .seconds(5), .seconds(40)][Int(random.next() % 4)]
                apply(m.request(waiter: nextWaiter, for: who, lane: lane, timeout: timeout, now: now), step: step)
            case 3:
                guard !waiting.contains(who) else { break }
                let taken = m.takeImplicitly(who, lane: lane, now: now)
                if taken != nil { grants += 1 }
                apply(taken ?? [], step: step)
            case 4, 5:
                apply(m.release(who, lane: random.next() % 2 == 0 ? nil : lane, now: now).effects, step: step)
            case 6:
                let human = people[Int(random.next() % UInt64(people.count))]
                apply((try? m.takeOver(by: human, lane: lane, now: now).get()) ?? [], step: step)
            case 7:
                // People hand back what they hold.
                for human in people {
                    for held in [ControlStateMachine.Lane.session] + m.tabsInOrder.map({ .tab($0.id) }) where m.hold(held)?.holder == human {
                        apply((try? m.handBack(by: human, lane: held, now: now).get()) ?? [], step: step)
                    }
                }
            case 8:
                if let id = pending.keys.sorted().randomElement(using: &random) { apply(m.cancel(waiter: id, now: now), step: step) }
            case 9:
                now += .seconds(Int64(random.next() % 20))
                apply(m.tick(now: now), step: step)
            case 10:
                _ = m.renew(who, lane: lane, now: now)
            default:
                if tabNames.count > 6 || (random.next() % 2 == 0 && tabNames.count > 3) {
                    let closed = tabNames.remove(at: Int(random.next() % UInt64(tabNames.count)))
                    apply(m.closeTab(closed, now: now), step: step)
                } else {
                    tabNames.append("t\(nextTab)")
                    m.openTab("t\(nextTab)")
                    nextTab += 1
                }
            }
            try checkInvariants(m, pending: pending, step: step, seed: seed)
        }
        #expect(grants > 30, "the schedule must exercise grants (\(grants))")
    }

    func checkInvariants(_ m: ControlStateMachine, pending: [Int: Participant], step: Int, seed: UInt64) throws {
        let context = "seed \(seed), step \(step)"
        // Every waiter in a queue is pending, once.
        let queued = ([m.session] + m.tabs.values.map { $0 }).flatMap(\.queue)
        #expect(Set(queued.map(\.id)) == Set(pending.keys), "\(context): queues and pending waiters differ")
        #expect(queued.count == Set(queued.map(\.id)).count, "\(context): a waiter queued twice")
        // An agent holding the whole browser is alone: no one else holds a tab.
        if let holder = m.session.holder, holder.kind == .agent {
            #expect(!m.tabs.values.contains { $0.holder != nil && $0.holder != holder }, "\(context): agent session beside others' tabs")
        }
        // One participant at most may act in each tab.
        let participants = Set(([m.session.holder] + m.tabs.values.map(\.holder)).compactMap { $0 })
        for (id, _) in m.tabs {
            #expect(participants.filter { m.mayAct($0, in: .tab(id)) }.count <= 1, "\(context): two may act in \(id)")
        }
        // No grant left undone.
        if m.session.holder == nil, let head = m.session.queue.first {
            #expect(m.tabs.values.contains { $0.holder != nil && $0.holder != head.participant }, "\(context): the session could be granted")
        }
        if m.session.holder == nil {
            for (id, hold) in m.tabs where hold.holder == nil {
                for waiter in hold.queue {
                    let holdsNothing = m.session.holder != waiter.participant && !m.tabs.values.contains { $0.holder == waiter.participant }
                    #expect(holdsNothing && (m.session.queue.first.map { $0.id < waiter.id } ?? false),
                            "\(context): tab \(id) could be granted to \(waiter.participant)")
                }
            }
        }
        // No deadlock: let every holder that does not wait finish (release all), and see every wait served.
        var drained = m
        var waiting = pending
        var rounds = 0
        while !waiting.isEmpty {
            rounds += 1
            let blocked = Set(waiting.values)
            let holders = Set(([drained.session.holder] + drained.tabs.values.map(\.holder)).compactMap { $0 }
                              + [drained.session.preempted].compactMap { $0 } + drained.tabs.values.compactMap(\.preempted))
            let free = holders.subtracting(blocked)
            // A granted waiter stops waiting (and holds what it got).
            var progressed = false
            for participant in free.sorted(by: { $0.description < $1.description }) {
                for effect in drained.release(participant, now: .zero).effects {
                    if case .resume(let id) = effect, waiting.removeValue(forKey: id) != nil { progressed = true }
                    if case .fail(let id, _) = effect, waiting.removeValue(forKey: id) != nil { progressed = true }
                }
                progressed = true
            }
            if !progressed || rounds > 200 {
                Issue.record("\(context): deadlock; waiting \(waiting.values.map(\.description).sorted()) with holders \(holders); session \(m.session); tabs \(m.tabsInOrder)")
                return
            }
        }
    }
}

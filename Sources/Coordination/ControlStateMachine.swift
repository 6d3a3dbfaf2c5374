/// Who holds control of the browser and of each of its tabs, who waits, and until when — as a value.
///
/// There are lanes: the session (the whole browser) and each tab. A participant holds a tab while
/// others hold other tabs; holding the session covers every tab, and the session is granted only when
/// no tab is held by anyone else. Rules that keep every schedule free of deadlock:
/// - Each lane has a fair (first come, first served) queue. A participant that holds no lane waits
///   behind a session request that came before it, so the session is never starved.
/// - A fixed lock order: the session first, then the tabs in the order they were opened. A participant
///   may wait only for a lane after every lane it holds; out of order it may only take a free lane
///   (never wait). Asking for the session while holding tabs gives those tabs up first (the session
///   brings them back).
/// - A person's take-over is the only grant that does not wait: of a tab, or of the session (tabs held
///   by others are then suspended — no one but the person acts — until the hand-back).
///
/// Time is a `Duration` since the coordinator started, passed in with every call, so the machine can
/// be driven and tested without a clock. Every call returns the effects for the shell to carry out:
/// waiters to resume or fail, and events to publish.
struct ControlStateMachine: Sendable {
    struct Configuration: Sendable {
        var agentLease: Duration
        var humanLease: Duration?
        var preemptedAgentFirst: Bool
        /// How long an implicit turn lasts without activity; nil: no implicit turns.
        var implicitTurnIdle: Duration? = nil
    }

    /// The session, or one tab (by id).
    enum Lane: Hashable, Sendable, CustomStringConvertible {
        case session
        case tab(String)

        init(_ tab: String?) { self = tab.map(Lane.tab) ?? .session }
        var tab: String? { if case .tab(let id) = self { id } else { nil } }
        var description: String { tab.map { "tab \($0)" } ?? "the whole browser" }
    }

    struct Waiter: Sendable, Equatable {
        var id: Int
        var participant: Participant
        var deadline: Duration?
    }

    /// One lane's holder, lease, claim and queue.
    struct Hold: Sendable, Equatable {
        var holder: Participant?
        var leaseUntil: Duration?
        /// The holder took the lane by acting while it was free (``takeImplicitly(_:lane:now:)``):
        /// its lease is the idle time of an implicit turn.
        var implicit = false
        /// The agent a person took the lane from, while it still has a claim to get it back.
        var preempted: Participant?
        var queue: [Waiter] = []
        /// Its place in the lock order (the session 0, tabs from 1 as they are opened).
        var order: Int
    }

    enum Effect: Sendable, Equatable {
        case resume(waiter: Int)
        case fail(waiter: Int, CoordinationError)
        case event(ControlEvent.Change, Participant, holder: Participant?, previous: Participant?, tab: String? = nil)
    }

    let configuration: Configuration
    private(set) var session = Hold(order: 0)
    private(set) var tabs: [String: Hold] = [:]
    private var nextOrder = 1

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    // MARK: Reading the state

    /// Who holds the session.
    var holder: Participant? { session.holder }
    /// Whether the session's holder took it implicitly.
    var implicit: Bool { session.implicit }
    /// The agent a person took the session from.
    var preempted: Participant? { session.preempted }
    /// Who waits for the session.
    var queue: [Waiter] { session.queue }
    /// When the session's lease ends.
    var leaseUntil: Duration? { session.leaseUntil }

    func hold(_ lane: Lane) -> Hold? {
        switch lane {
        case .session: session
        case .tab(let id): tabs[id]
        }
    }

    /// Who may act in a lane: the session's holder for every lane, else the tab's own holder.
    func effectiveHolder(_ lane: Lane) -> Participant? {
        session.holder ?? hold(lane)?.holder
    }

    /// The tabs `participant` holds, in lock order.
    func tabsHeld(by participant: Participant) -> [String] {
        tabs.filter { $0.value.holder == participant }.sorted { $0.value.order < $1.value.order }.map(\.key)
    }

    /// Whether `participant` may act in `lane` now.
    func mayAct(_ participant: Participant, in lane: Lane) -> Bool {
        if session.holder == participant { return true }
        guard session.holder == nil, case .tab(let id) = lane else { return false }
        return tabs[id]?.holder == participant
    }

    /// The tabs in lock order.
    var tabsInOrder: [(id: String, hold: Hold)] {
        tabs.sorted { $0.value.order < $1.value.order }.map { ($0.key, $0.value) }
    }

    // MARK: Tabs

    /// Makes a tab known, at the end of the lock order. Nothing happens for a known tab.
    mutating func openTab(_ id: String) {
        guard tabs[id] == nil else { return }
        tabs[id] = Hold(order: nextOrder)
        nextOrder += 1
    }

    /// A tab went away: its holder loses it and its waiters fail.
    mutating func closeTab(_ id: String, now: Duration) -> [Effect] {
        guard let hold = tabs.removeValue(forKey: id) else { return [] }
        var effects: [Effect] = hold.queue.map {
            .fail(waiter: $0.id, CoordinationError(.cancelled, heldBy: nil, tab: id, "tab \(id) was closed while \($0.participant) waited for it"))
        }
        if let holder = hold.holder { effects.append(.event(.released, holder, holder: nil, previous: holder, tab: id)) }
        return effects + settle(now: now)
    }

    // MARK: Getting and giving up control

    private mutating func update(_ lane: Lane, _ change: (inout Hold) -> Void) {
        switch lane {
        case .session: change(&session)
        case .tab(let id):
            if tabs[id] == nil { openTab(id) }
            change(&tabs[id]!)
        }
    }

    private func lease(for participant: Participant, implicit: Bool, now: Duration) -> Duration? {
        if implicit, let idle = configuration.implicitTurnIdle { return now + idle }
        return participant.kind == .human ? configuration.humanLease.map { now + $0 } : now + configuration.agentLease
    }

    private mutating func give(_ lane: Lane, to participant: Participant, now: Duration, implicitly: Bool = false) {
        let until = lease(for: participant, implicit: implicitly, now: now)
        update(lane) {
            $0.holder = participant
            $0.implicit = implicitly
            $0.leaseUntil = until
        }
    }

    private mutating func free(_ lane: Lane) {
        update(lane) {
            $0.holder = nil
            $0.leaseUntil = nil
            $0.implicit = false
        }
    }

    /// Whether `participant` holds no lane at all.
    private func holdsNothing(_ participant: Participant) -> Bool {
        session.holder != participant && !tabs.values.contains { $0.holder == participant }
    }

    /// Whether the session could go to `participant` now: no one holds it, and no tab is held by anyone else.
    private func sessionIsFree(for participant: Participant) -> Bool {
        session.holder == nil && !tabs.values.contains { $0.holder != nil && $0.holder != participant }
    }

    /// Who keeps `participant` from the session: its holder, or the first other holder of a tab.
    func sessionBlocker(for participant: Participant) -> (holder: Participant, tab: String?)? {
        if let holder = session.holder { return (holder, nil) }
        return tabsInOrder.first { $0.hold.holder != nil && $0.hold.holder != participant }.map { ($0.hold.holder!, $0.id) }
    }

    /// One who holds nothing comes after a session request made before its own (`id`): the session
    /// is never starved, and no one who holds a tab the session waits for is kept waiting by it.
    private func behindSession(_ participant: Participant, id: Int) -> Bool {
        holdsNothing(participant) && (session.queue.first.map { $0.id < id } ?? false)
    }

    /// A tab could go to `participant` (asking as `id`) now: it and the session are free, and everyone
    /// queued for it before waits behind a session request.
    private func tabIsFree(_ tab: String, for participant: Participant, id: Int = .max) -> Bool {
        // A tab not known yet is free, with no one queued.
        guard session.holder == nil, tabs[tab]?.holder == nil else { return false }
        let queue = tabs[tab]?.queue ?? []
        return !behindSession(participant, id: id) && queue.allSatisfy { $0.id >= id || behindSession($0.participant, id: $0.id) }
    }

    /// An action by `participant` in a lane no one holds (nor waits for) takes it for `participant`, as
    /// an implicit turn that ends after ``Configuration/implicitTurnIdle`` without activity (or on
    /// release). Nil when it cannot: someone holds or waits for the lane, or implicit turns are off.
    mutating func takeImplicitly(_ participant: Participant, lane: Lane = .session, now: Duration) -> [Effect]? {
        guard configuration.implicitTurnIdle != nil else { return nil }
        switch lane {
        case .session:
            guard sessionIsFree(for: participant), session.queue.isEmpty else { return nil }
        case .tab(let id):
            guard tabIsFree(id, for: participant) else { return nil }
        }
        give(lane, to: participant, now: now, implicitly: true)
        return [.event(.granted, participant, holder: participant, previous: nil, tab: lane.tab)]
    }

    /// Asks for a lane for `waiter`. `timeout` nil waits without limit; `.zero` never waits.
    mutating func request(waiter id: Int, for participant: Participant, lane: Lane = .session, timeout: Duration?, now: Duration) -> [Effect] {
        if case .tab(let tab) = lane { openTab(tab) }
        if mayAct(participant, in: lane) {
            // Asking makes an implicit turn an explicit one, and renews it.
            let owned: Lane = session.holder == participant ? .session : lane
            let until = lease(for: participant, implicit: false, now: now)
            update(owned) {
                $0.implicit = false
                $0.leaseUntil = until
            }
            return [.resume(waiter: id)]
        }
        if hold(lane)?.queue.contains(where: { $0.participant == participant }) == true {
            return [.fail(waiter: id, CoordinationError(.alreadyWaiting, heldBy: effectiveHolder(lane), tab: lane.tab,
                                                        "\(participant) is already waiting for control of \(lane)"))]
        }
        switch lane {
        case .session:
            if sessionIsFree(for: participant), session.queue.isEmpty {
                give(.session, to: participant, now: now)
                return [.resume(waiter: id), .event(.granted, participant, holder: participant, previous: nil, tab: nil)]
            }
            if timeout == .zero {
                let blocker = sessionBlocker(for: participant)
                return [.fail(waiter: id, .notInControl(participant, of: .session, heldBy: blocker?.holder, blockingTab: blocker?.tab))]
            }
            // The session comes first in the lock order: its tabs (and claims to tabs a person took
            // over) are given up while it waits.
            var effects: [Effect] = []
            for tab in tabsHeld(by: participant) {
                free(.tab(tab))
                effects.append(.event(.released, participant, holder: nil, previous: participant, tab: tab))
            }
            for (tab, hold) in tabsInOrder where hold.preempted == participant {
                tabs[tab]!.preempted = nil
                effects.append(.event(.released, participant, holder: hold.holder, previous: nil, tab: tab))
            }
            session.queue.append(Waiter(id: id, participant: participant, deadline: timeout.map { now + $0 }))
            effects.append(.event(.requested, participant, holder: session.holder, previous: nil, tab: nil))
            return effects + settle(now: now)
        case .tab(let tab):
            if tabIsFree(tab, for: participant, id: id) {
                give(lane, to: participant, now: now)
                return [.resume(waiter: id), .event(.granted, participant, holder: participant, previous: nil, tab: tab)]
            }
            if timeout == .zero {
                return [.fail(waiter: id, .notInControl(participant, of: lane, heldBy: effectiveHolder(lane)))]
            }
            let order = tabs[tab]!.order
            if let later = tabsHeld(by: participant).last(where: { tabs[$0]!.order >= order }) {
                return [.fail(waiter: id, CoordinationError(
                    .lockOrder, heldBy: effectiveHolder(lane), tab: tab,
                    "\(participant) holds tab \(later), opened after tab \(tab): waiting for tab \(tab) could deadlock; "
                        + "release tab \(later) first, or ask without waiting"))]
            }
            update(lane) { $0.queue.append(Waiter(id: id, participant: participant, deadline: timeout.map { now + $0 })) }
            return [.event(.requested, participant, holder: effectiveHolder(lane), previous: nil, tab: tab)]
        }
    }

    /// Grants whatever can be granted: the session to the head of its queue when no one else holds a
    /// tab, then each free tab to the head of its queue (in lock order), until nothing changes.
    /// `previous`: who just left `lane` (named in the event of its next grant).
    private mutating func settle(now: Duration, previous: (lane: Lane, holder: Participant)? = nil) -> [Effect] {
        func before(_ lane: Lane) -> Participant? { previous?.lane == lane ? previous?.holder : nil }
        var effects: [Effect] = []
        var changed = true
        while changed {
            changed = false
            // A wait for a tab that the whole browser's holder makes is over: the session covers it.
            if let holder = session.holder {
                for (id, hold) in tabsInOrder {
                    let covered = hold.queue.filter { $0.participant == holder }
                    guard !covered.isEmpty else { continue }
                    tabs[id]!.queue.removeAll { $0.participant == holder }
                    effects += covered.map { .resume(waiter: $0.id) }
                }
            }
            if session.holder == nil, let head = session.queue.first, sessionIsFree(for: head.participant) {
                session.queue.removeFirst()
                give(.session, to: head.participant, now: now)
                effects += [.resume(waiter: head.id), .event(.granted, head.participant, holder: head.participant, previous: before(.session), tab: nil)]
                changed = true
            }
            guard session.holder == nil else { break }
            for (id, hold) in tabsInOrder where hold.holder == nil {
                guard let head = hold.queue.first(where: { !behindSession($0.participant, id: $0.id) }) else { continue }
                tabs[id]!.queue.removeAll { $0.id == head.id }
                give(.tab(id), to: head.participant, now: now)
                effects += [.resume(waiter: head.id), .event(.granted, head.participant, holder: head.participant, previous: before(.tab(id)), tab: id)]
                changed = true
            }
        }
        return effects
    }

    /// Gives up a lane (nil: every lane), a claim to get it back, and any wait for it. Returns whether
    /// there was any. A person holding a lane after a take-over hands it back.
    mutating func release(_ participant: Participant, lane: Lane? = nil, now: Duration) -> (released: Bool, effects: [Effect]) {
        let lanes: [Lane] = lane.map { [$0] } ?? ([.session] + tabsInOrder.map { .tab($0.id) })
        var released = false
        var effects: [Effect] = []
        for lane in lanes {
            guard let hold = hold(lane) else { continue }
            if hold.holder == participant {
                released = true
                if participant.kind == .human, hold.preempted != nil || !hold.queue.isEmpty {
                    effects += handBackEffects(lane, from: participant, now: now)
                    continue
                }
                free(lane)
                effects.append(.event(.released, participant, holder: effectiveHolder(lane), previous: participant, tab: lane.tab))
                effects += settle(now: now, previous: (lane, participant))
            }
            if hold.preempted == participant {
                update(lane) { $0.preempted = nil }
                released = true
                effects.append(.event(.released, participant, holder: effectiveHolder(lane), previous: nil, tab: lane.tab))
            }
            let withdrawn = hold.queue.filter { $0.participant == participant }
            if !withdrawn.isEmpty {
                update(lane) { $0.queue.removeAll { $0.participant == participant } }
                released = true
                effects += withdrawn.map {
                    .fail(waiter: $0.id, CoordinationError(.cancelled, heldBy: effectiveHolder(lane), tab: lane.tab,
                                                           "\(participant) released control while waiting"))
                }
            }
        }
        return (released, effects + settle(now: now))
    }

    /// The waiter's task was cancelled.
    mutating func cancel(waiter id: Int, now: Duration) -> [Effect] {
        for lane in [Lane.session] + tabsInOrder.map({ .tab($0.id) }) {
            guard let index = hold(lane)?.queue.firstIndex(where: { $0.id == id }) else { continue }
            var waiter: Waiter?
            update(lane) { waiter = $0.queue.remove(at: index) }
            return [.fail(waiter: id, CoordinationError(.cancelled, heldBy: effectiveHolder(lane), tab: lane.tab,
                                                        "\(waiter!.participant) stopped waiting: its task was cancelled"))] + settle(now: now)
        }
        return []
    }

    // MARK: People

    /// A person takes a lane at once. An agent holding it keeps a claim to get it back (see
    /// ``handBack(by:lane:now:)``); queued participants stay queued. Taking a tab while an agent holds
    /// the session takes the session. Taking the session suspends the tabs others hold until the hand-back.
    mutating func takeOver(by human: Participant, lane: Lane = .session, now: Duration) -> Result<[Effect], CoordinationError> {
        guard human.kind == .human else {
            return .failure(CoordinationError(.notAllowed, heldBy: effectiveHolder(lane), tab: lane.tab,
                                              "only humans take over; \(human) must request control"))
        }
        if mayAct(human, in: lane) { return .success([]) }
        if let current = session.holder, current.kind == .human {
            return .failure(CoordinationError(.notInControl, heldBy: current, tab: lane.tab,
                                              "\(current) holds control of the whole browser; humans hand it to each other explicitly"))
        }
        if case .tab = lane, session.holder != nil { return takeOver(by: human, lane: .session, now: now) }
        if case .tab(let id) = lane { openTab(id) }
        let previous = hold(lane)?.holder
        if let current = previous, current.kind == .human {
            return .failure(CoordinationError(.notInControl, heldBy: current, tab: lane.tab,
                                              "\(current) holds control of \(lane); humans hand it to each other explicitly"))
        }
        if let agent = previous { update(lane) { $0.preempted = agent } }
        give(lane, to: human, now: now)
        var effects: [Effect] = []
        // A person who was waiting politely now holds the lane (every lane, for the whole browser); a
        // wait of theirs for a tab opened before the one taken would break the lock order, and ends.
        let order = hold(lane)!.order
        for other in [Lane.session] + tabsInOrder.map({ .tab($0.id) }) {
            guard let waits = hold(other)?.queue.filter({ $0.participant == human }), !waits.isEmpty else { continue }
            let covered = other == lane || lane == .session
            if !covered, hold(other)!.order > order { continue }
            update(other) { $0.queue.removeAll { $0.participant == human } }
            effects += waits.map {
                covered ? .resume(waiter: $0.id) : .fail(waiter: $0.id, CoordinationError(
                    .lockOrder, heldBy: effectiveHolder(other), tab: other.tab,
                    "\(human) took over \(lane), opened after \(other): its wait for \(other) ended (it could deadlock)"))
            }
        }
        effects.append(.event(.takenOver, human, holder: human, previous: previous, tab: lane.tab))
        return .success(effects + settle(now: now))
    }

    /// The person holding a lane gives it back: to the agent it was taken from when that agent still
    /// claims it (and the configuration says so), else to the head of the queue.
    mutating func handBack(by human: Participant, lane: Lane = .session, now: Duration) -> Result<[Effect], CoordinationError> {
        guard hold(lane)?.holder == human else {
            return .failure(.notInControl(human, of: lane, heldBy: effectiveHolder(lane)))
        }
        return .success(handBackEffects(lane, from: human, now: now))
    }

    private mutating func handBackEffects(_ lane: Lane, from human: Participant, now: Duration) -> [Effect] {
        let claimant = hold(lane)?.preempted
        update(lane) { $0.preempted = nil }
        if configuration.preemptedAgentFirst, let agent = claimant {
            give(lane, to: agent, now: now)
            var effects: [Effect] = []
            if let index = hold(lane)!.queue.firstIndex(where: { $0.participant == agent }) {
                var waiter: Waiter?
                update(lane) { waiter = $0.queue.remove(at: index) }
                effects.append(.resume(waiter: waiter!.id))
            }
            effects.append(.event(.handedBack, human, holder: agent, previous: human, tab: lane.tab))
            return effects + settle(now: now)
        }
        free(lane)
        let granted = settle(now: now, previous: (lane, human))
        return [.event(.handedBack, human, holder: hold(lane)?.holder, previous: human, tab: lane.tab)] + granted
    }

    /// Activity by `participant` in a lane extends the lease it acts under (the session's, when it
    /// holds the session). Returns false when it may not act there.
    mutating func renew(_ participant: Participant, lane: Lane = .session, now: Duration) -> Bool {
        guard mayAct(participant, in: lane) else { return false }
        let owned: Lane = session.holder == participant ? .session : lane
        let implicit = hold(owned)?.implicit ?? false
        let until = lease(for: participant, implicit: implicit, now: now)
        update(owned) { $0.leaseUntil = until }
        return true
    }

    /// Expires leases that ran out and fails waits whose timeout passed.
    mutating func tick(now: Duration) -> [Effect] {
        var effects: [Effect] = []
        for lane in [Lane.session] + tabsInOrder.map({ .tab($0.id) }) {
            guard let hold = hold(lane), let current = hold.holder, let until = hold.leaseUntil, now >= until else { continue }
            // A person's expired lease goes back as a hand-back would; an agent's to the queue.
            if current.kind == .human {
                let handOver = handBackEffects(lane, from: current, now: now).filter {
                    if case .event(.handedBack, _, _, _, _) = $0 { false } else { true }
                }
                effects.append(.event(.expired, current, holder: self.hold(lane)?.holder, previous: current, tab: lane.tab))
                effects += handOver
            } else {
                free(lane)
                let granted = settle(now: now, previous: (lane, current))
                effects.append(.event(.expired, current, holder: effectiveHolder(lane), previous: current, tab: lane.tab))
                effects += granted
            }
        }
        for lane in [Lane.session] + tabsInOrder.map({ .tab($0.id) }) {
            let late = hold(lane)?.queue.filter { $0.deadline.map { $0 <= now } ?? false } ?? []
            guard !late.isEmpty else { continue }
            update(lane) { $0.queue.removeAll { waiter in late.contains { $0.id == waiter.id } } }
            let holder = effectiveHolder(lane)
            for waiter in late {
                effects.append(.fail(waiter: waiter.id, CoordinationError(
                    .timedOut, heldBy: holder, tab: lane.tab,
                    "\(waiter.participant) gave up waiting for control of \(lane); \(holder.map { "\($0) holds control" } ?? "it is free")")))
                effects.append(.event(.timedOut, waiter.participant, holder: holder, previous: nil, tab: lane.tab))
            }
        }
        return effects + settle(now: now)
    }

    /// The earliest lease end or wait deadline, if any.
    var nextDeadline: Duration? {
        let holds = [session] + Array(tabs.values)
        return holds.flatMap { [$0.leaseUntil].compactMap { $0 } + $0.queue.compactMap(\.deadline) }.min()
    }
}

/// Who holds control of the browser, who waits, and until when — as a value.
///
/// Time is a `Duration` since the coordinator started, passed in with every call, so the machine can
/// be driven and tested without a clock. Every call returns the effects for the shell to carry out:
/// waiters to resume or fail, and events to publish. Invariant: when no one holds control, no one
/// waits (control always goes straight to the head of the queue).
struct ControlStateMachine: Sendable {
    struct Configuration: Sendable {
        var agentLease: Duration
        var humanLease: Duration?
        var preemptedAgentFirst: Bool
        /// How long an implicit turn lasts without activity; nil: no implicit turns.
        var implicitTurnIdle: Duration? = nil
    }

    struct Waiter: Sendable, Equatable {
        var id: Int
        var participant: Participant
        var deadline: Duration?
    }

    enum Effect: Sendable, Equatable {
        case resume(waiter: Int)
        case fail(waiter: Int, CoordinationError)
        case event(ControlEvent.Change, Participant, holder: Participant?, previous: Participant?)
    }

    let configuration: Configuration
    private(set) var holder: Participant?
    private(set) var leaseUntil: Duration?
    /// The agent a human took control from, while it still has a claim to get it back.
    private(set) var preempted: Participant?
    private(set) var queue: [Waiter] = []
    /// The holder took control by acting while no one held it (``takeImplicitly(_:now:)``), not by
    /// asking: its lease is the idle time of an implicit turn.
    private(set) var implicit = false

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    private func lease(for participant: Participant, now: Duration) -> Duration? {
        if implicit, let idle = configuration.implicitTurnIdle { return now + idle }
        return participant.kind == .human ? configuration.humanLease.map { now + $0 } : now + configuration.agentLease
    }

    private mutating func give(to participant: Participant, now: Duration, implicitly: Bool = false) {
        holder = participant
        implicit = implicitly
        leaseUntil = lease(for: participant, now: now)
    }

    /// An action by `participant` while no one holds control and no one waits takes control for it,
    /// as an implicit turn that ends after ``Configuration/implicitTurnIdle`` without activity (or on
    /// release). Nil when it cannot: someone holds control or waits, or implicit turns are off.
    mutating func takeImplicitly(_ participant: Participant, now: Duration) -> [Effect]? {
        guard configuration.implicitTurnIdle != nil, holder == nil, queue.isEmpty else { return nil }
        give(to: participant, now: now, implicitly: true)
        return [.event(.granted, participant, holder: participant, previous: nil)]
    }

    /// Control goes to the head of the queue, or to no one.
    private mutating func grantNext(previous: Participant?, now: Duration) -> [Effect] {
        guard !queue.isEmpty else {
            holder = nil
            leaseUntil = nil
            implicit = false
            return []
        }
        let next = queue.removeFirst()
        give(to: next.participant, now: now)
        return [.resume(waiter: next.id), .event(.granted, next.participant, holder: next.participant, previous: previous)]
    }

    /// Asks for control for `waiter`. `timeout` nil waits without limit; `.zero` never waits.
    mutating func request(waiter id: Int, for participant: Participant, timeout: Duration?, now: Duration) -> [Effect] {
        if holder == participant {
            // Asking makes an implicit turn an explicit one.
            implicit = false
            leaseUntil = lease(for: participant, now: now)
            return [.resume(waiter: id)]
        }
        if queue.contains(where: { $0.participant == participant }) {
            return [.fail(waiter: id, CoordinationError(.alreadyWaiting, heldBy: holder, "\(participant) is already waiting for control"))]
        }
        if holder == nil {
            give(to: participant, now: now)
            return [.resume(waiter: id), .event(.granted, participant, holder: participant, previous: nil)]
        }
        if timeout == .zero {
            return [.fail(waiter: id, .notInControl(participant, heldBy: holder))]
        }
        queue.append(Waiter(id: id, participant: participant, deadline: timeout.map { now + $0 }))
        return [.event(.requested, participant, holder: holder, previous: nil)]
    }

    /// Gives up control, a claim to get it back, and any wait. Returns whether there was any.
    mutating func release(_ participant: Participant, now: Duration) -> (released: Bool, effects: [Effect]) {
        if holder == participant {
            if participant.kind == .human, preempted != nil || !queue.isEmpty {
                return (true, handBackEffects(from: participant, now: now))
            }
            return (true, [.event(.released, participant, holder: nil, previous: participant)] + grantNext(previous: participant, now: now))
        }
        var effects: [Effect] = []
        var released = false
        if preempted == participant {
            preempted = nil
            released = true
            effects.append(.event(.released, participant, holder: holder, previous: nil))
        }
        let withdrawn = queue.filter { $0.participant == participant }
        if !withdrawn.isEmpty {
            queue.removeAll { $0.participant == participant }
            released = true
            effects += withdrawn.map {
                .fail(waiter: $0.id, CoordinationError(.cancelled, heldBy: holder, "\(participant) released control while waiting"))
            }
        }
        return (released, effects)
    }

    /// The waiter's task was cancelled.
    mutating func cancel(waiter id: Int) -> [Effect] {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return [] }
        let waiter = queue.remove(at: index)
        return [.fail(waiter: id, CoordinationError(.cancelled, heldBy: holder, "\(waiter.participant) stopped waiting: its task was cancelled"))]
    }

    /// A human takes control at once. An agent holding it keeps a claim to get it back (see
    /// ``handBack(by:now:)``); queued participants stay queued.
    mutating func takeOver(by human: Participant, now: Duration) -> Result<[Effect], CoordinationError> {
        guard human.kind == .human else {
            return .failure(CoordinationError(.notAllowed, heldBy: holder, "only humans take over; \(human) must request control"))
        }
        if holder == human { return .success([]) }
        if let current = holder, current.kind == .human {
            return .failure(CoordinationError(.notInControl, heldBy: current,
                                              "\(current) holds control; humans hand it to each other explicitly"))
        }
        let previous = holder
        if let agent = previous, agent.kind != .human { preempted = agent }
        give(to: human, now: now)
        var effects: [Effect] = []
        // A human who was waiting politely now holds control.
        for waiter in queue where waiter.participant == human { effects.append(.resume(waiter: waiter.id)) }
        queue.removeAll { $0.participant == human }
        effects.append(.event(.takenOver, human, holder: human, previous: previous))
        return .success(effects)
    }

    /// The human holding control gives it back: to the agent it was taken from when that agent still
    /// claims it (and the configuration says so), else to the head of the queue.
    mutating func handBack(by human: Participant, now: Duration) -> Result<[Effect], CoordinationError> {
        guard holder == human else {
            return .failure(.notInControl(human, heldBy: holder))
        }
        return .success(handBackEffects(from: human, now: now))
    }

    private mutating func handBackEffects(from human: Participant, now: Duration) -> [Effect] {
        let claimant = preempted
        preempted = nil
        if configuration.preemptedAgentFirst, let agent = claimant {
            give(to: agent, now: now)
            var effects: [Effect] = []
            if let index = queue.firstIndex(where: { $0.participant == agent }) {
                effects.append(.resume(waiter: queue.remove(at: index).id))
            }
            effects.append(.event(.handedBack, human, holder: agent, previous: human))
            return effects
        }
        var effects = grantNext(previous: human, now: now)
        effects.insert(.event(.handedBack, human, holder: holder, previous: human), at: 0)
        return effects
    }

    /// Activity by the holder extends its lease. Returns false when `participant` does not hold control.
    mutating func renew(_ participant: Participant, now: Duration) -> Bool {
        guard holder == participant else { return false }
        leaseUntil = lease(for: participant, now: now)
        return true
    }

    /// Expires a lease that ran out and fails waits whose timeout passed.
    mutating func tick(now: Duration) -> [Effect] {
        var effects: [Effect] = []
        if let current = holder, let until = leaseUntil, now >= until {
            // A human's expired lease goes back as a hand-back would; an agent's to the queue.
            let handOver = current.kind == .human
                ? handBackEffects(from: current, now: now).filter { if case .event(.handedBack, _, _, _) = $0 { false } else { true } }
                : grantNext(previous: current, now: now)
            effects.append(.event(.expired, current, holder: holder, previous: current))
            effects += handOver
        }
        let late = queue.filter { $0.deadline.map { $0 <= now } ?? false }
        if !late.isEmpty {
            queue.removeAll { waiter in late.contains { $0.id == waiter.id } }
            for waiter in late {
                effects.append(.fail(waiter: waiter.id, CoordinationError(
                    .timedOut, heldBy: holder,
                    "\(waiter.participant) gave up waiting for control; \(holder.map { "\($0) holds control" } ?? "it is free")")))
                effects.append(.event(.timedOut, waiter.participant, holder: holder, previous: nil))
            }
        }
        return effects
    }

    /// The earliest lease end or wait deadline, if any.
    var nextDeadline: Duration? {
        let waits = queue.compactMap(\.deadline)
        return (waits + [leaseUntil].compactMap { $0 }).min()
    }
}

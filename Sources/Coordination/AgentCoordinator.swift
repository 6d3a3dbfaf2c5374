/// Decides who may act on the shared browser: agents and humans take turns holding control — of the
/// whole browser, or of one tab (a lane) while others hold other tabs.
///
/// - Lanes: every method takes a `tab` (nil: the whole browser, the session). An action in a tab needs
///   that tab's control only; holding the session covers every tab, and it is granted only when no one
///   else holds a tab. Each lane has a fair queue; tabs are waited for in the order they were opened
///   (the session first), so no schedule deadlocks (``CoordinationError/Code/lockOrder``).
/// - Agents ask with ``requestControl(for:tab:timeout:)`` and wait in first-come, first-served order, or
///   use ``tryRequestControl(for:tab:)``, which never waits. ``withTurn(for:tab:timeout:isolation:_:)`` holds
///   control for the length of a closure and releases it on return, throw or cancellation.
/// - Control is a lease: it ends by itself after ``Configuration/agentLease`` without activity
///   (``checkControl(_:tab:implicitly:)`` and ``renewLease(for:tab:)`` renew it), so an agent that vanishes cannot hold
///   the browser forever.
/// - A human can ``takeOver(by:tab:)`` at once. The agent that held control may finish what it is doing;
///   its next ``checkControl(_:tab:implicitly:)`` fails with ``CoordinationError/Code/notInControl``. ``handBack(by:tab:)``
///   returns control to that agent first (unless configured otherwise), then to the queue.
/// - Every change is reported on ``events()``.
///
/// The coordinator is an actor over a value-type state machine; its clock is injected, so leases and
/// timeouts can be tested without waiting.
public actor AgentCoordinator {
    /// Lease lengths and the hand-back rule.
    public struct Configuration: Sendable {
        /// How long an agent keeps control without activity. Default 60 s.
        public var agentLease: Duration = .seconds(60)
        /// How long a human keeps control without activity; nil for no limit. Default 15 minutes.
        public var humanLease: Duration? = .seconds(15 * 60)
        /// On hand-back, give control to the agent the human took it from (if it still claims it)
        /// before the queue. Default true.
        public var preemptedAgentFirst = true
        /// How long an implicit turn lasts without activity: an agent that acts while no one holds
        /// control and no one waits takes it (``checkControl(_:tab:implicitly:)``), and it ends after this
        /// long without an action, or on release. nil: no implicit turns (acting needs a request).
        /// Default 30 s.
        public var implicitTurnIdle: Duration? = .seconds(30)
        /// The defaults: 60 s agent lease, 15 min human lease, the preempted agent first on hand-back,
        /// implicit turns of 30 s idle.
        public init() {}
    }

    private var machine: ControlStateMachine
    private var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
    private var nextWaiterID = 0
    private let now: @Sendable () -> Duration
    private let sleepUntil: @Sendable (Duration) async throws -> Void
    private var watchdog: Task<Void, Never>?
    private var watchdogDeadline: Duration?
    private var subscribers: [Int: AsyncStream<ControlEvent>.Continuation] = [:]
    private var nextSubscriberID = 0
    private var registered: [Participant] = []

    /// A coordinator on the continuous clock.
    public init(configuration: Configuration = Configuration()) {
        self.init(configuration: configuration, clock: ContinuousClock())
    }

    /// A coordinator on `clock` (inject a manual clock in tests).
    public init<C: Clock>(configuration: Configuration = Configuration(), clock: C) where C.Duration == Duration {
        machine = ControlStateMachine(configuration: .init(
            agentLease: configuration.agentLease, humanLease: configuration.humanLease,
            preemptedAgentFirst: configuration.preemptedAgentFirst, implicitTurnIdle: configuration.implicitTurnIdle))
        let start = clock.now
        now = { start.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) }
    }

    // MARK: State

    /// Who holds control of the whole browser, if anyone.
    public var holder: Participant? { machine.holder }
    /// Who waits for control of the whole browser, in the order they will get it.
    public var queue: [Participant] { machine.queue.map(\.participant) }
    /// The agent a human took control of the whole browser from, while it may still get it back.
    public var preemptedAgent: Participant? { machine.preempted }

    /// Who may act in `tab` (nil: the whole browser): the holder of the whole browser, else the tab's.
    public func holder(of tab: String?) -> Participant? { machine.effectiveHolder(.init(tab)) }

    /// The whole browser's lane first, then each tab's in the order the tabs were opened.
    public var lanes: [ControlLane] {
        func lane(_ tab: String?, _ hold: ControlStateMachine.Hold) -> ControlLane {
            ControlLane(tab: tab, holder: hold.holder, queue: hold.queue.map(\.participant), implicit: hold.holder != nil && hold.implicit,
                        preemptedAgent: hold.preempted)
        }
        return [lane(nil, machine.session)] + machine.tabsInOrder.map { lane($0.id, $0.hold) }
    }

    /// Makes a tab known: tabs are waited for in the order they became known. Acting in or asking for
    /// an unknown tab makes it known too.
    public func tabOpened(_ tab: String) { machine.openTab(tab) }

    /// A tab closed: its holder loses it, its waiters fail with ``CoordinationError/Code/cancelled``.
    public func tabClosed(_ tab: String) { apply(machine.closeTab(tab, now: now())) }
    /// The participants registered, in order.
    public var participants: [Participant] { registered }

    /// Makes a participant known (for listings); acting does not require it.
    public func register(_ participant: Participant) {
        if !registered.contains(participant) { registered.append(participant) }
    }

    /// Forgets a participant: it gives up control, any claim and any wait.
    public func unregister(_ participant: Participant) {
        registered.removeAll { $0 == participant }
        releaseControl(for: participant)
    }

    // MARK: Getting and giving up control

    /// Waits for control of a tab or of the whole browser, first come, first served.
    ///
    /// Returns at once if `participant` may act there already (renewing its lease) or the lane is free.
    /// Asking for the whole browser while holding tabs gives them up while it waits (it covers them
    /// once granted).
    /// - Parameter participant: who wants control.
    /// - Parameter tab: the tab; nil for the whole browser (the default).
    /// - Parameter timeout: how long to wait; nil waits until granted or the task is cancelled.
    /// - Throws: ``CoordinationError`` — `.timedOut` naming the holder, `.cancelled` when the task is
    ///   cancelled, the participant releases while waiting or the tab closes, `.alreadyWaiting`,
    ///   `.lockOrder` when waiting for `tab` could deadlock.
    public func requestControl(for participant: Participant, tab: String? = nil, timeout: Duration? = nil) async throws {
        nextWaiterID += 1
        let id = nextWaiterID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                waiters[id] = continuation
                if Task.isCancelled {
                    apply(machine.cancel(waiter: id, now: now()))
                    waiters.removeValue(forKey: id)?.resume(throwing: CoordinationError(
                        .cancelled, heldBy: machine.holder, "\(participant) stopped waiting: its task was cancelled"))
                    return
                }
                apply(machine.request(waiter: id, for: participant, lane: .init(tab), timeout: timeout, now: now()))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Takes control of `tab` (nil: the whole browser) if it is free (or already `participant`'s); never waits.
    /// - Returns: whether `participant` now holds control there.
    @discardableResult
    public func tryRequestControl(for participant: Participant, tab: String? = nil) -> Bool {
        nextWaiterID += 1
        let id = nextWaiterID
        let effects = machine.request(waiter: id, for: participant, lane: .init(tab), timeout: .zero, now: now())
        apply(effects.filter { if case .resume = $0 { false } else if case .fail = $0 { false } else { true } })
        return effects.contains(.resume(waiter: id))
    }

    /// The simple form: takes control if free, never waits. Same as ``tryRequestControl(for:tab:)``.
    public func requestControl(_ participant: Participant) -> Bool {
        tryRequestControl(for: participant)
    }

    /// Gives up control (the next in the queue gets it), a claim to get it back after a take-over, and
    /// any wait: of every lane, or of one tab. For a human holding control after a take-over, this is
    /// ``handBack(by:tab:)``.
    /// - Parameter participant: who gives up.
    /// - Parameter tab: only this tab's lane; nil (the default) gives up everything.
    /// - Returns: whether there was anything to give up.
    @discardableResult
    public func releaseControl(for participant: Participant, tab: String? = nil) -> Bool {
        let (released, effects) = machine.release(participant, lane: tab.map { .tab($0) }, now: now())
        apply(effects)
        return released
    }

    /// Runs `body` while `participant` holds control of `tab` (nil: the whole browser), then releases
    /// that lane — on return, on throw, and when the task is cancelled.
    ///
    /// If a human takes over meanwhile, `body` is not interrupted; the session's next action for
    /// `participant` fails with ``CoordinationError/Code/notInControl``.
    /// - Throws: what ``requestControl(for:tab:timeout:)`` throws, then what `body` throws.
    public func withTurn<T>(
        for participant: Participant, tab: String? = nil, timeout: Duration? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> sending T
    ) async throws -> sending T {
        try await requestControl(for: participant, tab: tab, timeout: timeout)
        return try await runReleasing(participant, lane: .init(tab), body)
    }

    /// The simple form of a turn: takes control only if it is free and runs `body`, else throws.
    /// - Throws: ``CoordinationError/Code/notInControl`` naming the holder when control is not free.
    public func agentTurn<T>(
        _ participant: Participant, tab: String? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> sending T
    ) async throws -> sending T {
        guard await tryRequestControl(for: participant, tab: tab) else {
            throw CoordinationError.notInControl(participant, of: .init(tab), heldBy: await holder(of: tab))
        }
        return try await runReleasing(participant, lane: .init(tab), body)
    }

    /// Runs `body` and gives up `participant`'s control of `lane` afterwards, whether it returns or throws.
    private func runReleasing<T>(
        _ participant: Participant, lane: ControlStateMachine.Lane, isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> sending T
    ) async throws -> sending T {
        do {
            let result = try await body()
            await release(participant, lane: lane)
            return result
        } catch {
            await release(participant, lane: lane)
            throw error
        }
    }

    private func release(_ participant: Participant, lane: ControlStateMachine.Lane) {
        apply(machine.release(participant, lane: lane, now: now()).effects)
    }

    /// Succeeds (and renews the lease) when `participant` may act in `tab` (nil: the whole browser) —
    /// or, with `implicitly`, when no one holds that lane and no one waits for it: then `participant`
    /// takes it as an implicit turn, which ends after ``Configuration/implicitTurnIdle`` without
    /// activity or on release (a lone agent never asks). An explicit
    /// ``requestControl(for:tab:timeout:)`` still reserves a lane for several steps.
    /// - Throws: ``CoordinationError/Code/notInControl`` naming the holder and the tab.
    public func checkControl(_ participant: Participant, tab: String? = nil, implicitly: Bool = false) throws {
        let lane = ControlStateMachine.Lane(tab)
        if machine.renew(participant, lane: lane, now: now()) { return }
        if implicitly, let effects = machine.takeImplicitly(participant, lane: lane, now: now()) {
            apply(effects)
            return
        }
        if case .session = lane, let blocker = machine.sessionBlocker(for: participant) {
            throw CoordinationError.notInControl(participant, of: .session, heldBy: blocker.holder, blockingTab: blocker.tab)
        }
        throw CoordinationError.notInControl(participant, of: lane, heldBy: machine.effectiveHolder(lane))
    }

    /// Whether the holder of the whole browser took it implicitly, by acting (``checkControl(_:tab:implicitly:)``).
    public var holdsImplicitly: Bool { machine.holder != nil && machine.implicit }

    /// Extends the lease `participant` acts under in `tab` (nil: the whole browser); false when it may not act there.
    @discardableResult
    public func renewLease(for participant: Participant, tab: String? = nil) -> Bool {
        machine.renew(participant, lane: .init(tab), now: now())
    }

    // MARK: Humans

    /// A human takes control of `tab` (nil: the whole browser) at once from whoever holds it (agents
    /// keep their place in the queue). Taking one tab leaves the other tabs' holders going on; taking
    /// the whole browser stops everyone else until the hand-back. A tab taken while an agent holds the
    /// whole browser takes the whole browser.
    /// - Throws: ``CoordinationError/Code/notAllowed`` for a non-human; ``CoordinationError/Code/notInControl``
    ///   when another human holds the lane (or the whole browser).
    public func takeOver(by human: Participant, tab: String? = nil) throws {
        apply(try machine.takeOver(by: human, lane: .init(tab), now: now()).get())
    }

    /// The human holding `tab` (nil: the whole browser) gives it back: to the agent it was taken from
    /// when that agent still wants it, else to the next in the queue.
    /// - Throws: ``CoordinationError/Code/notInControl`` when `human` does not hold that lane.
    public func handBack(by human: Participant, tab: String? = nil) throws {
        apply(try machine.handBack(by: human, lane: .init(tab), now: now()).get())
    }

    /// Hands back every lane a human holds; does nothing when no human holds any.
    public func handBack() {
        for lane in lanes {
            guard let human = lane.holder, human.kind == .human else { continue }
            apply((try? machine.handBack(by: human, lane: .init(lane.tab), now: now()).get()) ?? [])
        }
    }

    // MARK: Events

    /// A stream of every change of control from now on (buffering the newest 1000 undelivered).
    public func events() -> AsyncStream<ControlEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ControlEvent.self, bufferingPolicy: .bufferingNewest(1000))
        nextSubscriberID += 1
        let id = nextSubscriberID
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.removeSubscriber(id) } }
        return stream
    }

    private func removeSubscriber(_ id: Int) { subscribers.removeValue(forKey: id) }

    // MARK: Effects and time

    private func cancelWaiter(_ id: Int) { apply(machine.cancel(waiter: id, now: now())) }

    private func apply(_ effects: [ControlStateMachine.Effect]) {
        let at = now()
        for effect in effects {
            switch effect {
            case .resume(let id):
                waiters.removeValue(forKey: id)?.resume()
            case .fail(let id, let error):
                waiters.removeValue(forKey: id)?.resume(throwing: error)
            case .event(let change, let participant, let holder, let previous, let tab):
                let event = ControlEvent(change: change, participant: participant, holder: holder,
                                         previousHolder: previous, tab: tab, at: at)
                for subscriber in subscribers.values { subscriber.yield(event) }
            }
        }
        scheduleWatchdog()
    }

    /// One task sleeps until the earliest lease end or wait deadline. It may wake early (the deadline
    /// moved later); it then just sleeps again.
    private func scheduleWatchdog() {
        guard let deadline = machine.nextDeadline else {
            watchdog?.cancel()
            watchdog = nil
            watchdogDeadline = nil
            return
        }
        if let current = watchdogDeadline, current <= deadline, watchdog != nil { return }
        watchdog?.cancel()
        watchdogDeadline = deadline
        let sleepUntil = self.sleepUntil
        watchdog = Task { [weak self] in
            do { try await sleepUntil(deadline) } catch { return }
            await self?.watchdogFired()
        }
    }

    private func watchdogFired() {
        watchdog = nil
        watchdogDeadline = nil
        apply(machine.tick(now: now()))
    }
}

/// One lane of control: the whole browser (``tab`` nil) or one tab.
public struct ControlLane: Sendable, Hashable {
    /// The tab; nil for the whole browser.
    public var tab: String?
    /// Who holds the lane itself (the holder of the whole browser may act in every tab besides).
    public var holder: Participant?
    /// Who waits for it, in order.
    public var queue: [Participant]
    /// Whether the holder took it by acting (an implicit turn), not by asking.
    public var implicit: Bool
    /// The agent a person took it from, while that agent may get it back.
    public var preemptedAgent: Participant?
}

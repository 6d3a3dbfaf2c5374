public import Foundation

/// Numbers browser events and hands them to everyone who listens.
///
/// ``publish(_:cause:target:payload:)`` gives each event the next sequence number (1, 2, 3, ...) and
/// the time from the hub's clock, keeps it in the hub's ``EventBuffer`` (the newest 50 by default) and
/// passes it to every subscriber. Each subscriber has its own bounded buffer: one that does not keep up
/// loses its oldest events and is told how many with a ``EventSubscription/Element/missed(count:)``
/// marker. A stalled subscriber never blocks ``publish(_:cause:target:payload:)`` and never holds more
/// than its buffer.
///
/// ```swift
/// let hub = EventHub()
/// let errors = hub.subscribe(kinds: [.pageError, .console])
/// hub.publish(.pageError, cause: .page, payload: .pageError(PageErrorInfo(message: "boom")))
/// for await element in errors {
///     if case .event(let event) = element { print(event.sequence, event.summary) }
/// }
/// ```
public final class EventHub: @unchecked Sendable {
    // `@unchecked`: every mutable field is guarded by `lock`.
    private let lock = NSLock()
    private var nextSequence: UInt64 = 1
    private var ring: EventBuffer
    private var subscribers: [Subscriber] = []
    private var closed = false
    private let now: @Sendable () -> Date

    /// Creates a hub that keeps the newest `capacity` events.
    /// - Parameter capacity: how many recent events the hub's ``buffer`` holds (default 50).
    /// - Parameter now: the clock that stamps events; inject one to make time deterministic in tests.
    public init(capacity: Int = EventBuffer.defaultCapacity, now: @escaping @Sendable () -> Date = { Date() }) {
        ring = EventBuffer(capacity: capacity)
        self.now = now
    }

    /// Numbers, stamps, keeps and delivers an event. Returns it as delivered.
    @discardableResult
    public func publish(
        _ kind: BrowserEvent.Kind, cause: EventCause, target: String? = nil, payload: BrowserEvent.Payload = .none
    ) -> BrowserEvent {
        publish(BrowserEvent(kind: kind, cause: cause, target: target, payload: payload))
    }

    /// Numbers and stamps `event` (its own `sequence` and `timestamp` are replaced), keeps it and
    /// delivers it. After ``close()`` the event is still numbered and returned, but kept by no one.
    @discardableResult
    public func publish(_ event: BrowserEvent) -> BrowserEvent {
        var event = event
        event.timestamp = now()
        var wake: [CheckedContinuation<Void, Never>] = []
        lock.lock()
        event.sequence = nextSequence
        nextSequence += 1
        if !closed {
            ring.add(event)
            // Delivered under the hub lock, so every subscriber sees sequence order even with
            // concurrent publishers; each subscriber's own lock is held only to append.
            for subscriber in subscribers where subscriber.accepts(event.kind) {
                if let continuation = subscriber.deliver(event) { wake.append(continuation) }
            }
        }
        lock.unlock()
        for continuation in wake { continuation.resume() }
        return event
    }

    /// Subscribes to the events published from now on (or from `sequence`, when given).
    ///
    /// - Parameters:
    ///   - kinds: only these kinds; nil for all.
    ///   - bufferSize: how many undelivered events this subscriber may hold before losing the oldest.
    ///   - sequence: replay the held events numbered `sequence` and later first. When the hub no longer
    ///     holds some of them, a ``EventSubscription/Element/missed(count:)`` marker comes first.
    public func subscribe(
        kinds: Set<BrowserEvent.Kind>? = nil, bufferSize: Int = 1024, from sequence: UInt64? = nil
    ) -> EventSubscription {
        let subscriber = Subscriber(kinds: kinds, capacity: max(1, bufferSize))
        lock.lock()
        if let sequence {
            let held = ring.all
            let oldest = held.first?.sequence ?? nextSequence
            if sequence < oldest {
                // Events sequence..<oldest existed and are gone (or, with a filter, up to that many).
                let lost = Int(min(oldest, nextSequence) - min(sequence, oldest))
                if lost > 0 { subscriber.addMissed(lost) }
            }
            for event in held where event.sequence >= sequence && subscriber.accepts(event.kind) {
                _ = subscriber.deliver(event)
            }
        }
        if closed {
            subscriber.finish()
        } else {
            subscribers.append(subscriber)
        }
        lock.unlock()
        return EventSubscription(subscriber: subscriber, token: SubscriptionToken(hub: self, subscriber: subscriber))
    }

    func unsubscribe(_ subscriber: Subscriber) {
        lock.lock()
        subscribers.removeAll { $0 === subscriber }
        lock.unlock()
        subscriber.finish()
    }

    /// Ends every subscription (each ends after delivering what it holds). Later events are numbered
    /// but not kept or delivered.
    public func close() {
        lock.lock()
        closed = true
        let all = subscribers
        subscribers.removeAll()
        lock.unlock()
        for subscriber in all { subscriber.finish() }
    }

    // MARK: Reading the kept events

    /// A copy of the hub's buffer of recent events, for any query of ``EventBuffer``.
    public var buffer: EventBuffer {
        lock.lock()
        defer { lock.unlock() }
        return ring
    }

    /// The number of the last event published; 0 before the first.
    public var lastSequence: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return nextSequence - 1
    }

    /// How many subscriptions are active.
    public var subscriberCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return subscribers.count
    }

    /// The latest `n` events kept, oldest first.
    public func recent(_ n: Int) -> [BrowserEvent] { buffer.recent(n) }
    /// The errors kept (``BrowserEvent/isError``), oldest first.
    public func errors() -> [BrowserEvent] { buffer.errors() }
    /// The events kept numbered after `sequence`, oldest first.
    public func since(_ sequence: UInt64) -> [BrowserEvent] { buffer.since(sequence) }
    /// The events kept of `kinds`, oldest first.
    public func events(of kinds: Set<BrowserEvent.Kind>) -> [BrowserEvent] { buffer.events(of: kinds) }

    /// ``EventBuffer/contextString(maxTokens:countTokens:)`` of the held events.
    public func contextString(
        maxTokens: Int, countTokens: (String) -> Int = EventBuffer.estimatedTokens
    ) -> String {
        buffer.contextString(maxTokens: maxTokens, countTokens: countTokens)
    }
}

/// One subscriber's queue: bounded, with its own lock.
final class Subscriber: @unchecked Sendable {
    private let lock = NSLock()
    private let kinds: Set<BrowserEvent.Kind>?
    private var queue: RingBuffer<BrowserEvent>
    private var missed = 0
    private var finished = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(kinds: Set<BrowserEvent.Kind>?, capacity: Int) {
        self.kinds = kinds
        queue = RingBuffer(capacity: capacity)
    }

    @inline(__always)
    func accepts(_ kind: BrowserEvent.Kind) -> Bool { kinds?.contains(kind) ?? true }

    /// Queues `event`; returns the consumer's continuation if it is waiting (resume it unlocked).
    func deliver(_ event: BrowserEvent) -> CheckedContinuation<Void, Never>? {
        lock.lock()
        defer { lock.unlock() }
        if finished { return nil }
        if queue.append(event) != nil { missed += 1 }
        defer { waiter = nil }
        return waiter
    }

    func addMissed(_ count: Int) {
        lock.lock()
        missed += count
        lock.unlock()
    }

    func finish() {
        lock.lock()
        finished = true
        let continuation = waiter
        waiter = nil
        lock.unlock()
        continuation?.resume()
    }

    /// Moves everything queued into `batch` (a missed marker first). Returns false when there is
    /// nothing and the subscription has ended.
    private func drain(into batch: inout [EventSubscription.Element]) -> Bool? {
        lock.lock()
        defer { lock.unlock() }
        if missed > 0 {
            batch.append(.missed(count: missed))
            missed = 0
        }
        while let event = queue.popFirst() { batch.append(.event(event)) }
        if !batch.isEmpty { return true }
        return finished ? false : nil
    }

    // The consumer's side: what a drain took and no iterator has returned yet. It belongs to the
    // subscription, not to one iterator, so a second loop over the same subscription goes on where
    // the first stopped instead of losing the rest of a batch.
    private let consumerLock = NSLock()
    private var batch: [EventSubscription.Element] = []
    private var batchIndex = 0

    enum Taken {
        case element(EventSubscription.Element)
        /// Nothing yet: wait.
        case empty
        case finished
    }

    /// The next element: the rest of the last batch, else a new one drained at once (the publisher's
    /// lock is taken once per batch, not per element).
    func take() -> Taken {
        consumerLock.lock()
        defer { consumerLock.unlock() }
        if batchIndex == batch.count {
            batch.removeAll(keepingCapacity: true)
            batchIndex = 0
            switch drain(into: &batch) {
            case true?: break
            case false?: return .finished
            case nil: return .empty
            }
        }
        defer { batchIndex += 1 }
        return .element(batch[batchIndex])
    }

    /// Waits until something is queued or the subscription ends.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if finished || missed > 0 || !queue.isEmpty || Task.isCancelled {
                    lock.unlock()
                    continuation.resume()
                    return
                }
                waiter = continuation
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            let continuation = waiter
            waiter = nil
            lock.unlock()
            continuation?.resume()
        }
    }
}

/// Ends a subscription when the last copy of it is gone.
final class SubscriptionToken: Sendable {
    private weak let hub: EventHub?
    private let subscriber: Subscriber

    init(hub: EventHub, subscriber: Subscriber) {
        self.hub = hub
        self.subscriber = subscriber
    }

    func cancel() {
        if let hub { hub.unsubscribe(subscriber) } else { subscriber.finish() }
    }

    deinit { cancel() }
}

/// The events of one subscription, in sequence order, as an async sequence.
///
/// It ends when the subscription is cancelled (``cancel()``, or every copy of it is released), when the
/// hub closes, or when the iterating task is cancelled. Loops over it take turns, not copies: a loop
/// that stops (`break`) leaves the rest to the next loop over the same subscription.
public struct EventSubscription: AsyncSequence, Sendable {
    /// An event, or a marker for events this subscriber did not get.
    public enum Element: Sendable, Hashable {
        case event(BrowserEvent)
        /// `count` events were dropped here because this subscriber fell behind (or, when resuming
        /// from a sequence number, were no longer held by the hub).
        case missed(count: Int)

        /// The event, if this element is one.
        public var event: BrowserEvent? {
            if case .event(let event) = self { return event }
            return nil
        }
    }

    let subscriber: Subscriber
    let token: SubscriptionToken

    /// Ends the subscription; iteration finishes after what was already queued.
    public func cancel() { token.cancel() }

    /// Iterators share the subscription's place: an element one of them returned is gone for all,
    /// and a new loop over the subscription goes on where the last one stopped.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscriber: Subscriber
        let token: SubscriptionToken

        /// The next element (an event, or a count of missed ones); nil once the subscription is
        /// cancelled and drained, or the task is cancelled.
        public mutating func next() async -> Element? {
            while true {
                switch subscriber.take() {
                case .element(let element): return element
                case .finished: return nil
                case .empty:
                    if Task.isCancelled { return nil }
                    await subscriber.wait()
                    if Task.isCancelled { return nil }
                }
            }
        }
    }

    /// An iterator over the subscription (loops over one subscription take turns).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscriber: subscriber, token: token)
    }
}

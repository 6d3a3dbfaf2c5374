import Foundation

/// A clock that moves only when a test calls ``advance(by:)``: sleepers whose deadline is reached
/// wake then, and not before. Lets lease and timeout behaviour be tested without waiting.
public final class ManualClock: Clock, @unchecked Sendable {
    public struct Instant: InstantProtocol, CustomStringConvertible {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        public var description: String { "\(offset)" }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var current = Instant(offset: .zero)
    private var sleepers: [Sleeper] = []
    private var nextID = 0
    /// Tasks waiting for a number of sleepers (``sleepers(atLeast:within:)``).
    private var sleeperWaiters: [(id: Int, count: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    /// Waiters whose time ran out before they were registered.
    private var expiredWaiters: Set<Int> = []

    public init() {}

    public var now: Instant {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public var minimumResolution: Duration { .zero }

    /// How many tasks are asleep on this clock.
    public var sleeperCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return sleepers.count
    }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if deadline <= current {
                    lock.unlock()
                    continuation.resume()
                } else if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                } else {
                    sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    let count = sleepers.count
                    let satisfied = sleeperWaiters.filter { $0.count <= count }
                    sleeperWaiters.removeAll { $0.count <= count }
                    lock.unlock()
                    for waiter in satisfied { waiter.continuation.resume(returning: true) }
                }
            }
        } onCancel: {
            lock.lock()
            let index = sleepers.firstIndex { $0.id == id }
            let sleeper = index.map { sleepers.remove(at: $0) }
            lock.unlock()
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Waits until at least `count` tasks are asleep on this clock (they went to sleep, not polled
    /// for); false when `timeout` of real time passes first.
    public func sleepers(atLeast count: Int, within timeout: Duration = .seconds(10)) async -> Bool {
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let waiter = lock.withLock { () -> CheckedContinuation<Bool, Never>? in
                guard let index = sleeperWaiters.firstIndex(where: { $0.id == id }) else {
                    expiredWaiters.insert(id)
                    return nil
                }
                return sleeperWaiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            lock.lock()
            if sleepers.count >= count || expiredWaiters.remove(id) != nil {
                let enough = sleepers.count >= count
                lock.unlock()
                continuation.resume(returning: enough)
            } else {
                sleeperWaiters.append((id, count, continuation))
                lock.unlock()
            }
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        lock.lock()
        current = current.advanced(by: duration)
        let due = sleepers.filter { $0.deadline <= current }
        sleepers.removeAll { $0.deadline <= current }
        lock.unlock()
        for sleeper in due { sleeper.continuation.resume() }
    }
}

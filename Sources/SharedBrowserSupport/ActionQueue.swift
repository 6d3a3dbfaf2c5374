/// An async mutex that hands over in order: actions run one at a time, in the order they were
/// asked for.
package final class ActionQueue: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = LockedValue(State())

    package init() {}

    package func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.busy {
                    s.busy = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Whether at least `count` callers wait for the queue (for tests).
    package func hasWaiters(atLeast count: Int) -> Bool { state.withLock { $0.waiters.count >= count } }

    package func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()   // stays busy: handed straight to the next
        }
        next?.resume()
    }
}

/// A continuation that is resumed exactly once, whoever comes first: the event it waits for, a
/// deadline, a cancellation. Later resumes are ignored (a `CheckedContinuation` resumed twice traps).
package final class OneShot<Value: Sendable>: Sendable {
    private let continuation = LockedValue<CheckedContinuation<Value, Never>?>(nil)

    package init() {}

    /// Suspends until ``resume(returning:)``; `start` runs once the continuation is in place (so a
    /// resume it triggers is never lost).
    package func wait(_ start: () -> Void = {}) async -> Value {
        await withCheckedContinuation { (waiter: CheckedContinuation<Value, Never>) in
            continuation.withLock { $0 = waiter }
            start()
        }
    }

    /// Resumes the waiter with `value`; false (and nothing happens) when it was resumed already or
    /// nobody waits yet.
    @discardableResult
    package func resume(returning value: Value) -> Bool {
        guard let waiter = continuation.withLock({ c -> CheckedContinuation<Value, Never>? in
            defer { c = nil }
            return c
        }) else { return false }
        waiter.resume(returning: value)
        return true
    }
}

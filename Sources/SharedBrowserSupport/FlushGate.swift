/// Lets a caller wait until an event pump has handled everything received before a marker.
///
/// The caller registers and then sends the marker; the pump calls ``release(_:)`` when the marker
/// arrives and ``close()`` when its stream ends. Registering and closing share one lock, so a waiter
/// that comes after the pump ended is resumed at once instead of waiting forever.
package final class FlushGate: Sendable {
    package init() {}

    private let waiters = LockedValue<[Int: CheckedContinuation<Void, Never>]?>([:])

    /// Waits for marker `id`; `send` injects the marker once the waiter is registered.
    package func wait(_ id: Int, send: () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = waiters.withLock { w -> Bool in
                guard w != nil else { return false }
                w![id] = continuation
                return true
            }
            if open { send() } else { continuation.resume() }
        }
    }

    /// The marker `id` arrived.
    package func release(_ id: Int) {
        waiters.withLock { $0?.removeValue(forKey: id) }?.resume()
    }

    /// The pump ended: every waiter, now and later, is resumed.
    package func close() {
        let pending = waiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            defer { w = nil }
            return w.map { Array($0.values) } ?? []
        }
        pending.forEach { $0.resume() }
    }
}

public import Dispatch

extension Duration {
    /// The duration for Dispatch (whole nanoseconds).
    public var dispatchInterval: DispatchTimeInterval {
        .nanoseconds(Int(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000))
    }
}

/// Runs `work` once after `delay` on a Dispatch queue, unless the returned item is cancelled first.
///
/// For deadlines: a task that sleeps needs a free thread of the task pool to wake on time, and a
/// pool busy with other work (parsing on every core, a sanitizer build) can wake it seconds late.
@discardableResult
public func afterDelay(_ delay: Duration, _ work: @escaping @Sendable () -> Void) -> DispatchWorkItem {
    let item = DispatchWorkItem(block: work)
    DispatchQueue.global().asyncAfter(deadline: .now() + delay.dispatchInterval, execute: item)
    return item
}

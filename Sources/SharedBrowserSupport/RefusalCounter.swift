/// Counts a server's refusals by reason, and says which of them to log: the first of each reason and
/// every 100th after, so that a flood of refused clients does not flood the log as well.
package final class RefusalCounter<Reason: Hashable & Sendable>: Sendable {
    private let counts = LockedValue<[Reason: Int]>([:])

    package init() {}

    /// Counts one refusal; returns how many of its reason there have been when this one is to be
    /// logged, else nil.
    package func count(_ reason: Reason) -> Int? {
        let count = counts.withLock { counts in
            counts[reason, default: 0] += 1
            return counts[reason]!
        }
        return count == 1 || count % 100 == 0 ? count : nil
    }

    /// The refusals so far, by reason.
    package var all: [Reason: Int] { counts.withLock { $0 } }
}

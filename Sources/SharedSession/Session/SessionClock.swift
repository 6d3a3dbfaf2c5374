import CDPTransport
import Foundation

/// The session's clock (``SharedBrowserSession/Options/clock``) as the session reads it: time since the
/// session started, the deadlines of actions and reads, sleeps, and the times events are stamped with.
/// A manual clock in tests drives all of them: a wait for a deadline ends when the test moves the clock
/// past it. Commands to the browser are bounded in real time by what is left of their deadline.
struct SessionClock: Sendable {
    private let elapsedNow: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void
    /// The wall-clock time the session started, for events' times.
    private let startDate: Date

    init<C: Clock>(_ clock: C, startDate: Date = Date()) where C.Duration == Duration {
        let start = clock.now
        elapsedNow = { start.duration(to: clock.now) }
        sleeper = { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) }
        self.startDate = startDate
    }

    /// How long the session has run.
    var elapsed: Duration { elapsedNow() }

    /// The time now: the session's start plus what the clock says has passed since.
    var date: Date {
        let (seconds, attoseconds) = elapsed.components
        return startDate.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The moment `duration` from now.
    func deadline(in duration: Duration) -> Deadline { Deadline(clock: self, offset: elapsed + duration) }

    /// Sleeps `duration` by this clock.
    func sleep(for duration: Duration) async throws { try await sleeper(elapsed + duration) }

    fileprivate func sleep(untilOffset offset: Duration) async throws { try await sleeper(offset) }
}

/// A moment by the session's clock that work must end by.
struct Deadline: Sendable, Comparable {
    let clock: SessionClock
    /// Since the session started.
    let offset: Duration

    /// What is left of it (zero once it passed).
    var remaining: Duration { max(.zero, offset - clock.elapsed) }

    /// Whether it passed.
    var hasPassed: Bool { clock.elapsed >= offset }

    /// The sooner of this deadline and `duration` from now.
    func within(_ duration: Duration) -> Deadline { min(self, clock.deadline(in: duration)) }

    /// Sleeps until it passes.
    func sleep() async throws { try await clock.sleep(untilOffset: offset) }

    /// Runs `body` with every CDP command it sends bounded by what is left of the deadline.
    func bounding<T>(_ body: () async throws -> T) async rethrows -> T {
        try await CDPDeadline.$current.withValue(.now + remaining, operation: body)
    }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.offset < rhs.offset }
    static func == (lhs: Deadline, rhs: Deadline) -> Bool { lhs.offset == rhs.offset }
}

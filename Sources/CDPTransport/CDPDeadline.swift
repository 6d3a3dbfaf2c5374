import SharedBrowserSupport
import Dispatch
import Foundation

/// A one-shot timer re-armed to the earliest pending deadline. Dispatch sources are thread-safe; the
/// box only tells the compiler so.
final class DeadlineTimer: @unchecked Sendable {
    private let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "cdp-deadlines"))

    func start(_ handler: @escaping @Sendable () -> Void) {
        source.setEventHandler(handler: handler)
        source.activate()
    }

    /// Fires once at `uptimeNanoseconds` (replacing any earlier arming).
    func arm(at uptimeNanoseconds: UInt64) {
        source.schedule(deadline: DispatchTime(uptimeNanoseconds: uptimeNanoseconds), leeway: .milliseconds(1))
    }

    func cancel() { source.cancel() }

    /// A source released while never activated crashes libdispatch (a connection whose connect
    /// failed never started its timer).
    deinit {
        source.activate()
        source.cancel()
    }
}

/// A reply that may arrive before anyone awaits it.
final class ReplyPromise: Sendable {
    private let state = LockedValue<(result: Result<CDPConnection.Reply, any Error>?, waiter: CheckedContinuation<CDPConnection.Reply, any Error>?)>((nil, nil))

    func fulfill(_ result: Result<CDPConnection.Reply, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<CDPConnection.Reply, any Error>? in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> CDPConnection.Reply {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CDPConnection.Reply, any Error>) in
            let ready = state.withLock { s -> Result<CDPConnection.Reply, any Error>? in
                if s.result == nil { s.waiter = continuation }
                return s.result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// A deadline for every command a task sends (and the tasks it starts): a command's own timeout, or
/// the connection's default, is cut to what is left of it. A caller that gives a whole operation
/// (an action, a read) a deadline bounds every command inside it, however deeply it is sent:
///
/// ```swift
/// try await CDPDeadline.$current.withValue(.now + .seconds(2)) {
///     try await page.send(DOM.Enable())   // fails with `timeout` after at most 2 s
/// }
/// ```
public enum CDPDeadline {
    /// The deadline of every command sent from the current task; nil for the command's own timeout.
    @TaskLocal public static var current: ContinuousClock.Instant?
}

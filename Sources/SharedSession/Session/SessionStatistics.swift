import Foundation
import SharedBrowserSupport

/// What a session has done so far, for monitoring: actions by kind and outcome with their durations,
/// and the recording's size. Read it from ``SharedBrowserSession/statistics``; `shared-browser-mcp`
/// serves it as Prometheus text at `/metrics`.
public struct SessionStatistics: Sendable {
    /// An action kind and how it ended.
    public struct ActionKey: Hashable, Sendable {
        /// The action's type (`click`, `navigate`, ...).
        public var kind: String
        /// `ok`, or the ``SessionError/Code`` it failed with (`notInControl`, `timeout`, ...).
        public var outcome: String
        /// A kind and an outcome.
        public init(kind: String, outcome: String) {
            self.kind = kind
            self.outcome = outcome
        }
    }

    /// How many actions of one kind ended one way, and how long they took.
    public struct Tally: Sendable {
        /// How many.
        public var count = 0
        /// Their durations added up, in seconds.
        public var totalSeconds = 0.0
        /// How many took at most each of ``SessionStatistics/bucketBounds`` seconds (cumulative, as a
        /// Prometheus histogram counts).
        public var buckets = [Int](repeating: 0, count: SessionStatistics.bucketBounds.count)
    }

    /// The upper bounds, in seconds, of the duration buckets.
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// Every action since the session started, by kind and outcome.
    public var actions: [ActionKey: Tally] = [:]
    /// The bytes the recording holds on disk (0 when it records nothing).
    public var recordingBytes = 0

    mutating func record(kind: String, outcome: String, seconds: Double) {
        var tally = actions[ActionKey(kind: kind, outcome: outcome)] ?? Tally()
        tally.count += 1
        tally.totalSeconds += seconds
        for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { tally.buckets[index] += 1 }
        actions[ActionKey(kind: kind, outcome: outcome)] = tally
    }
}

extension SharedBrowserSession {
    /// What the session has done so far (``SessionStatistics``).
    public nonisolated var statistics: SessionStatistics {
        var snapshot = statisticsBox.withLock { $0 }
        snapshot.recordingBytes = recorder?.bytesOnDisk ?? 0
        return snapshot
    }
}

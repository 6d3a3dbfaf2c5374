import Coordination
import EventBuffer
import Foundation

/// Resident memory of this process, in MiB.
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return .nan }
    return (pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576 * 10).rounded() / 10
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Events per second into the hub with 0, 1, 10 and 100 subscribers, each draining as fast as it
/// can; then the memory held by one stalled subscriber after 10 million events.
func benchEvents(n: Int?) async {
    await benchStalledSubscriber(n: n)
    for subscribers in [0, 1, 10, 100] {
        let events = n ?? (subscribers >= 100 ? 100_000 : subscribers >= 10 ? 500_000 : 2_000_000)
        let hub = EventHub()
        let subscriptions = (0..<subscribers).map { _ in hub.subscribe(bufferSize: 65_536) }
        let clock = ContinuousClock()
        let start = clock.now
        let consumers = subscriptions.map { subscription in
            Task.detached { () -> (received: Int, missed: Int, done: ContinuousClock.Instant) in
                var received = 0, missed = 0
                for await element in subscription {
                    if case .missed(let count) = element { missed += count } else { received += 1 }
                }
                return (received, missed, clock.now)
            }
        }
        let publishTime = await Task.detached { () -> Duration in
            let begin = clock.now
            for _ in 0..<events { hub.publish(.request, cause: .page) }
            return begin.duration(to: clock.now)
        }.value
        hub.close()
        var received = 0, missed = 0
        var slowest = publishTime
        for consumer in consumers {
            let result = await consumer.value
            received += result.received
            missed += result.missed
            slowest = max(slowest, start.duration(to: result.done))
        }
        let perSubscriber = subscribers == 0 ? 0 : Double(received) / Double(subscribers)
        emit(["bench": "events", "n": events, "subscribers": subscribers,
              "events_per_s": (Double(events) / seconds(publishTime)).rounded(),
              "delivered_per_s": subscribers == 0 ? 0.0 : (perSubscriber / seconds(slowest)).rounded(),
              "missed_per_subscriber": subscribers == 0 ? 0.0 : (Double(missed) / Double(subscribers)).rounded()])
    }
}

/// The memory a subscriber that never reads holds after 10 million events: its buffer, no more.
func benchStalledSubscriber(n: Int?) async {
    let total = n.map { $0 * 5 } ?? 10_000_000
    let hub = EventHub()
    let stalled = hub.subscribe()   // never read
    let before = residentMiB()
    let clock = ContinuousClock()
    let begin = clock.now
    for _ in 0..<total { hub.publish(.request, cause: .page) }
    let elapsed = begin.duration(to: clock.now)
    let after = residentMiB()
    var held = 0, missed = 0
    hub.close()
    for await element in stalled {
        if case .missed(let count) = element { missed = count } else { held += 1 }
    }
    emit(["bench": "events_stalled_subscriber", "n": total, "rss_mib_before": before, "rss_mib_after": after,
          "held_events": held, "missed_events": missed, "events_per_s": (Double(total) / seconds(elapsed)).rounded()])
}

/// Grant/release cycles per second: one agent alone, and 50 agents contending.
func benchCoordination(n: Int?) async throws {
    let cycles = n ?? 200_000
    let coordinator = AgentCoordinator()
    let agent = Participant.agent("solo")
    let clock = ContinuousClock()
    var begin = clock.now
    for _ in 0..<cycles {
        try await coordinator.requestControl(for: agent)
        await coordinator.releaseControl(for: agent)
    }
    emit(["bench": "coordination", "n": cycles, "agents": 1,
          "cycles_per_s": (Double(cycles) / seconds(begin.duration(to: clock.now))).rounded()])

    let contended = AgentCoordinator()
    let agents = 50
    let turns = max(1, (n ?? 100_000) / agents)
    begin = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<agents {
            group.addTask {
                let me = Participant.agent("agent-\(index)")
                for _ in 0..<turns { try await contended.withTurn(for: me) {} }
            }
        }
        try await group.waitForAll()
    }
    emit(["bench": "coordination", "n": agents * turns, "agents": agents,
          "cycles_per_s": (Double(agents * turns) / seconds(begin.duration(to: clock.now))).rounded()])
}

import DemoSite
import Foundation
import LiveView
import SharedBrowserSupport
import SharedSession
import WebSockets

/// Lanes against turns, in the same run: 4 agents each doing `rounds` rounds of the actions
/// benchmark's steps (the login page, fill, fill, click, the navigation) — once taking turns in one
/// tab (each round a turn), once at the same time in tabs of their own. Then a person's input to
/// frame in one tab while the 4 agents work in theirs, and with them idle.
func benchLanes(n: Int?) async throws {
    // The site on this machine answers at once, so the steps are all browser work (one agent alone
    // keeps both cores busy); a real site answers a round trip later. Both, in the same run.
    for latency in [Duration.zero, .milliseconds(100)] {
        try await benchLanes(n: n, latency: latency, person: latency == .zero)
    }
}

private func benchLanes(n: Int?, latency: Duration, person: Bool) async throws {
    let site = try await DemoSite.start(latency: latency)
    let session = try await temporarySession(id: "bench-lanes", launch: launchOptions)
    let latencyMs = Int(latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
    let agents = (1...4).map { Participant.agent("lane\($0)") }
    let rounds = 5
    let repetitions = n ?? 5
    let clock = ContinuousClock()

    // Turns: one tab (the active one), each round a turn of the whole browser, the four agents
    // queueing for it.
    let shared = await session.activeTab.id
    func turns() async throws -> Duration {
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in agents {
                group.addTask {
                    for _ in 0..<rounds {
                        try await session.coordinator.withTurn(for: agent) {
                            _ = try await signIn(session, site: site, as: agent, pageSummary: true, tab: shared)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return start.duration(to: clock.now)
    }
    // Lanes: each agent in its own tab, all at once.
    for agent in agents {
        try await session.openTab(for: agent, url: site.url("/login")).get()
        await session.coordinator.releaseControl(for: agent)
    }
    func lanes() async throws -> Duration {
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in agents {
                group.addTask {
                    for _ in 0..<rounds { _ = try await signIn(session, site: site, as: agent, pageSummary: true) }
                }
            }
            try await group.waitForAll()
        }
        for agent in agents { await session.coordinator.releaseControl(for: agent) }
        return start.duration(to: clock.now)
    }
    _ = try await lanes()   // warm-up
    var samples: (turns: [Duration], lanes: [Duration]) = ([], [])
    // CPU seconds (this process, the browser's processes) per way, to tell what limits the lanes.
    var cpu: (turns: (host: Double, browser: Double), lanes: (host: Double, browser: Double)) = ((0, 0), (0, 0))
    func measured(_ body: () async throws -> Duration) async throws -> (Duration, host: Double, browser: Double) {
        let before = cpuSeconds(browserGroup: session.browserProcessID)
        let took = try await body()
        let after = cpuSeconds(browserGroup: session.browserProcessID)
        return (took, after.host - before.host, after.browser - before.browser)
    }
    for _ in 0..<repetitions {
        let lane = try await measured(lanes)
        samples.lanes.append(lane.0)
        cpu.lanes = (cpu.lanes.host + lane.host, cpu.lanes.browser + lane.browser)
        let turn = try await measured(turns)
        samples.turns.append(turn.0)
        cpu.turns = (cpu.turns.host + turn.host, cpu.turns.browser + turn.browser)
    }
    func percent(_ seconds: Double, _ samples: [Duration]) -> Double {
        let wall = samples.reduce(0.0) { $0 + Double($1.components.seconds) + Double($1.components.attoseconds) / 1e18 }
        return (seconds / max(0.001, wall) * 100).rounded()
    }
    let turnStats = Stats(samples.turns), laneStats = Stats(samples.lanes)
    emit(["bench": latency == .zero ? "lanes_wall_time" : "lanes_wall_time_server_latency", "n": repetitions, "agents": agents.count,
          "rounds_per_agent": rounds, "server_latency_ms": latencyMs,
          "turns_median_ms": turnStats.ms(50), "turns_p95_ms": turnStats.ms(95), "turns_p99_ms": turnStats.ms(99),
          "lanes_median_ms": laneStats.ms(50), "lanes_p95_ms": laneStats.ms(95), "lanes_p99_ms": laneStats.ms(99),
          "median_ms": laneStats.ms(50), "p95_ms": laneStats.ms(95), "p99_ms": laneStats.ms(99),
          "lanes_over_turns": (laneStats.ms(50) / max(0.001, turnStats.ms(50)) * 1000).rounded() / 1000,
          "turns_host_cpu_percent": percent(cpu.turns.host, samples.turns), "turns_browser_cpu_percent": percent(cpu.turns.browser, samples.turns),
          "lanes_host_cpu_percent": percent(cpu.lanes.host, samples.lanes), "lanes_browser_cpu_percent": percent(cpu.lanes.browser, samples.lanes),
          "steps": "4 agents x 5 rounds of navigate+fill+fill+click+wait for navigation: in turns in one tab, then at once in own tabs"])

    guard person else {
        await session.close()
        await site.stop()
        return
    }
    // A person's input to frame in the active tab while the agents work in theirs.
    let still = "data:text/html,<style>body{margin:0}button{position:absolute;left:100px;top:100px;width:300px;height:200px}</style>"
        + "<button id=b onclick=\"this.style.background=this.style.background=='red'?'blue':'red'\">press</button>"
    try await session.navigate(to: still, as: .system).get()
    let view = try await session.liveView()
    let person = Participant.human("person")
    try await session.coordinator.takeOver(by: person, tab: await session.activeTab.id)
    let control = try await BenchViewer.connect(view, grant: .control)
    try await Task.sleep(for: .seconds(1))
    for busy in [false, true] {
        let working = busy ? Task {
            while !Task.isCancelled {
                await withTaskGroup(of: Void.self) { group in
                    for agent in agents { group.addTask { _ = try? await signIn(session, site: site, as: agent, pageSummary: true) } }
                }
            }
        } : nil
        let latencies = try await control.clickToFrame(rounds: n.map { $0 * 6 } ?? 30)
        working?.cancel()
        await working?.value
        let stats = Stats(latencies)
        emit(["bench": busy ? "lanes_person_input_to_frame" : "lanes_person_input_to_frame_idle", "n": latencies.count,
              "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99), "agents_working": busy ? agents.count : 0,
              "steps": "a click sent by a person's control viewer in the tab she took over until the next frame"
                + (busy ? ", while 4 agents sign in again and again in their own tabs" : ", with the agents idle")])
    }
    control.connection.withLock { $0 }?.close(code: 1000, reason: "done")
    await session.close()
    await site.stop()
}

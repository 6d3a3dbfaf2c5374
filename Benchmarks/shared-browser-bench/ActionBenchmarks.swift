import DemoSite
import Foundation
import SharedSession

/// fill username + fill password + click submit + wait for the navigation, on the demo login page,
/// through the shared session (auto-wait, control checks and event capture all on).
func benchActions(n: Int?, launch: CDPBrowser.LaunchOptions) async throws {
    let site = try await DemoSite.start()
    var options = SharedBrowserSession.Options(id: "bench-actions")
    options.persistentProfile = false
    options.launch = launch
    let session = try await SharedBrowserSession.start(options)
    let agent = Participant.agent("bench")
    _ = await session.coordinator.tryRequestControl(for: agent)
    let rounds = n ?? 30
    var samples: [Duration] = []
    let clock = ContinuousClock()
    for round in 0..<(rounds + 3) {
        try await session.navigate(to: site.url("/login"), as: agent).get()
        let start = clock.now
        try await session.fill("#username", DemoSite.username, as: agent).get()
        try await session.fill("#password", DemoSite.password, as: agent).get()
        let result = try await session.click("#sign-in", as: agent).get()
        let elapsed = start.duration(to: clock.now)
        guard result.url.hasSuffix("/dashboard") else {
            throw SessionError(.navigationFailed, "the login did not reach the dashboard: \(result.url)")
        }
        if round >= 3 { samples.append(elapsed) }   // the first rounds warm up
    }
    await session.close()
    await site.stop()
    let stats = Stats(samples)
    emit(["bench": "actions", "n": rounds, "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99),
          "steps": "fill+fill+click+wait for navigation"])
}

import DemoSite
import Foundation
import SharedSession
import ContentExtraction

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

/// Accessibility snapshot size and time on corpus pages (loaded from disk), with the texts written to
/// `output` for `Benchmarks/peers/snapshot_tokens.py`, which counts them with a real tokenizer next to
/// Playwright's `aria_snapshot` of the same pages.
func benchSnapshot(directory: String, pages: [String], output: String, launch: CDPBrowser.LaunchOptions) async throws {
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    var options = SharedBrowserSession.Options(id: "bench-snapshot")
    options.persistentProfile = false
    options.launch = launch
    options.allowedURLSchemes.insert("file")
    let session = try await SharedBrowserSession.start(options)
    let system = Participant.system
    let counter = EstimatedTokenCounter()
    for page in pages {
        try await session.navigate(to: "file://" + directory + "/" + page, as: system, options: .init(timeout: .seconds(60))).get()
        var best = Duration.seconds(1000)
        var snapshot: AccessibilitySnapshot?
        for _ in 0..<5 {
            let result = try await session.snapshot(as: system).get()
            best = min(best, result.duration)
            snapshot = result.snapshot
        }
        guard let snapshot else { continue }
        try snapshot.text.write(toFile: output + "/" + page + ".snapshot.txt", atomically: true, encoding: .utf8)
        emit(["bench": "snapshot", "page": page, "n": 5, "median_ms": (seconds(best) * 1e6).rounded() / 1000,
              "estimated_tokens": counter.count(snapshot.text), "refs": snapshot.refs.count,
              "lines": snapshot.text.split(separator: "\n").count])
    }
    await session.close()
}

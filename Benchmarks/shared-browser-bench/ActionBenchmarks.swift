import DemoSite
import Foundation
import SharedSession
import ContentExtraction

/// fill username + fill password + click submit + wait for the navigation, on the demo login page,
/// through the shared session (auto-wait, control checks and event capture all on); once with the
/// click's page summary (the default) and once without, alternating rounds.
func benchActions(n: Int?, launch: CDPBrowser.LaunchOptions) async throws {
    let site = try await DemoSite.start()
    let session = try await temporarySession(id: "bench-actions", launch: launch)
    let agent = Participant.agent("bench")
    _ = await session.coordinator.tryRequestControl(for: agent)
    let rounds = n ?? 30
    var samples: [Bool: [Duration]] = [true: [], false: []]
    for round in 0..<(2 * rounds + 6) {
        let summary = round % 2 == 0
        let elapsed = try await signIn(session, site: site, as: agent, pageSummary: summary)
        if round >= 6 { samples[summary]!.append(elapsed) }   // the first rounds warm up
    }
    await session.close()
    await site.stop()
    for summary in [true, false] {
        let stats = Stats(samples[summary]!)
        emit(["bench": summary ? "actions" : "actions_without_page_summary", "n": rounds, "median_ms": stats.ms(50),
              "p95_ms": stats.ms(95), "p99_ms": stats.ms(99), "steps": "fill+fill+click+wait for navigation"])
    }
}

/// One round of the actions benchmark: the login page, then fill + fill + click + the navigation
/// (timed).
/// In `tab` when given, else the agent's own tab or the active one.
func signIn(_ session: SharedBrowserSession, site: DemoSite, as agent: Participant, pageSummary: Bool, tab: String? = nil) async throws -> Duration {
    let clock = ContinuousClock()
    try await session.navigate(to: site.url("/login"), as: agent, options: .init(pageSummary: false, tab: tab)).get()
    let start = clock.now
    try await session.fill("#username", DemoSite.username, as: agent, options: .init(tab: tab)).get()
    try await session.fill("#password", DemoSite.password, as: agent, options: .init(tab: tab)).get()
    let result = try await session.click("#sign-in", as: agent, options: .init(pageSummary: pageSummary, tab: tab)).get()
    let elapsed = start.duration(to: clock.now)
    guard result.url.hasSuffix("/dashboard"), (result.page != nil) == pageSummary else {
        throw SessionError(.navigationFailed, "the login did not reach the dashboard: \(result.url)")
    }
    return elapsed
}

/// A session on a temporary profile, set up further by `configure`.
func temporarySession(id: String, launch: CDPBrowser.LaunchOptions,
                      configure: (inout SharedBrowserSession.Options) -> Void = { _ in }) async throws -> SharedBrowserSession {
    var options = SharedBrowserSession.Options(id: id)
    options.persistentProfile = false
    options.launch = launch
    configure(&options)
    return try await SharedBrowserSession.start(options)
}

/// A session on a temporary profile that may open the corpus pages from disk.
func corpusSession(id: String, launch: CDPBrowser.LaunchOptions) async throws -> SharedBrowserSession {
    try await temporarySession(id: id, launch: launch) { $0.allowedURLSchemes.insert("file") }
}

/// Accessibility snapshot size and time on corpus pages (loaded from disk), with the texts written to
/// `output` for `Benchmarks/peers/snapshot_tokens.py`, which counts them with a real tokenizer next to
/// Playwright's `aria_snapshot` of the same pages.
func benchSnapshot(directory: String, pages: [String], n: Int, output: String, launch: CDPBrowser.LaunchOptions) async throws {
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    let session = try await corpusSession(id: "bench-snapshot", launch: launch)
    let system = Participant.system
    let counter = EstimatedTokenCounter()
    for page in pages {
        try await session.navigate(to: "file://" + directory + "/" + page, as: system, options: .init(timeout: .seconds(60))).get()
        var samples: [Duration] = []
        var snapshot: AccessibilitySnapshot?
        for _ in 0..<max(1, n) {
            let result = try await session.snapshot(as: system).get()
            samples.append(result.duration)
            snapshot = result.snapshot
        }
        guard let snapshot else { continue }
        try snapshot.text.write(toFile: output + "/" + page + ".snapshot.txt", atomically: true, encoding: .utf8)
        let stats = Stats(samples)
        emit(["bench": "snapshot", "page": page, "n": max(1, n), "median_ms": stats.ms(50), "min_ms": stats.ms(0),
              "estimated_tokens": counter.count(snapshot.text), "refs": snapshot.refs.count,
              "lines": snapshot.text.split(separator: "\n").count])
    }
    await session.close()
}

/// Composing a 4,000-token agent context: the composition alone (from inputs read once), and the
/// whole `agentContext` call (reading the page, its snapshot with visibility, composing).
func benchContext(directory: String, pages: [String], n: Int, output: String?, launch: CDPBrowser.LaunchOptions) async throws {
    let session = try await corpusSession(id: "bench-context", launch: launch)
    let system = Participant.system
    let composer = ContextComposer()
    let clock = ContinuousClock()
    if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
    for page in pages {
        try await session.navigate(to: "file://" + directory + "/" + page, as: system,
                                   options: .init(timeout: .seconds(60), pageSummary: false)).get()
        let input = await session.contextInput()
        var compose: [Duration] = []
        var context = composer.compose(input)
        for _ in 0..<max(n, 20) {
            let started = clock.now
            context = composer.compose(input)
            compose.append(started.duration(to: clock.now))
        }
        var whole: [Duration] = []
        for _ in 0..<5 {
            let started = clock.now
            _ = await session.agentContext(budget: 4000)
            whole.append(started.duration(to: clock.now))
        }
        if let output { try context.text.write(toFile: output + "/" + page + ".context.txt", atomically: true, encoding: .utf8) }
        let c = Stats(compose), w = Stats(whole)
        func tokens(_ name: String) -> Int { context.section(name)?.tokens ?? 0 }
        emit(["bench": "context", "page": page, "budget": 4000, "tokens": context.tokens,
              "elements_tokens": tokens("elements"), "text_tokens": tokens("text"), "links_tokens": tokens("links"),
              "forms_tokens": tokens("forms"), "errors_tokens": tokens("errors"),
              "compose_n": compose.count, "compose_median_ms": c.ms(50), "compose_p95_ms": c.ms(95), "compose_p99_ms": c.ms(99),
              "agent_context_n": whole.count, "agent_context_median_ms": w.ms(50), "agent_context_p95_ms": w.ms(95)])
    }
    await session.close()
}

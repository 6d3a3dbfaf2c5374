// shared-browser-bench: measures SharedBrowser against the numbers of other tools on the same machine.
// Each subcommand prints one JSON object per line; `all` runs them all. See Documentation/Performance.md.
//
//   shared-browser-bench launch     [--n 10]    start Chromium to the first evaluated `1+1`
//   shared-browser-bench attach     [--n 50]    connect to a running browser + attach a page + `1+1`
//   shared-browser-bench roundtrip  [--n 2000]  sequential Runtime.evaluate("1+1"), over a pipe and over a WebSocket
//   shared-browser-bench screenshot [--n 50]    1280x720 JPEG q80 of a Wikipedia page
//   shared-browser-bench events                 events/s into the hub with 0, 1, 10, 100 subscribers;
//                                               memory with a stalled subscriber after 10M events
//   shared-browser-bench coordination           grant/release cycles/s: 1 agent, 50 contending
//   shared-browser-bench actions    [--n 30]    fill + fill + click + navigation on the demo login
//   shared-browser-bench recover    [--n 10]    kill -9 of the browser to the first successful action (relaunch)
//   shared-browser-bench reconnect  [--n 10]    socket dropped by a proxy to the first successful action
//   shared-browser-bench liveview   [--n 30]    live view frames/s to 1 and 5 viewers, CPU, input-to-frame latency
//   shared-browser-bench timeline   [--n 30]    recording's cost on the actions benchmark, bytes/minute, 10-minute export
//   shared-browser-bench tools      [--n 200]   agent tool schemas' estimated tokens; a tool call over the direct action
//   shared-browser-bench extract [DIR] [--n 20] [--per-page]   HTML extraction throughput (default DIR: the corpus)
//   shared-browser-bench tokens [DIR] [--page OUT]             token estimates; texts to OUT for token_error.py
//   shared-browser-bench snapshot [DIR] [--n 5] [--page OUT]   accessibility snapshots of 5 corpus pages (every page of DIR)
//   shared-browser-bench context [DIR] [--n 50] [--page OUT]   composing a 4,000-token agent context, same pages
//   shared-browser-bench reading [DIR] [--n 5] [--page OUT]   snapshot() and agentContext(4000) per page, elements in
//                                               view shown at 1,000/4,000 tokens, Playwright's aria_snapshot when installed;
//                                               contexts at 500-8,000 tokens to OUT for context_budget.py
//   shared-browser-bench doors      [--n 30] [--seconds 60]   a normal client's answer time during 1,000 idle
//                                               connections (live view; MCP when built beside); memory
//                                               after a viewer that never reads watched a logging page
//   shared-browser-bench tasks [--page DIR] [--python PY] [--playwright-mcp CMD]   tokens per finished task: the DemoSite task
//                                               suite over MCP by a scripted agent, ours and Playwright MCP's
//   shared-browser-bench all
// Options: --n N (samples), --page FILE (screenshot page), --chrome-arg SWITCH (repeatable),
//          --endpoint ws://... or http://host:port (use a running browser instead of launching one),
//          --unlimited-frame-rate (LaunchOptions.unlimitedFrameRate), --playwright PYTHON (liveview: also
//          with Playwright as the person's browser, Benchmarks/peers/liveview_viewer.py).
import ArgumentParser
import CDPTransport
import Foundation

/// The command line (swift-argument-parser).
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shared-browser-bench",
        abstract: "Prints one JSON object per benchmark, to compare with other tools on the same machine.")

    @Argument(help: "launch, attach, roundtrip, screenshot, events, coordination, actions, recover, reconnect, liveview, people, lanes, timeline, tools, tasks, doors, extract, tokens, snapshot, context, reading or all.")
    var command = "all"

    @Argument(help: "For extract, tokens, snapshot, context and reading: the folder of pages (default: the corpus).")
    var directory: String?

    @Option(name: .customLong("n"), help: "Samples.")
    var n: Int?

    @Option(help: "The screenshot page, or where tokens, snapshot, context and reading write their texts.")
    var page: String?

    @Option(name: .customLong("chrome-arg"), help: "A Chromium switch (repeatable).")
    var chromeArguments: [String] = []

    @Option(help: "Use a running browser (ws://… or http://host:port) instead of launching one.")
    var endpoint: String?

    @Flag(name: .customLong("unlimited-frame-rate"), help: "LaunchOptions.unlimitedFrameRate.")
    var unlimitedFrameRate = false

    @Option(help: "For doors: how long the viewer that never reads watches.")
    var seconds = 60

    @Option(help: "For liveview: a Python with Playwright (the .build/playwright-venv one): the live view is also measured with Playwright as the person's browser.")
    var playwright: String?

    @Option(help: "For tasks: a Python with the mcp package (and quicktok-v1 for tokens); default .build/mcp-venv's, else python3.")
    var python: String?

    @Option(name: .customLong("playwright-mcp"), help: "For tasks: the playwright command whose `mcp` is the peer (default: beside --python, else .build/playwright-venv's).")
    var playwrightMCP: String?

    @Flag(name: .customLong("per-page"), help: "For extract: each file's title and counts.")
    var perPage = false

    func validate() throws {
        if directory != nil, !["extract", "tokens", "snapshot", "context", "reading"].contains(command) {
            throw ValidationError("\(command) takes no folder")
        }
    }
}

/// Percentiles of durations, in the unit asked.
struct Stats {
    var sorted: [Double]
    init(_ samples: [Duration]) {
        sorted = samples.map { Double($0.components.seconds) * 1e9 + Double($0.components.attoseconds) / 1e9 }.sorted()
    }
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = p / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down)), high = Int(rank.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }
    func ms(_ p: Double) -> Double { (percentile(p) / 1e6 * 1000).rounded() / 1000 }
    func us(_ p: Double) -> Double { (percentile(p) / 1e3 * 10).rounded() / 10 }
}

func emit(_ fields: KeyValuePairs<String, Any>) {
    let body = fields.map { key, value -> String in
        let rendered: String
        switch value {
        case let s as String: rendered = "\"\(s)\""
        case let d as Double: rendered = d.isFinite ? "\(d)" : "null"
        default: rendered = "\(value)"
        }
        return "\"\(key)\": \(rendered)"
    }.joined(separator: ", ")
    print("{\(body)}")
    fflush(nil)
}

func timed(_ body: () async throws -> Void) async rethrows -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    return clock.now - start
}

func evaluateOnePlusOne(_ page: CDPSession) async throws {
    let reply = try await page.send(Runtime.Evaluate(expression: "1+1", returnByValue: true))
    guard reply.result.value?.intValue == 2 else { fatalError("1+1 gave \(String(describing: reply.result.value))") }
}

/// Attaches to the page target Chromium opens at start, instead of creating one.
func firstPage(of browser: CDPBrowser) async throws -> CDPSession {
    let targets = try await browser.session.send(Target.GetTargets())
    guard let page = targets.targetInfos.first(where: { $0.type == "page" }) else { return try await browser.newPage() }
    let attached = try await browser.session.send(Target.AttachToTarget(targetId: page.targetId, flatten: true))
    return browser.connection.session(id: attached.sessionId)!
}

/// Times `open` through the first evaluated `1+1` on a page, `n` times; each browser is closed
/// outside the timing.
func benchConnect(_ name: String, n: Int, open: () async throws -> CDPBrowser) async throws {
    var samples: [Duration] = []
    for _ in 0..<n {
        var browser: CDPBrowser?
        samples.append(try await timed {
            let opened = try await open()
            try await evaluateOnePlusOne(try await firstPage(of: opened))
            browser = opened
        })
        try await browser?.close()
    }
    let stats = Stats(samples)
    emit(["bench": name, "n": n, "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99)])
}

func benchLaunch(n: Int) async throws {
    try await benchConnect("launch", n: n) { try await CDPBrowser.launch(launchOptions) }
}

func benchAttach(n: Int, endpoint: String) async throws {
    try await benchConnect("attach", n: n) { try await CDPBrowser.attach(to: endpoint) }
}

/// Sequential `1+1` round trips on each browser (named by how it is spoken to), in turns of a fifth
/// of `n` each, so that both see the same machine; one line per browser.
func benchRoundtrip(n: Int, browsers: [(transport: String, browser: CDPBrowser)]) async throws {
    var pages: [CDPSession] = []
    for (_, browser) in browsers {
        let page = try await browser.newPage()
        for _ in 0..<200 { try await evaluateOnePlusOne(page) }   // warm-up
        pages.append(page)
    }
    var samples = Array(repeating: [Duration](), count: browsers.count)
    var totals = Array(repeating: Duration.zero, count: browsers.count)
    let turn = max(1, n / 5)
    for _ in 0..<(n / turn) {
        for (index, page) in pages.enumerated() {
            totals[index] += try await timed {
                for _ in 0..<turn { samples[index].append(try await timed { try await evaluateOnePlusOne(page) }) }
            }
        }
    }
    for (index, (transport, browser)) in browsers.enumerated() {
        try await browser.closePage(pages[index])
        let stats = Stats(samples[index])
        let total = totals[index]
        let perSecond = Double(samples[index].count) / (Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18)
        emit(["bench": "roundtrip", "transport": transport, "n": samples[index].count,
              "p50_us": stats.us(50), "p95_us": stats.us(95), "p99_us": stats.us(99),
              "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99),
              "evals_per_s": perSecond.rounded()])
    }
}

func benchScreenshot(n: Int, browser: CDPBrowser, pagePath: String) async throws {
    let page = try await browser.newPage()
    _ = try await page.send(Page.Enable())
    _ = try await page.send(Emulation.SetDeviceMetricsOverride(width: 1280, height: 720, deviceScaleFactor: 1, mobile: false))
    _ = try await page.waitForEvent(Page.LoadEventFired.self, timeout: .seconds(30), after: {
        _ = try await page.send(Page.Navigate(url: URL(fileURLWithPath: pagePath).absoluteString))
    })
    let shot = Page.CaptureScreenshot(format: .jpeg, quality: 80, optimizeForSpeed: true)
    for _ in 0..<5 { _ = try await page.send(shot) }   // warm-up
    var samples: [Duration] = []
    var bytes = 0
    for _ in 0..<n {
        samples.append(try await timed {
            let reply = try await page.send(shot)
            bytes = reply.data.utf8.count * 3 / 4
        })
    }
    // The ways a timeline picture may be taken: quality, speed over size, and a scaled clip.
    for (quality, fast, scale, surface) in [(60, false, 1.0, true), (60, true, 1.0, true), (50, true, 0.5, true), (40, true, 0.5, true),
                                            (60, true, 1.0, false)] {
        let clip = scale < 1 ? Page.Viewport(x: 0, y: 0, width: 1280, height: 720, scale: scale) : nil
        let variant = Page.CaptureScreenshot(format: .jpeg, quality: quality, clip: clip, fromSurface: surface, optimizeForSpeed: fast)
        for _ in 0..<3 { _ = try await page.send(variant) }
        var times: [Duration] = []
        var size = 0
        for _ in 0..<n {
            times.append(try await timed { size = try await page.send(variant).data.utf8.count * 3 / 4 })
        }
        let stats = Stats(times)
        emit(["bench": "screenshot_variant", "n": n, "quality": quality, "optimize_for_speed": fast, "scale": scale, "from_surface": surface,
              "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99), "bytes": size])
    }
    try await browser.closePage(page)
    let stats = Stats(samples)
    emit(["bench": "screenshot", "n": n, "format": "jpeg", "quality": 80, "width": 1280, "height": 720,
          "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99), "bytes": bytes])
}

let options = Options.parseOrExit()
var launchOptions: CDPBrowser.LaunchOptions {
    var launch = CDPBrowser.LaunchOptions()
    launch.extraArguments = options.chromeArguments
    launch.unlimitedFrameRate = options.unlimitedFrameRate
    return launch
}
let corpusDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus/pages").path
let corpusPage = options.page ?? URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus/pages/wikipedia-2.html").path

do {
    switch options.command {
    case "launch":
        try await benchLaunch(n: options.n ?? 10)
    case "events":
        await benchEvents(n: options.n)
    case "coordination":
        try await benchCoordination(n: options.n)
    case "actions":
        try await benchActions(n: options.n, launch: launchOptions)
    case "recover":
        try await benchRecover(n: options.n)
    case "reconnect":
        try await benchReconnect(n: options.n, launch: launchOptions)
    case "liveview":
        try await benchLiveView(n: options.n)
        try await benchLiveViewInBrowser(n: options.n, playwright: options.playwright)
    case "people":
        try await benchPeople(n: options.n)
    case "lanes":
        try await benchLanes(n: options.n)
    case "timeline":
        try await benchTimeline(n: options.n, launch: launchOptions)
    case "tools":
        try await benchTools(n: options.n, launch: launchOptions)
    case "tokens":
        try benchTokens(directory: options.directory ?? corpusDirectory, output: options.page ?? NSTemporaryDirectory() + "shared-browser-texts")
    case "snapshot":
        // The five token pages of the corpus, or every page of a folder given.
        let pages = try options.directory.map { folder in
            try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".html") }.sorted()
        } ?? ["ars-1.html", "medium-1.html", "nytimes-1.html", "wikipedia-2.html", "wikipedia-4.html"]
        try await benchSnapshot(directory: options.directory ?? corpusDirectory, pages: pages, n: options.n ?? 5,
                                output: options.page ?? NSTemporaryDirectory() + "shared-browser-snapshots", launch: launchOptions)
    case "context":
        try await benchContext(directory: options.directory ?? corpusDirectory,
                               pages: ["ars-1.html", "medium-1.html", "nytimes-1.html", "wikipedia-2.html", "wikipedia-4.html"],
                               n: options.n ?? 50, output: options.page, launch: launchOptions)
    case "reading":
        try await benchReading(directory: options.directory ?? corpusDirectory, n: options.n ?? 5, output: options.page,
                               launch: launchOptions)
    case "tasks":
        if let page = options.page { try FileManager.default.createDirectory(atPath: page, withIntermediateDirectories: true) }
        try await benchTasks(python: options.python, playwright: options.playwrightMCP, traces: options.page)
    case "doors":
        try await benchDoors(n: options.n, seconds: options.seconds)
    case "extract":
        try benchExtract(directory: options.directory ?? corpusDirectory, rounds: options.n, perPage: options.perPage)
    case "attach", "roundtrip", "screenshot", "all":
        if options.command == "all" { try await benchLaunch(n: options.n ?? 10) }
        // With --endpoint, measure against a browser that runs already (the one other tools use);
        // else one launched over a pipe (the default) and one over a DevTools port, side by side.
        var browsers: [(transport: String, browser: CDPBrowser)] = []
        if let endpoint = options.endpoint {
            browsers.append(("websocket-attached", try await CDPBrowser.attach(to: endpoint)))
        } else {
            browsers.append(("pipe", try await CDPBrowser.launch(launchOptions)))
            var overPort = launchOptions
            overPort.transport = .webSocket
            browsers.append(("websocket", try await CDPBrowser.launch(overPort)))
        }
        if options.command == "attach" || options.command == "all" {
            guard let endpoint = options.endpoint ?? browsers.last?.browser.webSocketDebuggerURL else { exit(2) }
            try await benchAttach(n: options.n ?? 50, endpoint: endpoint)
        }
        if options.command == "roundtrip" || options.command == "all" { try await benchRoundtrip(n: options.n ?? 2000, browsers: browsers) }
        if options.command == "screenshot" || options.command == "all" {
            try await benchScreenshot(n: options.n ?? 50, browser: browsers[0].browser, pagePath: corpusPage)
        }
        for (_, browser) in browsers { try await browser.close() }
        if options.command == "all" {
            try await benchActions(n: options.n, launch: launchOptions)
            try await benchRecover(n: options.n)
            try await benchReconnect(n: options.n, launch: launchOptions)
            try await benchLiveView(n: options.n)
            try await benchLiveViewInBrowser(n: options.n, playwright: options.playwright)
            try await benchPeople(n: options.n)
            try await benchTimeline(n: options.n, launch: launchOptions)
            try await benchTools(n: options.n, launch: launchOptions)
            try benchExtract(directory: corpusDirectory, rounds: options.n, perPage: false)
            await benchEvents(n: options.n)
            try await benchCoordination(n: options.n)
        }
    default:
        FileHandle.standardError.write(Data("unknown benchmark \(options.command); try launch, attach, roundtrip, screenshot, events, coordination, actions, recover, reconnect, liveview, people, lanes, timeline, tools, tasks, doors, extract, tokens, snapshot, context, reading or all\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(1)
}

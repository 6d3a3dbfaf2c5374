import CDPTransport
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// One Chromium per test process, launched on first use; each test opens its own page.
///
/// If Chromium is missing the launch fails loudly with the install hint (`make deps`) — a skipped
/// browser suite would hide a broken set-up.
actor TestBrowser {
    static let shared = TestBrowser()
    private var browser: CDPBrowser?

    func get() async throws -> CDPBrowser {
        if let browser { return browser }
        let launched = try await CDPBrowser.launch()
        browser = launched
        if let pid = launched.processID { registerForKillAtExit(pid) }
        return launched
    }

    /// A fresh page with Page and Runtime enabled.
    static func page() async throws -> (CDPBrowser, CDPSession) {
        let browser = try await shared.get()
        let page = try await browser.newPage()
        _ = try await page.send(Page.Enable())
        _ = try await page.send(Runtime.Enable())
        return (browser, page)
    }
}

private nonisolated(unsafe) var browserGroups: [pid_t] = []
private let groupsLock = NSLock()

/// Test processes end without a teardown hook: kill every browser group they launched at exit.
func registerForKillAtExit(_ pid: Int32) {
    groupsLock.lock()
    let first = browserGroups.isEmpty
    browserGroups.append(pid)
    groupsLock.unlock()
    if first {
        atexit {
            for group in browserGroups { kill(-group, SIGKILL) }
        }
    }
}

/// A `data:` URL for an HTML snippet.
func dataURL(_ html: String) -> String {
    "data:text/html;charset=utf-8," + (html.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
}

/// Navigates and waits for the load event.
func load(_ page: CDPSession, _ html: String) async throws {
    _ = try await page.waitForEvent(Page.LoadEventFired.self, timeout: .seconds(15), after: {
        _ = try await page.send(Page.Navigate(url: dataURL(html)))
    })
}

/// Evaluates `expression` and returns its JSON value.
func evaluate(_ page: CDPSession, _ expression: String) async throws -> JSONValue? {
    let reply = try await page.send(Runtime.Evaluate(expression: expression, returnByValue: true, awaitPromise: true))
    return reply.result.value
}

/// The pids of the Chromium browsers running now (their main processes: a profile, no `--type`).
func chromiumProcesses() -> [Int32] {
    processes(mentioning: "--user-data-dir=").filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = String(decoding: data, as: UTF8.self).split(separator: "\u{0}")
        return (arguments.first?.contains("chrom") ?? false) && !arguments.contains { $0.hasPrefix("--type=") }
    }
}

/// The pids of processes whose command line mentions `needle`.
func processes(mentioning needle: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
              String(decoding: data, as: UTF8.self).contains(needle) else { return nil }
        // Zombies are exiting already; they hold no resources but a table entry.
        if let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return nil }
        return pid
    }
}

/// Polls `condition` until it holds or `timeout` passes. Only for state with no event to wait on:
/// processes leaving the process table, files and ports of other processes, the connection's own
/// bookkeeping. Anything that changes with a session event, a DOM change or a frame waits on it
/// instead (`Waits.swift`).
func eventually(within timeout: Duration, _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// `eventually` for a condition that must be awaited (an actor's state).
func eventuallyAsync(within timeout: Duration, _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// A browser launched with a DevTools port (`Transport.webSocket`), for tests of what goes over one.
func launchWithPort() async throws -> CDPBrowser {
    var options = CDPBrowser.LaunchOptions()
    options.transport = .webSocket
    let browser = try await CDPBrowser.launch(options)
    if let pid = browser.processID { registerForKillAtExit(pid) }
    return browser
}

/// The DevTools port of a browser launched with one.
func devToolsPort(of browser: CDPBrowser) throws -> Int {
    let address = try #require(browser.webSocketDebuggerURL).dropFirst("ws://".count).prefix { $0 != "/" }
    return try #require(Int(address.split(separator: ":").last ?? ""))
}

/// A browser of its own behind a `TCPProxy` (a network a test can cut); `endpoint` is its WebSocket
/// URL through the proxy. Close both when done.
func browserBehindProxy() async throws -> (browser: CDPBrowser, proxy: TCPProxy, endpoint: String) {
    let browser = try await launchWithPort()
    do {
        let port = try devToolsPort(of: browser)
        let proxy = try TCPProxy(to: port)
        return (browser, proxy, try #require(browser.webSocketDebuggerURL).replacingOccurrences(of: ":\(port)/", with: ":\(proxy.port)/"))
    } catch {
        try? await browser.close()
        throw error
    }
}

/// `pid` and every process below it.
func processTree(of pid: Int32) -> Set<Int32> {
    var children: [Int32: [Int32]] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(child) }
    }
    var tree: Set<Int32> = [pid]
    var queue = [pid]
    while let next = queue.popLast() {
        for child in children[next] ?? [] where tree.insert(child).inserted { queue.append(child) }
    }
    return tree
}

/// The TCP ports (IPv4 and IPv6) that any of `pids` listens on: what another process on this machine
/// could connect to.
func listeningPorts(of pids: Set<Int32>) -> Set<Int> {
    var inodes: Set<String> = []
    for pid in pids {
        let dir = "/proc/\(pid)/fd"
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/\(fd)"),
               target.hasPrefix("socket:[") { inodes.insert(String(target.dropFirst(8).dropLast())) }
        }
    }
    var ports: Set<Int> = []
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in ((try? String(contentsOfFile: table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // local_address rem_address st ... inode: a listener is state 0A.
            guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])),
                  let port = Int(fields[1].split(separator: ":").last ?? "", radix: 16) else { continue }
            ports.insert(port)
        }
    }
    return ports
}

/// Runs an example built beside the tests (`swift build --build-tests` builds them) to its end, with
/// `environment` added to this process's; its exit status and what it printed.
func runExample(_ name: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    try #require(FileManager.default.isExecutableFile(atPath: binary), "build with `swift build --build-tests`")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

import DemoSite
import Foundation
import SharedSession
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Retries `evaluate("1")` until it succeeds; returns how many tries it took.
private func firstSuccess(_ session: SharedBrowserSession) async throws -> Int {
    for attempt in 1...100 {
        if await session.evaluate("1", as: .system, options: .init(timeout: .seconds(10))).error == nil { return attempt }
    }
    throw SessionError(.timeout, "the session did not recover")
}

/// `kill -9` of the browser to the first successful action through the same session: the relaunch on
/// the same (persistent) profile, tabs reopened at their URLs, cookies restored.
func benchRecover(n: Int?) async throws {
    let site = try await DemoSite.start()
    let profile = NSTemporaryDirectory() + "shared-browser-bench-recover-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: profile) }
    var options = SharedBrowserSession.Options(id: "bench-recover")
    options.profileDirectory = profile
    let session = try await SharedBrowserSession.start(options)
    try await session.navigate(to: site.url("/widgets"), as: .system).get()
    var samples: [Duration] = []
    var tries: [Int] = []
    let clock = ContinuousClock()
    for _ in 0..<(n ?? 10) {
        guard let pid = session.browserProcessID else { throw SessionError(.launchFailed, "no browser process") }
        let killed = clock.now
        kill(pid, SIGKILL)
        tries.append(try await firstSuccess(session))
        samples.append(killed.duration(to: clock.now))
        guard await session.tabs().first?.url.hasSuffix("/widgets") == true else {
            throw SessionError(.navigationFailed, "the tab did not come back at its URL")
        }
    }
    await session.close()
    await site.stop()
    let stats = Stats(samples)
    emit(["bench": "recover", "n": samples.count, "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99),
          "max_tries": tries.max() ?? 0, "steps": "kill -9 to the first successful evaluate, same session, persistent profile"])
}

/// A dropped connection to a live browser (cut by a proxy) to the first successful command: the
/// reconnect, with the tabs attached again; the browser is not relaunched.
func benchReconnect(n: Int?, launch: CDPBrowser.LaunchOptions) async throws {
    var overPort = launch
    overPort.transport = .webSocket
    let browser = try await CDPBrowser.launch(overPort)
    guard let url = browser.webSocketDebuggerURL,
          let port = Int(url.dropFirst("ws://".count).prefix { $0 != "/" }.split(separator: ":").last ?? "") else {
        throw SessionError(.launchFailed, "no port")
    }
    let proxy = try TCPProxy(to: port)
    let endpoint = url.replacingOccurrences(of: ":\(port)/", with: ":\(proxy.port)/")
    let session = try await SharedBrowserSession.attach(to: endpoint, options: .init(id: "bench-reconnect"))
    try await session.navigate(to: "data:text/html,<title>kept</title>", as: .system).get()
    var samples: [Duration] = []
    let clock = ContinuousClock()
    for _ in 0..<(n ?? 10) {
        let dropped = clock.now
        proxy.dropAll()
        _ = try await firstSuccess(session)
        samples.append(dropped.duration(to: clock.now))
    }
    let restarts = session.events.recent(500).filter { $0.kind == .browserRestarted }.count
    await session.close()
    proxy.stop()
    try await browser.close()
    let stats = Stats(samples)
    emit(["bench": "reconnect", "n": samples.count, "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99),
          "relaunches": restarts, "steps": "socket dropped by a proxy to the first successful evaluate"])
}

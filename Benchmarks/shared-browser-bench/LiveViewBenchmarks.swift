import DemoSite
import Foundation
import LiveView
import SharedBrowserSupport
import SharedSession
import WebSockets
#if canImport(Glibc)
import Glibc
#endif

/// A live view client that acknowledges every frame and notes when each arrives.
final class BenchViewer: WebSocketHandler, @unchecked Sendable {
    private let frames = LockedValue<[ContinuousClock.Instant]>([])
    let connection = LockedValue<WebSocketConnection?>(nil)

    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        guard message.isBinary else { return }
        frames.withLock { $0.append(.now) }
        try? connection.send(text: #"{"type":"ack"}"#)
    }
    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) {}

    var count: Int { frames.withLock { $0.count } }
    func frames(after instant: ContinuousClock.Instant) -> [ContinuousClock.Instant] { frames.withLock { $0.filter { $0 > instant } } }

    /// Sends a click at (250, 200) `rounds` times, 300 ms apart (the page still again), and times
    /// each to the next frame (within 2 s; a click with none is left out).
    func clickToFrame(rounds: Int) async throws -> [Duration] {
        var samples: [Duration] = []
        for _ in 0..<rounds {
            try await Task.sleep(for: .milliseconds(300))   // the page is still again
            let sent = ContinuousClock.now
            try connection.withLock { $0 }?.send(text: #"{"type":"input","action":{"type":"mouse","params":{"event":"click","x":250,"y":200}}}"#)
            let deadline = sent + .seconds(2)
            while ContinuousClock.now < deadline, frames(after: sent).isEmpty { try await Task.sleep(for: .milliseconds(1)) }
            if let first = frames(after: sent).first { samples.append(sent.duration(to: first)) }
        }
        return samples
    }

    static func connect(_ view: LiveView, grant: LiveViewAccess.Grant) async throws -> BenchViewer {
        let viewer = BenchViewer()
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: view.port, path: "/ws?token=\(view.access.token(for: grant)!)"), handler: viewer)
        viewer.connection.withLock { $0 = connection }
        return viewer
    }
}

/// CPU seconds used so far by this process and by the browser's process group.
func cpuSeconds(browserGroup: Int32?) -> (host: Double, browser: Double) {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    func cpu(_ pid: String) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
    }
    var browser = 0.0
    if let group = browserGroup {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            if let pid = Int32(entry), getpgid(pid) == group { browser += cpu(entry) }
        }
    }
    return (cpu("self"), browser)
}

/// Frames per second to 1 and 5 viewers on an animated page; input-to-frame latency (a click that
/// changes a still page, until the next frame); the CPU the screencast costs.
func benchLiveView(n: Int?) async throws {
    let session = try await temporarySession(id: "bench-liveview", launch: CDPBrowser.LaunchOptions())
    let view = try await session.liveView()
    let animated = "data:text/html,<style>div{width:200px;height:200px;background:%2336c;animation:m 1s linear infinite alternate}"
        + "@keyframes m{to{transform:translateX(800px)}}</style><div></div>"
    try await session.navigate(to: animated, as: .system).get()
    let seconds = 5.0
    let idle = cpuSeconds(browserGroup: session.browserProcessID)
    try await Task.sleep(for: .seconds(seconds))
    let afterIdle = cpuSeconds(browserGroup: session.browserProcessID)
    for viewers in [1, 5] {
        var clients: [BenchViewer] = []
        for _ in 0..<viewers { clients.append(try await BenchViewer.connect(view, grant: .watch)) }
        try await Task.sleep(for: .seconds(1))   // the screencast starts
        let before = clients.map(\.count)
        let cpuBefore = cpuSeconds(browserGroup: session.browserProcessID)
        try await Task.sleep(for: .seconds(seconds))
        let cpuAfter = cpuSeconds(browserGroup: session.browserProcessID)
        let rates = zip(clients, before).map { Double($0.count - $1) / seconds }
        emit(["bench": "liveview_fps", "viewers": viewers, "min_fps": (rates.min() ?? 0).rounded(),
              "max_fps": (rates.max() ?? 0).rounded(),
              "host_cpu_percent": ((cpuAfter.host - cpuBefore.host) / seconds * 100).rounded(),
              "browser_cpu_percent": ((cpuAfter.browser - cpuBefore.browser) / seconds * 100).rounded(),
              "idle_browser_cpu_percent": ((afterIdle.browser - idle.browser) / seconds * 100).rounded(),
              "page": "a CSS animation"])
        for client in clients { client.connection.withLock { $0 }?.close(code: 1000, reason: "done") }
    }

    // Input to frame: a still page whose button changes colour when clicked.
    let still = "data:text/html,<style>body{margin:0}button{position:absolute;left:100px;top:100px;width:300px;height:200px}</style>"
        + "<button id=b onclick=\"this.style.background=this.style.background=='red'?'blue':'red'\">press</button>"
    try await session.navigate(to: still, as: .system).get()
    let person = Participant.human("person")
    try await session.coordinator.takeOver(by: person)
    let control = try await BenchViewer.connect(view, grant: .control)
    try await Task.sleep(for: .seconds(1))
    let samples = try await control.clickToFrame(rounds: n ?? 30)
    try await session.coordinator.handBack(by: person)
    await session.close()
    let stats = Stats(samples)
    emit(["bench": "liveview_input_to_frame", "n": samples.count, "median_ms": stats.ms(50), "p95_ms": stats.ms(95),
          "p99_ms": stats.ms(99), "steps": "a click sent by a control viewer until the next frame (the page changes only on the click)"])
}

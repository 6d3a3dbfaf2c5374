import CDPTransport
import Foundation
import LiveView
import SharedSession
import TestSupport
#if canImport(Glibc)
import Glibc
#endif


/// Sends `request` on a new connection and times it to the status line; nil when no answer came
/// within 15 s (refused, closed, or too slow).
private func timedRequest(port: Int, _ request: String) -> (Duration, String)? {
    let clock = ContinuousClock()
    let start = clock.now
    guard let fd = loopbackSocket(port: port) else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    var head = [UInt8](repeating: 0, count: 16)
    let n = recv(fd, &head, head.count, 0)
    guard n >= 12 else { return nil }
    return (start.duration(to: clock.now), String(decoding: head[9..<12], as: UTF8.self))
}

/// Times `n` requests of a normal client to `port`, alone and during a flood of `flood` idle
/// connections (none sends a byte), and prints one line for each.
private func benchFlood(door: String, port: Int, request: String, n: Int, flood: Int) {
    for flooded in [false, true] {
        var idle: [Int32] = []
        if flooded { for _ in 0..<flood { if let fd = loopbackSocket(port: port, blocking: false) { idle.append(fd) } } }
        usleep(200_000)   // let the server accept (and refuse) what it will
        var samples: [Duration] = []
        var failed = 0
        var statuses: [String: Int] = [:]
        for _ in 0..<n {
            if let (time, status) = timedRequest(port: port, request) {
                samples.append(time)
                statuses[status, default: 0] += 1
            } else {
                failed += 1
            }
        }
        idle.forEach { close($0) }
        let stats = Stats(samples)
        emit(["bench": "doors_\(door)", "idle_connections": flooded ? idle.count : 0, "n": n, "answered": samples.count,
              "unanswered": failed, "statuses": statuses.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " "),
              "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99)])
    }
}

/// The doors under pressure: a normal client's answer time during a flood of 1,000 idle connections
/// (to the live view, and to `shared-browser-mcp --http` when it is built beside this program), and
/// the process's memory after a viewer that never reads has watched a logging page for `seconds`.
func benchDoors(n: Int?, seconds: Int) async throws {
    let samples = n ?? 30
    let session = try await temporarySession(id: "bench-doors", launch: CDPBrowser.LaunchOptions())
    let view = try await session.liveView()
    benchFlood(door: "liveview", port: view.port, request: "GET /app.css HTTP/1.1\r\nHost: 127.0.0.1:\(view.port)\r\nConnection: close\r\n\r\n",
               n: samples, flood: 1000)

    let server = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("shared-browser-mcp")
    if FileManager.default.isExecutableFile(atPath: server.path) {
        let (process, url, token) = try startMCPServer(executable: server.path)
        if let port = url.port {
            benchFlood(door: "mcp", port: port,
                       request: "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n",
                       n: samples, flood: 1000)
        }
        process.terminate()
        process.waitUntilExit()
    } else {
        emit(["bench": "doors_mcp", "skipped": "build shared-browser-mcp beside this program (swift build -c release) to measure it"])
    }

    // A viewer that never reads while the page logs without end.
    try await session.navigate(to: "data:text/html,<script>setInterval(()=>console.log('line '.repeat(40)+Date.now()),2)</script>", as: .system).get()
    let before = residentMiB()
    guard let fd = loopbackSocket(port: view.port, receiveBuffer: 4096), let token = view.access.token(for: .watch) else {
        throw SessionError(.connectionClosed, "cannot connect to the live view")
    }
    defer { close(fd) }
    _ = webSocketHandshake(path: "/ws?token=\(token)", port: view.port).withCString { send(fd, $0, strlen($0), 0) }
    var samplesMiB: [Double] = []
    for _ in 0..<seconds {
        try await Task.sleep(for: .seconds(1))
        samplesMiB.append(residentMiB())
    }
    let after = samplesMiB.last ?? before
    let secondHalf = samplesMiB.suffix(max(1, seconds / 2))
    emit(["bench": "doors_slow_viewer", "seconds": seconds, "rss_mib_before": before, "rss_mib_after": after,
          "rss_mib_max": samplesMiB.max() ?? after,
          "growth_kib_per_s_second_half": secondHalf.count > 1 ? ((secondHalf.last! - secondHalf.first!) * 1024 / Double(secondHalf.count - 1)).rounded() : 0,
          "events_dropped": view.eventsDropped, "viewers": view.viewerCount])
    await session.close()
}

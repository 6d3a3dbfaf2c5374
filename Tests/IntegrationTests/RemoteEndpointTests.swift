import CDPTransport
import Coordination
import Foundation
import SharedSession
import SharedBrowserSupport
import Testing
import WebSockets

/// `Tests/Gateway/cdp_gateway.py` in front of a browser's DevTools port: TLS with the test CA, a
/// required header, and drops on request — what a grid or a CDP provider looks like from here.
final class CDPGateway: @unchecked Sendable {
    // `@unchecked`: `lines` is a LockedValue; the rest is set once in init.
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/python3" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var skipReason: Comment { "skipped: no python3 to run Tests/Gateway/cdp_gateway.py" }
    static let fixtures = PlaywrightCLI.root.appendingPathComponent("Tests/Fixtures/tls")
    static var trustedCA: String { fixtures.appendingPathComponent("ca.pem").path }

    let port: Int
    private let process = Process()
    private let input = Pipe()
    private let lines = LockedValue<[String]>([])

    /// Starts a gateway to `upstream` (the browser's DevTools port), with TLS unless `tls` is false,
    /// requiring `header` ("Name: value") when given.
    init(upstream: Int, tls: Bool = true, header: String?) async throws {
        let python = try #require(Self.python)
        var arguments = [PlaywrightCLI.root.appendingPathComponent("Tests/Gateway/cdp_gateway.py").path,
                         "--upstream", "127.0.0.1:\(upstream)"]
        if tls {
            arguments += ["--cert", Self.fixtures.appendingPathComponent("gateway.pem").path,
                          "--key", Self.fixtures.appendingPathComponent("gateway-key.pem").path]
        }
        if let header { arguments += ["--header", header] }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        let reader = output.fileHandleForReading
        let lines = self.lines
        Thread {
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 10) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.withLock { $0.append(line) }
                }
            }
        }.start()
        guard await eventually(within: .seconds(10), { !lines.withLock { $0.isEmpty } }),
              let first = lines.withLock({ $0.first }), let port = Int(first) else {
            process.terminate()
            throw CDPError(.launchFailed, "the gateway did not start")
        }
        self.port = port
    }

    /// What the gateway printed after its port.
    var log: [String] { Array(lines.withLock { $0 }.dropFirst()) }

    /// Closes every open connection, and waits until the gateway says it did.
    func dropAll() async {
        let before = log.filter { $0.hasPrefix("dropped") }.count
        input.fileHandleForWriting.write(Data("drop\n".utf8))
        _ = await eventually(within: .seconds(5)) { self.log.filter { $0.hasPrefix("dropped") }.count > before }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }
}

extension Chromium {
/// Browsers elsewhere: attached through a gateway that wants a token and speaks TLS, as a grid or a
/// CDP provider does. The browser is a second one, on its own port with its own profile.
@Suite(.serialized) struct RemoteEndpointTests {
    static let token = "Bearer " + UUID().uuidString
    static var header: (name: String, value: String) { ("Authorization", token) }

    /// A browser of its own (another port, another profile) and a TLS gateway in front of it.
    static func remoteBrowser(tls: Bool = true) async throws -> (browser: CDPBrowser, gateway: CDPGateway) {
        let browser = try await launchWithPort()
        if let pid = browser.processID { registerForKillAtExit(pid) }
        do {
            return (browser, try await CDPGateway(upstream: try devToolsPort(of: browser), tls: tls, header: "Authorization: \(token)"))
        } catch {
            try? await browser.close()
            throw error
        }
    }

    static func options(_ id: String, headers: [(name: String, value: String)] = [header], trusting ca: String? = CDPGateway.trustedCA) -> SharedBrowserSession.Options {
        var options = SharedBrowserSession.Options(id: id)
        options.launch.connection.headers = headers
        options.launch.connection.trustedCertificatesFile = ca
        options.launch.connection.connectTimeout = .seconds(5)
        return options
    }

    /// `https://` discovery and the WebSocket both go through the gateway with the token, over TLS
    /// checked against the CA given; the session works like a local one, and closing it leaves the
    /// remote browser running.
    @Test(.enabled(if: CDPGateway.python != nil, CDPGateway.skipReason))
    func attachesOverTLSWithAToken() async throws {
        let (browser, gateway) = try await Self.remoteBrowser()
        defer { gateway.stop(); Task { try? await browser.close() } }
        let session = try await SharedBrowserSession.attach(to: "https://127.0.0.1:\(gateway.port)", options: Self.options("remote-tls"))
        let page = try await session.navigate(to: dataURL("<title>far away</title><button>Go</button>"), as: system).get()
        #expect(page.state.title == "far away")
        #expect(try await session.snapshot(as: system).get().snapshot?.text.contains("button \"Go\"") == true)
        #expect(gateway.log.contains("passed GET /json/version HTTP/1.1"), "\(gateway.log)")
        #expect(gateway.log.contains { $0.hasPrefix("passed GET /devtools/browser/") }, "\(gateway.log)")
        #expect(!gateway.log.contains { $0.hasPrefix("refused") }, "\(gateway.log)")
        await session.close()
        let stillThere = try await browser.session.send(Target.GetTargets()).targetInfos
        #expect(stillThere.contains { $0.url.contains("far%20away") || $0.title == "far away" }, "the remote browser and its tab live on")

        // The browser's own wss:// URL through the same gateway.
        let path = try #require(browser.webSocketDebuggerURL).drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" }
        let direct = try await SharedBrowserSession.attach(to: "wss://127.0.0.1:\(gateway.port)\(path)", options: Self.options("remote-wss"))
        let sum = await direct.evaluate("'sum ' + (1 + 1)", as: system)
        #expect(sum.value == "sum 2", "\(String(describing: sum.error))")
        await direct.close()
    }

    /// A missing token, an untrusted certificate, a header that would split the request, and an
    /// endpoint that is no endpoint each fail at once with an error that says which; no token is
    /// ever in a message.
    @Test(.enabled(if: CDPGateway.python != nil, CDPGateway.skipReason))
    func refusalsSayWhy() async throws {
        let (browser, gateway) = try await Self.remoteBrowser()
        defer { gateway.stop(); Task { try? await browser.close() } }
        let clock = ContinuousClock()
        let started = clock.now

        func failure(_ endpoint: String, _ options: SharedBrowserSession.Options) async -> SessionError? {
            do {
                let session = try await SharedBrowserSession.attach(to: endpoint, options: options)
                await session.close()
                return nil
            } catch { return error as? SessionError }
        }
        let https = "https://127.0.0.1:\(gateway.port)"
        let noToken = await failure(https, Self.options("no-token", headers: []))
        #expect(noToken?.code == .connectionClosed)
        #expect(noToken?.message.contains("401") == true, "\(String(describing: noToken))")
        let wrongToken = await failure("wss://127.0.0.1:\(gateway.port)/devtools/browser/x", Self.options("wrong", headers: [("Authorization", "Bearer nope")]))
        #expect(wrongToken?.code == .connectionClosed, "\(String(describing: wrongToken))")
        let untrusted = await failure(https, Self.options("no-ca", trusting: nil))
        #expect(untrusted?.code == .connectionClosed)
        #expect(untrusted?.message.lowercased().contains("certificate") == true
                    || untrusted?.message.lowercased().contains("ssl") == true, "\(String(describing: untrusted))")
        let split = await failure(https, Self.options("split", headers: [("X-Token", "a\r\nHost: evil")]))
        #expect(split?.code == .invalidURL && split?.message.contains("line break") == true, "\(String(describing: split))")
        let plain = await failure("http://127.0.0.1:\(gateway.port)", Self.options("plain-to-tls"))
        #expect(plain != nil, "plain HTTP to a TLS port fails")
        let other = await failure("ftp://127.0.0.1:\(gateway.port)", Self.options("ftp"))
        #expect(other?.code == .invalidURL && other?.message.contains("expected http(s)://") == true, "\(String(describing: other))")
        for error in [noToken, wrongToken, untrusted, split, plain, other] {
            #expect(!(error?.message.contains(Self.token) ?? false))
        }
        #expect(started.duration(to: clock.now) < .seconds(15), "every refusal came at once, not after a connect timeout")
    }

    /// A dropped connection to a remote browser comes back through the gateway with the same token
    /// and TLS; the page is where it was.
    @Test(.enabled(if: CDPGateway.python != nil, CDPGateway.skipReason))
    func reconnectsThroughTheGatewayAfterADrop() async throws {
        let (browser, gateway) = try await Self.remoteBrowser()
        defer { gateway.stop(); Task { try? await browser.close() } }
        let session = try await SharedBrowserSession.attach(to: "https://127.0.0.1:\(gateway.port)", options: Self.options("remote-drop"))
        defer { Task { await session.close() } }
        try await session.navigate(to: dataURL("<title>kept remote</title>"), as: system).get()
        let watched = session.events.subscribe(kinds: [.disconnected, .reconnected, .browserCrashed])
        let handshakes = gateway.log.filter { $0.hasPrefix("passed GET /devtools/browser/") }.count

        await gateway.dropAll()
        // One wait, on one iterator: both events may arrive in one batch.
        let back = await firstEvent(watched, .reconnected)
        #expect(back != nil, "\(session.events.recent(20).map(\.summary)) \(gateway.log)")
        #expect(session.events.recent(50).contains { $0.kind == .disconnected && $0.sequence < (back?.sequence ?? 0) })
        #expect(try await session.evaluate("document.title", as: system).get().value == "kept remote")
        #expect(gateway.log.filter { $0.hasPrefix("passed GET /devtools/browser/") }.count > handshakes, "\(gateway.log)")
        #expect(!gateway.log.contains { $0.hasPrefix("refused") }, "the token went along again: \(gateway.log)")
    }
}
}

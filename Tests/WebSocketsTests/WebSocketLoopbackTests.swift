import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
import WebSockets

/// Collects what a connection's handler is told, and lets a test wait for it.
final class Recorder: WebSocketHandler, @unchecked Sendable {
    let messages: AsyncStream<WebSocketMessage>
    let closes: AsyncStream<WebSocketCloseInfo>
    let opens: AsyncStream<WebSocketConnection>
    private let messageSink: AsyncStream<WebSocketMessage>.Continuation
    private let closeSink: AsyncStream<WebSocketCloseInfo>.Continuation
    private let openSink: AsyncStream<WebSocketConnection>.Continuation
    let echo: Bool

    init(echo: Bool = false) {
        self.echo = echo
        (messages, messageSink) = AsyncStream.makeStream()
        (closes, closeSink) = AsyncStream.makeStream()
        (opens, openSink) = AsyncStream.makeStream()
    }

    func webSocketDidOpen(_ connection: WebSocketConnection) { openSink.yield(connection) }
    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        if echo { try? connection.send(message.data, binary: message.isBinary) }
        messageSink.yield(message)
    }
    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) {
        closeSink.yield(info)
        closeSink.finish()
        messageSink.finish()
    }
}

@Suite struct WebSocketLoopbackTests {
    @Test func echoesTextAndBinaryOfAllSizesInOrder() async throws {
        let serverSide = Recorder(echo: true)
        let server = try await WebSocketServer.start { _ in serverSide }
        defer { Task { await server.stop() } }
        let client = Recorder()
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: server.port, path: "/echo"), handler: client)
        let sizes = [0, 1, 125, 126, 65_535, 65_536, 3_000_000]
        for size in sizes {
            try connection.send(Data(repeating: UInt8(size % 251), count: size), binary: size % 2 == 1)
        }
        var iterator = client.messages.makeAsyncIterator()
        for size in sizes {
            let message = try #require(await iterator.next())
            #expect(message.data.count == size)
            #expect(message.isBinary == (size % 2 == 1))
            #expect(message.data.allSatisfy { $0 == UInt8(size % 251) })
        }
        connection.close(code: 1000, reason: "done")
        let info = await client.closes.next(within: .seconds(5))
        #expect(info?.code == 1000)
        #expect(info?.initiatedLocally == true)
        #expect(throws: WebSocketError.self) { try connection.send(text: "late") }
    }

    @Test func aMessageOverTheCapClosesWith1009() async throws {
        let serverSide = Recorder()
        var config = WebSocketServer.Configuration()
        config.maxMessageSize = 1024
        let server = try await WebSocketServer.start(config) { _ in serverSide }
        defer { Task { await server.stop() } }
        let client = Recorder()
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: server.port, path: "/"), handler: client)
        try connection.send(Data(repeating: 1, count: 4096), binary: true)
        let serverClose = await serverSide.closes.next(within: .seconds(5))
        #expect(serverClose?.code == 1009)
        #expect(serverClose?.error?.code == .messageTooLarge)
        let clientClose = await client.closes.next(within: .seconds(5))
        #expect(clientClose?.code == 1009)
    }

    @Test func refusedConnectionFailsWithConnectFailed() async throws {
        // Bind a server, learn its port, stop it: nothing listens there any more.
        let server = try await WebSocketServer.start { _ in Recorder() }
        let port = server.port
        await server.stop()
        await #expect(throws: WebSocketError.self) {
            _ = try await WebSocketConnection.connect(to: WebSocketURL(host: "127.0.0.1", port: port, path: "/"), handler: Recorder())
        }
    }

    @Test func serverAnswersHTTPAndCanRefuseUpgrades() async throws {
        let server = try await WebSocketServer.start(onHTTP: { request in
            .init(text: "path=\(request.path) host=\(request.host ?? "-")")
        }, onWebSocket: { _ in nil })
        defer { Task { await server.stop() } }
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.port)/a/b?x=1")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "path=/a/b?x=1 host=127.0.0.1:\(server.port)")
        await #expect(throws: WebSocketError.self) {
            _ = try await WebSocketConnection.connect(to: WebSocketURL(host: "127.0.0.1", port: server.port, path: "/"), handler: Recorder())
        }
    }

    @Test func serverReadsFormPostsAndCookiesAndSendsHeadersLate() async throws {
        let server = try await WebSocketServer.start(onHTTP: { request in
            switch (request.method, request.pathWithoutQuery) {
            case ("POST", "/login"):
                let form = request.formValues
                return .redirect(to: "/home", headers: [("Set-Cookie", "sid=\(form["user"] ?? "")-ok; Path=/; HttpOnly")])
            case ("GET", "/whoami"):
                return .init(text: "cookie sid=\(request.cookies["sid"] ?? "none") q=\(request.formValues["q"] ?? "")")
            case ("GET", "/slow"):
                return .init(text: "finally", delay: .milliseconds(200))
            default:
                return .notFound(request.path)
            }
        }, onWebSocket: { _ in nil })
        defer { Task { await server.stop() } }
        let base = "http://127.0.0.1:\(server.port)"
        var post = URLRequest(url: URL(string: base + "/login")!)
        post.httpMethod = "POST"
        post.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        post.httpBody = Data("user=ada+lovelace&pass=p%26ss".utf8)
        let delegate = NoRedirects()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false    // the test sets its own Cookie header
        configuration.httpCookieAcceptPolicy = .never
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        let (_, response) = try await session.data(for: post)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 303)
        #expect(http.value(forHTTPHeaderField: "Location") == "/home")
        #expect(http.value(forHTTPHeaderField: "Set-Cookie")?.hasPrefix("sid=ada lovelace-ok") == true)

        var get = URLRequest(url: URL(string: base + "/whoami?q=a%20b")!)
        get.setValue("theme=dark; sid=xyz", forHTTPHeaderField: "Cookie")
        let (body, _) = try await session.data(for: get)
        #expect(String(decoding: body, as: UTF8.self) == "cookie sid=xyz q=a b")

        // A delayed response does not hold up others.
        async let slow = session.data(from: URL(string: base + "/slow")!)
        let (fast, _) = try await session.data(from: URL(string: base + "/whoami")!)
        #expect(String(decoding: fast, as: UTF8.self).hasPrefix("cookie sid=none"))
        #expect(String(decoding: try await slow.0, as: UTF8.self) == "finally")
    }

    @Test func serverListensOnLoopbackByDefault() {
        #expect(WebSocketServer.Configuration().host == "127.0.0.1")
    }

    @Test func abortLooksLikeADroppedPeer() async throws {
        let serverSide = Recorder()
        let server = try await WebSocketServer.start { _ in serverSide }
        defer { Task { await server.stop() } }
        let client = Recorder()
        _ = try await WebSocketConnection.connect(to: WebSocketURL(host: "127.0.0.1", port: server.port, path: "/"), handler: client)
        let serverConnection = try #require(await serverSide.opens.next(within: .seconds(5)))
        serverConnection.abort()
        let info = await client.closes.next(within: .seconds(5))
        #expect(info != nil)
        #expect(info?.initiatedLocally == false)
    }
}

final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

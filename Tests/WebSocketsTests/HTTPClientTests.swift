import Foundation
import SharedBrowserSupport
import TestSupport
import Testing
import WebSockets

/// The GET client that reads a remote browser's `/json/version`, against the library's own server.
@Suite struct HTTPClientTests {
    @Test func sendsTheHeadersAndReadsTheBody() async throws {
        let seen = LockedValue<[String: String]>([:])
        let body = String(repeating: "x", count: 200_000)
        let server = try await WebSocketServer.start(onHTTP: { request in
            seen.withLock { $0 = request.headers }
            return request.path == "/json/version" ? .init(text: body) : .notFound(request.path)
        }, onWebSocket: { _ in nil })
        defer { Task { await server.stop() } }
        var options = WebSocketConnection.Options()
        options.headers = [("Authorization", "Bearer t0ken")]
        let response = try await HTTPClient.get("http://127.0.0.1:\(server.port)/json/version", options: options)
        #expect(response.status == 200)
        #expect(response.body.count == body.utf8.count, "a body in many reads, whole")
        #expect(seen.withLock { $0["authorization"] } == "Bearer t0ken")
        #expect(seen.withLock { $0["host"] } == "127.0.0.1:\(server.port)")
    }

    /// Answers outside 2xx are errors that name the status; a redirect is not followed, so the
    /// headers never reach the host it points to.
    @Test func statusesAndRedirectsAreErrors() async throws {
        let followed = LockedValue(false)
        let server = try await WebSocketServer.start(onHTTP: { request in
            switch request.path {
            case "/moved": return .redirect(to: "/elsewhere")
            case "/elsewhere": followed.withLock { $0 = true }; return .init(text: "here")
            default: return .notFound(request.path)
            }
        }, onWebSocket: { _ in nil })
        defer { Task { await server.stop() } }
        for (path, status) in [("/missing", "404"), ("/moved", "303")] {
            do {
                _ = try await HTTPClient.get("http://127.0.0.1:\(server.port)\(path)")
                Issue.record("\(path) answered")
            } catch let error as WebSocketError {
                #expect(error.code == .httpStatus && error.message.contains(status), "\(error)")
            }
        }
        #expect(!followed.withLock { $0 })
    }

    /// A server that does not answer in time, one that is not there, a header that would split the
    /// request and a URL of another scheme: each a typed error, at once or at the deadline.
    @Test func failuresAreTyped() async throws {
        let server = try await WebSocketServer.start(onHTTP: { _ in .init(text: "late", delay: .seconds(30)) }, onWebSocket: { _ in nil })
        defer { Task { await server.stop() } }
        var quick = WebSocketConnection.Options()
        quick.connectTimeout = .milliseconds(300)
        let clock = ContinuousClock()
        let started = clock.now
        await #expect(throws: WebSocketError(.timeout, "no whole answer from http://127.0.0.1:\(server.port)/ within 0.3 seconds")) {
            _ = try await HTTPClient.get("http://127.0.0.1:\(server.port)/", options: quick)
        }
        #expect(started.duration(to: clock.now) < .seconds(15), "at its deadline, not at the answer 30 s later")
        let closed = try await WebSocketServer.start(onWebSocket: { _ in nil })
        let port = closed.port
        await closed.stop()
        do {
            _ = try await HTTPClient.get("http://127.0.0.1:\(port)/")
            Issue.record("a closed port answered")
        } catch let error as WebSocketError { #expect(error.code == .connectFailed, "\(error)") }
        var split = WebSocketConnection.Options()
        split.headers = [("X-A", "1\r\nX-B: 2")]
        do {
            _ = try await HTTPClient.get("http://127.0.0.1:\(server.port)/", options: split)
            Issue.record("a split header was sent")
        } catch let error as WebSocketError { #expect(error.code == .invalidHeader, "\(error)") }
        do {
            _ = try await HTTPClient.get("ws://127.0.0.1:\(server.port)/")
            Issue.record("a ws URL was fetched")
        } catch let error as WebSocketError { #expect(error.code == .invalidURL, "\(error)") }
    }
}

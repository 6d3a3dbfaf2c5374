public import Foundation
public import Logging
import SharedBrowserSupport

/// An HTTP and WebSocket server on the process-wide lws service thread.
///
/// It listens on `127.0.0.1` unless told otherwise, on a port the system picks unless told otherwise.
/// Plain HTTP requests go to `onHTTP`; WebSocket upgrades go to `onWebSocket`, which returns the
/// handler for the new connection or `nil` to refuse it (the client gets HTTP 403). Both are called on
/// the service thread: answer quickly.
public final class WebSocketServer: Sendable {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        /// The interface address. Default `127.0.0.1`; anything else is an explicit decision.
        public var host: String = "127.0.0.1"
        /// The port; 0 lets the system choose (read it back from ``WebSocketServer/port``).
        public var port: Int = 0
        /// The largest WebSocket message accepted from a client; larger closes that connection with 1009.
        /// (Route WebSocket endpoints by path: subprotocols are not negotiated.)
        public var maxMessageSize: Int = 4 << 20
        /// The most bytes queued for a client that does not read; beyond it the connection closes
        /// (1008, ``WebSocketError/Code/tooFarBehind``). Default 16 MiB.
        public var maxQueuedBytes: Int = 16 << 20
        /// The most connections open at once (HTTP and WebSocket). At the cap, a new connection
        /// takes the place of the one that has waited longest without sending a request; when every
        /// one is busy, the new one is closed as soon as it is accepted. Default 256.
        public var maxConnections: Int = 256
        /// How long a client has to send a whole HTTP request (headers and body, or a WebSocket
        /// upgrade), and the longest an HTTP connection may wait idle for its next request; then it is
        /// closed. Open WebSockets have no such deadline. Counted in whole seconds. Default 10 s.
        public var requestTimeout: Duration = .seconds(10)
        /// Where refusals and limits hit are logged (at `notice`, with the limit in the metadata).
        /// Default: nowhere.
        public var logger = Logger(label: "WebSocketServer", factory: { _ in SwiftLogNoOpLogHandler() })
        /// The defaults: 127.0.0.1, a port the system chooses, 4 MiB messages, 16 MiB queued per
        /// client, 256 connections, 10 s to send a request, no log.
        public init() {}
    }

    /// An incoming request: an HTTP request, or the HTTP request that asks for a WebSocket upgrade.
    public struct Request: Sendable {
        /// `GET`, `POST`, ... (`GET` for WebSocket upgrades).
        public var method: String
        /// The path, with the query string.
        public var path: String
        /// The request headers this server reads, by lower-case name: `host`, `origin`, `cookie`,
        /// `content-type`, `user-agent`, `referer`, `authorization`.
        public var headers: [String: String]
        /// The body of a `POST` (at most 1 MiB; larger requests get 413).
        public var body: Data

        /// A request; the server fills these from what it received.
        public init(method: String = "GET", path: String, headers: [String: String] = [:], body: Data = Data()) {
            self.method = method
            self.path = path
            self.headers = headers
            self.body = body
        }

        /// The `Host` header, if sent.
        public var host: String? { headers["host"] }
        /// The `Origin` header, if sent.
        public var origin: String? { headers["origin"] }
        /// The path without the query string.
        public var pathWithoutQuery: Substring { path.prefix { $0 != "?" } }

        /// The query (or, for a form `POST`, the body) as name/value pairs, percent-decoded.
        public var formValues: [String: String] {
            var text = ""
            if method == "POST", headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") ?? false {
                text = String(decoding: body, as: UTF8.self)
            } else if let question = path.firstIndex(of: "?") {
                text = String(path[path.index(after: question)...])
            }
            var values: [String: String] = [:]
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ s: Substring) -> String {
                    s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
                }
                values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
            }
            return values
        }

        /// The cookies sent, by name.
        public var cookies: [String: String] {
            var cookies: [String: String] = [:]
            for part in (headers["cookie"] ?? "").split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2 {
                    cookies[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return cookies
        }
    }

    /// A complete HTTP response.
    public struct HTTPResponse: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The `Content-Type`.
        public var contentType: String
        /// The body.
        public var body: Data
        /// More headers (`Set-Cookie`, `Location`, `Content-Disposition`, ...), in order.
        public var headers: [(name: String, value: String)]
        /// Send the response only after this long (for testing slow servers).
        public var delay: Duration?

        /// A response with a binary body.
        public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: Data,
                    headers: [(name: String, value: String)] = [], delay: Duration? = nil) {
            self.status = status
            self.contentType = contentType
            self.body = body
            self.headers = headers
            self.delay = delay
        }

        /// A response with a text body (UTF-8).
        public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", text: String,
                    headers: [(name: String, value: String)] = [], delay: Duration? = nil) {
            self.init(status: status, contentType: contentType, body: Data(text.utf8), headers: headers, delay: delay)
        }

        /// A `404 Not Found` naming `path`.
        public static func notFound(_ path: String) -> HTTPResponse {
            HTTPResponse(status: 404, text: "not found: \(path)\n")
        }

        /// A `303 See Other` to `location`.
        public static func redirect(to location: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
            HTTPResponse(status: 303, text: "", headers: [("Location", location)] + headers)
        }
    }

    /// Why the server turned a client away.
    public enum Refusal: String, Sendable, CaseIterable {
        /// A connection over ``Configuration/maxConnections`` (or beyond what libwebsockets can
        /// take), closed as soon as it was accepted.
        case tooManyConnections
        /// A request body over 1 MiB, answered 413.
        case requestTooLarge
        /// A connection that had sent no request, closed to make room for a new one at the cap.
        case idleConnectionClosed
    }

    /// How many clients were turned away, by reason, since the server started.
    public var refusals: [Refusal: Int] { refusalCounts.all }
    private let refusalCounts = RefusalCounter<Refusal>()

    /// Counts and logs a refusal.
    func refused(_ reason: Refusal) {
        guard let count = refusalCounts.count(reason) else { return }
        configuration.logger.notice("refused a client", metadata: [
            "reason": "\(reason.rawValue)", "port": "\(port)", "refused_so_far": "\(count)",
            "max_connections": "\(configuration.maxConnections)",
        ])
    }

    let configuration: Configuration
    let onHTTP: @Sendable (Request) -> HTTPResponse
    let onWebSocket: @Sendable (Request) -> (any WebSocketHandler)?
    let loop: WebSocketEventLoop
    let listenPort: LockedValue<Int> = LockedValue(0)
    let startContinuation: LockedValue<CheckedContinuation<Int, any Error>?> = LockedValue(nil)
    let stopContinuation: LockedValue<CheckedContinuation<Void, Never>?> = LockedValue(nil)
    /// The listening socket, until stopped.
    let listener: LockedValue<Int32?> = LockedValue(nil)

    init(configuration: Configuration, loop: WebSocketEventLoop,
         onHTTP: @escaping @Sendable (Request) -> HTTPResponse,
         onWebSocket: @escaping @Sendable (Request) -> (any WebSocketHandler)?) {
        self.configuration = configuration
        self.loop = loop
        self.onHTTP = onHTTP
        self.onWebSocket = onWebSocket
    }

    /// Starts listening and returns once the socket is bound.
    /// - Throws: ``WebSocketError/Code/listenFailed`` naming the address.
    public static func start(
        _ configuration: Configuration = Configuration(),
        onHTTP: @escaping @Sendable (Request) -> HTTPResponse = { .notFound($0.path) },
        onWebSocket: @escaping @Sendable (Request) -> (any WebSocketHandler)?
    ) async throws -> WebSocketServer {
        let loop = try WebSocketEventLoop.shared.started()
        let server = WebSocketServer(configuration: configuration, loop: loop, onHTTP: onHTTP, onWebSocket: onWebSocket)
        let port = try await withCheckedThrowingContinuation { continuation in
            server.startContinuation.withLock { $0 = continuation }
            loop.requestServerStart(server)
        }
        server.listenPort.withLock { $0 = port }
        return server
    }

    /// The port the server listens on.
    public var port: Int { listenPort.withLock { $0 } }

    /// Stops listening and closes every connection of this server.
    public func stop() async {
        await withCheckedContinuation { continuation in
            stopContinuation.withLock { $0 = continuation }
            loop.requestServerStop(self)
        }
    }
}

public import Foundation
import SharedBrowserSupport

/// A small HTTP GET client on the same libwebsockets loop as the WebSocket connections: for discovery
/// documents such as a browser's `/json/version`, over `http://` or `https://`, with the same headers
/// and trusted certificates as the WebSocket that follows.
public enum HTTPClient {
    /// A successful answer.
    public struct Response: Sendable {
        /// The status code (2xx).
        public var status: Int
        /// The body, at most ``maxBodySize`` bytes.
        public var body: Data
    }

    /// The largest body accepted.
    public static let maxBodySize = 1 << 20

    /// Fetches `url` with a GET request.
    ///
    /// Redirects are not followed (the headers are for the host named, and no other). The whole request
    /// must finish within `options.connectTimeout`; `options.headers` and
    /// `options.trustedCertificatesFile` apply as for a WebSocket.
    ///
    /// - Throws: ``WebSocketError`` with `.invalidURL`, `.invalidHeader`, `.connectFailed` (refused,
    ///   unreachable, a certificate that is not trusted — the message says which), `.timeout`,
    ///   `.httpStatus` for an answer outside 2xx (a redirect too), `.messageTooLarge` for a body over
    ///   ``maxBodySize``.
    public static func get(_ url: String, options: WebSocketConnection.Options = .init()) async throws -> Response {
        let parsed = try WebSocketURL(parsing: url, schemes: ("http://", "https://"))
        try options.validate()
        let loop = try WebSocketEventLoop.shared.started()
        let fetch = HTTPFetch(url: parsed, display: url, options: options)
        let timeout = options.connectTimeout
        let timer = afterDelay(timeout) {
            fetch.finish(.failure(WebSocketError(.timeout, "no whole answer from \(url) within \(timeout)")))
            loop.requestFetchAbort(fetch)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Response, any Error>) in
                fetch.continuation.withLock { $0 = continuation }
                loop.requestFetch(fetch)
            }
        } onCancel: {
            fetch.finish(.failure(WebSocketError(.connectFailed, "the request to \(url) was cancelled")))
            loop.requestFetchAbort(fetch)
        }
    }
}

/// One GET request in flight.
final class HTTPFetch: Sendable {
    let url: WebSocketURL
    /// The URL as given, for messages.
    let display: String
    let options: WebSocketConnection.Options
    let continuation = LockedValue<CheckedContinuation<HTTPClient.Response, any Error>?>(nil)

    /// State only the service thread touches.
    final class IO: @unchecked Sendable {
        var socket: LWSSocket?
        var status = 0
        var body = Data()
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        deinit { cStrings.forEach { free($0) } }
    }
    let io = IO()

    init(url: WebSocketURL, display: String, options: WebSocketConnection.Options) {
        self.url = url
        self.display = display
        self.options = options
    }

    /// Resumes the caller once; later calls do nothing.
    func finish(_ result: Result<HTTPClient.Response, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

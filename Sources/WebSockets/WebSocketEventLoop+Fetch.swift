import Foundation
import SharedBrowserSupport

/// The loop's HTTP GETs (``HTTPClient``): one client connection each, the answer gathered whole.
extension WebSocketEventLoop {
    func startFetch(_ fetch: HTTPFetch, _ context: LWSContext) {
        guard fetch.continuation.withLock({ $0 != nil }) else { return }   // timed out or cancelled already
        let io = fetch.io
        guard let vhost = clientVhost(for: fetch.url, trusting: fetch.options.trustedCertificatesFile, context) else {
            fetch.finish(.failure(WebSocketError(.connectFailed, "cannot use the trusted certificates in \(fetch.options.trustedCertificatesFile ?? "the system's store") for \(fetch.display)")))
            return
        }
        connectingFetch = fetch
        let socket = context.connect(LWSClientRequest(url: fetch.url, vhost: vhost, method: "GET", origin: nil)) {
            io.cStrings.append($0)
        }
        connectingFetch = nil
        if let socket {
            if fetch.continuation.withLock({ $0 != nil }) {
                fetchMap[socket] = fetch
                io.socket = socket
            }
        } else {
            fetch.finish(.failure(WebSocketError(.connectFailed, "could not start connecting to \(fetch.display)")))
        }
    }

    /// The GET `socket` belongs to, for the callbacks an HTTP client connection gets.
    func fetch(for socket: LWSSocket) -> HTTPFetch? {
        if let fetch = fetchMap[socket] { return fetch }
        guard let fetch = connectingFetch else { return nil }
        fetchMap[socket] = fetch
        fetch.io.socket = socket
        return fetch
    }

    func handleFetch(_ fetch: HTTPFetch, _ socket: LWSSocket, _ event: LWSEvent) -> LWSAnswer {
        let io = fetch.io
        switch event {
        case .clientConnectionError(let detail):
            let status = socket.httpStatus
            if (300..<600).contains(status) {
                fetch.finish(.failure(WebSocketError(.httpStatus, "\(fetch.display) answered HTTP \(status)")))
            } else {
                fetch.finish(.failure(WebSocketError(.connectFailed, "connecting to \(fetch.display) failed: \(detail)")))
            }
            return .ok
        case .appendHandshakeHeaders(let writer):
            return writer.append(fetch.options.headers) ? .ok : .close
        case .httpClientEstablished:
            io.status = socket.httpStatus
            if !(200..<300).contains(io.status) {
                fetch.finish(.failure(WebSocketError(.httpStatus, "\(fetch.display) answered HTTP \(io.status)")))
                return .close
            }
            return .ok
        case .httpClientReadable:
            return socket.readHTTPClient() ? .ok : .close
        case .httpClientBody(let bytes):
            if io.body.count + bytes.count > HTTPClient.maxBodySize {
                fetch.finish(.failure(WebSocketError(.messageTooLarge, "the answer from \(fetch.display) is over \(HTTPClient.maxBodySize) bytes")))
                return .close
            }
            io.body.append(contentsOf: bytes)
            return .ok
        case .httpClientCompleted:
            fetch.finish(.success(HTTPClient.Response(status: io.status, body: io.body)))
            // The server may keep the connection open (Chromium's DevTools server does): close it.
            socket.kill()
            return .ok
        case .httpClientClosed:
            fetch.finish(.failure(WebSocketError(.connectionClosed, "\(fetch.display) closed the connection before the whole answer")))
            return .ok
        default:   // .destroyed
            fetchMap.removeValue(forKey: socket)
            io.socket = nil
            fetch.finish(.failure(WebSocketError(.connectionClosed, "the connection to \(fetch.display) ended before the whole answer")))
            return .ok
        }
    }
}

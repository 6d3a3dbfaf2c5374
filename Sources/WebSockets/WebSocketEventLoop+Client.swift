import Foundation
import SharedBrowserSupport

/// The loop's client WebSockets: connecting, receiving whole messages, writing queued ones.
extension WebSocketEventLoop {
    func startConnect(_ connection: WebSocketConnection, _ context: LWSContext) {
        guard let url = connection.url else { return }
        if connection.shared.withLock({ $0.abortRequested }) {
            connection.didCloseSocket(failure: "connect to \(url) abandoned")
            return
        }
        let io = connection.io
        guard let vhost = clientVhost(for: url, trusting: connection.options.trustedCertificatesFile, context) else {
            connection.didCloseSocket(failure: "cannot use the trusted certificates in \(connection.options.trustedCertificatesFile ?? "the system's store") for \(url)")
            return
        }
        connecting = connection
        let socket = context.connect(LWSClientRequest(url: url, vhost: vhost, method: nil, origin: connection.options.origin)) {
            io.cStrings.append($0)
        }
        connecting = nil
        if let socket {
            if connection.closeInfo == nil {
                sockets[socket] = connection
                io.socket = socket
            }
        } else {
            connection.didCloseSocket(failure: "could not start connecting to \(url)")
        }
    }

    /// The vhost a client connection to `url` goes through: the plain client one, or for a secure
    /// URL the TLS one that trusts the system's authorities and `file` (made on first use: lws keeps
    /// one client TLS context per vhost). nil when the TLS vhost cannot be made.
    func clientVhost(for url: WebSocketURL, trusting file: String?, _ context: LWSContext) -> LWSVhost? {
        guard url.isSecure else { return clientVhost }
        if let vhost = tlsVhosts[file ?? ""] { return vhost }
        guard let vhost = context.makeVhost("client-tls-\(tlsVhosts.count)", kind: .client, protocolName: LWSContext.clientProtocol,
                                            tls: true, caFile: file) else { return nil }
        tlsVhosts[file ?? ""] = vhost
        return vhost
    }

    /// The connection `socket` belongs to; while a connect is under way, lws's first callbacks for
    /// its socket come before the loop knows it, so they are the connecting one's.
    func connection(for socket: LWSSocket, allowConnecting: Bool) -> WebSocketConnection? {
        if let connection = sockets[socket] { return connection }
        if allowConnecting, let connection = connecting {
            sockets[socket] = connection
            connection.io.socket = socket
            return connection
        }
        return nil
    }

    func closed(_ socket: LWSSocket, failure: String?) {
        guard let connection = sockets.removeValue(forKey: socket) else { return }
        connection.io.socket = nil
        connection.didCloseSocket(failure: failure)
    }

    func handleClient(_ socket: LWSSocket, _ event: LWSEvent) -> LWSAnswer {
        switch event {
        case .appendHandshakeHeaders(let writer):
            guard let connection = connection(for: socket, allowConnecting: true) else { return .ok }
            return writer.append(connection.options.headers) ? .ok : .close
        case .clientConnectionError(let detail):
            let connection = connection(for: socket, allowConnecting: true)
            let target = connection?.url?.description ?? "peer"
            closed(socket, failure: "connecting to \(target) failed: \(detail)")
            return .ok
        case .clientEstablished:
            connection(for: socket, allowConnecting: true)?.didEstablish()
            return .ok
        case .receive(let bytes):
            guard let connection = connection(for: socket, allowConnecting: false) else { return .close }
            receive(connection, socket, bytes)
            return .ok
        case .writeable:
            guard let connection = connection(for: socket, allowConnecting: false) else { return .ok }
            return write(connection, socket)
        case .peerClose(let code, let reason):
            connection(for: socket, allowConnecting: false)?.io.peerClose = WebSocketCloseInfo(code: code, reason: reason, initiatedLocally: false)
            return .ok
        case .closed:
            closed(socket, failure: nil)
            return .ok
        default:
            return .lwsDefault
        }
    }

    /// Gathers a message's fragments and hands the whole message to the handler.
    private func receive(_ connection: WebSocketConnection, _ socket: LWSSocket, _ bytes: UnsafeRawBufferPointer) {
        let io = connection.io
        let first = io.rx.isEmpty
        if io.discardingMessage { return }
        if io.rx.count + bytes.count > connection.options.maxMessageSize {
            connection.messageTooLarge(size: io.rx.count + bytes.count)
            return
        }
        if first { io.rxBinary = socket.frameIsBinary }
        let final = socket.messageIsComplete
        let message: Data
        if final && first {
            message = Data(bytes)
        } else {
            io.rx.append(contentsOf: bytes)
            guard final else { return }
            message = io.rx
            io.rx = Data()
        }
        connection.handler.webSocket(connection, didReceive: WebSocketMessage(data: message, isBinary: io.rxBinary))
    }

    private func write(_ connection: WebSocketConnection, _ socket: LWSSocket) -> LWSAnswer {
        switch connection.nextWrite() {
        case .nothing:
            return .ok
        case .abort:
            return .close
        case .closeFrame(let code, let reason):
            socket.setCloseReason(code: code, reason: reason)
            return .close
        case .message(let message, let more):
            guard let context, socket.write(message.data, message.binary ? .binary : .text, in: context) else { return .close }
            if more { socket.requestWritable() }
            return .ok
        }
    }
}

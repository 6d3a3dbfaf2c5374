/// The lifecycle of one WebSocket connection, as a value.
///
/// No I/O happens here: the connection asks the machine what to do for each event and then does it,
/// outside its lock. States: `connecting` → `open` → `closing` → `closed`; `connecting` may go straight
/// to `closed` when the handshake fails or the caller gives up.
package struct WebSocketConnectionStateMachine: Sendable {
    package enum State: Sendable, Equatable {
        case connecting
        case open
        /// A close frame is queued or sent; waiting for the peer or the socket to go.
        case closing(WebSocketCloseInfo)
        case closed(WebSocketCloseInfo)
    }

    package enum ConnectAction: Sendable, Equatable {
        /// The handshake finished: resume the caller of `connect`.
        case resumeConnected
        /// Nothing to do (the connection was already given up).
        case none
    }

    package enum SendAction: Sendable, Equatable {
        case enqueue
        case reject(WebSocketError)
    }

    package enum CloseAction: Sendable, Equatable {
        /// Ask the service thread to send a close frame with this code and reason.
        case sendCloseFrame(code: UInt16, reason: String)
        /// Not yet connected: drop the socket and fail the pending connect with this error.
        case abortConnect(WebSocketError)
        case none
    }

    package enum ClosedAction: Sendable, Equatable {
        /// The connect never completed: fail it.
        case failConnect(WebSocketError)
        /// The connection was open: tell the handler it closed.
        case notifyClosed(WebSocketCloseInfo)
        case none
    }

    package private(set) var state: State = .connecting

    package init() {}

    package var isOpen: Bool { state == .open }

    /// The error a send or a new operation gets once the connection is no longer open.
    package var closedError: WebSocketError? {
        switch state {
        case .connecting, .open: return nil
        case .closing(let info), .closed(let info):
            return info.error ?? WebSocketError(
                .connectionClosed, "connection closed (\(info))", closeCode: info.code)
        }
    }

    package mutating func established() -> ConnectAction {
        switch state {
        case .connecting:
            state = .open
            return .resumeConnected
        case .open:
            preconditionFailure("a connection cannot be established twice")
        case .closing, .closed:
            // The caller gave up (timeout, close) while the handshake was finishing.
            return .none
        }
    }

    package mutating func sendRequested() -> SendAction {
        switch state {
        case .open: return .enqueue
        case .connecting:
            return .reject(WebSocketError(.connectionClosed, "connection is not open yet"))
        case .closing, .closed:
            return .reject(closedError!)
        }
    }

    package mutating func closeRequested(code: UInt16, reason: String, error: WebSocketError? = nil) -> CloseAction {
        let info = WebSocketCloseInfo(code: code, reason: reason, initiatedLocally: true, error: error)
        switch state {
        case .connecting:
            let failure = error ?? WebSocketError(.connectionClosed, "connect abandoned: \(reason)", closeCode: code)
            state = .closed(WebSocketCloseInfo(code: code, reason: reason, initiatedLocally: true, error: failure))
            return .abortConnect(failure)
        case .open:
            state = .closing(info)
            return .sendCloseFrame(code: code, reason: reason)
        case .closing, .closed:
            return .none
        }
    }

    /// The socket is gone (after a close handshake, a peer close, an error, or a dropped connection).
    /// `peer` is the close frame the peer sent, if any.
    package mutating func socketClosed(peer: WebSocketCloseInfo?, failure: String? = nil) -> ClosedAction {
        switch state {
        case .connecting:
            let error = WebSocketError(.connectFailed, failure ?? "connection failed during the handshake")
            state = .closed(WebSocketCloseInfo(code: 1006, reason: failure ?? "", initiatedLocally: false, error: error))
            return .failConnect(error)
        case .open:
            let info = peer ?? WebSocketCloseInfo(
                code: 1006, reason: failure ?? "connection dropped without a close frame", initiatedLocally: false)
            state = .closed(info)
            return .notifyClosed(info)
        case .closing(let local):
            state = .closed(local)
            return .notifyClosed(local)
        case .closed:
            return .none
        }
    }
}

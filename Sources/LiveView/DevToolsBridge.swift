import CDPTransport
import Coordination
import Foundation
import SharedBrowserSupport
import SharedSession
import WebSockets

/// One person's DevTools on one tab, through the live view (`/devtools/page[/<tab>]` with the
/// control token): CDP from the DevTools front end goes to a session of its own on that tab
/// (``SharedBrowserSession/openDevTools(tab:for:)``), and that session's events, and those of the
/// frames and workers DevTools attaches to below it, come back.
///
/// Commands go on in the order they came, without waiting for each other's replies. A command for a
/// session that is not this tab's or below it is refused, so DevTools on one tab cannot reach the
/// browser or another tab.
final class DevToolsBridge: WebSocketHandler {
    private struct State {
        var socket: WebSocketConnection?
        var page: CDPSession?
        /// The sessions DevTools may address: the tab's and those attached below it.
        var sessions: [String: CDPSession] = [:]
        var closed = false
    }
    private let session: SharedBrowserSession
    private let targetId: String?
    private let person: Participant
    private let state = LockedValue(State())
    private let inbox: AsyncStream<Data>.Continuation
    private let inboxStream: AsyncStream<Data>
    private let onClose: @Sendable (DevToolsBridge) -> Void
    /// Thread-safe, and costly to make per message.
    private static let decoder = JSONDecoder()
    private static let encoder = JSONEncoder()

    init(session: SharedBrowserSession, targetId: String?, person: Participant, onClose: @escaping @Sendable (DevToolsBridge) -> Void) {
        self.session = session
        self.targetId = targetId
        self.person = person
        self.onClose = onClose
        (inboxStream, inbox) = AsyncStream.makeStream(of: Data.self)
    }

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        state.withLock { $0.socket = connection }
        Task { await run() }
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        inbox.yield(message.data)
    }

    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) {
        inbox.finish()
        onClose(self)
    }

    /// Closes the person's DevTools (the live view stopped or its control link was revoked).
    func close(reason: String) {
        state.withLock { $0.socket }?.close(code: 1000, reason: reason)
    }

    private func run() async {
        let page: CDPSession
        do { page = try await session.openDevTools(tab: targetId, for: person) } catch {
            state.withLock { $0.socket }?.close(code: 1011, reason: String("\(error)".prefix(120)))
            return
        }
        state.withLock { s in
            s.page = page
            s.sessions[page.id] = page
        }
        forwardEvents(of: page, top: true)
        for await data in inboxStream { handle(data, page: page) }
        state.withLock { $0.closed = true }
        await session.closeDevTools(page, for: person)
    }

    private struct Command: Decodable {
        var id: Int
        var method: String
        var params: JSONValue?
        var sessionId: String?
    }

    private func handle(_ data: Data, page: CDPSession) {
        guard let command = try? Self.decoder.decode(Command.self, from: data) else {
            state.withLock { $0.socket }?.close(code: 1003, reason: "not a CDP command")
            return
        }
        let target: CDPSession? = if let id = command.sessionId { state.withLock { $0.sessions[id] } } else { page }
        guard let target else {
            reply(["id": .number(Double(command.id)), "sessionId": command.sessionId.map(JSONValue.string) ?? .null,
                   "error": ["code": -32001, "message": "Session with given id not found."]])
            return
        }
        let pending = target.post(method: command.method, params: command.params ?? [:])
        Task {
            var answer: [String: JSONValue] = ["id": .number(Double(command.id))]
            if let sessionId = command.sessionId { answer["sessionId"] = .string(sessionId) }
            do { answer["result"] = try await pending.value } catch let error as CDPError {
                answer["error"] = ["code": .number(Double(error.protocolCode ?? -32000)), "message": .string(error.message)]
            } catch {
                answer["error"] = ["code": -32000, "message": .string("\(error)")]
            }
            reply(.object(answer))
        }
    }

    /// Sends `session`'s events to DevTools (the tab's own without a `sessionId`, as a page endpoint
    /// does), and follows the sessions attached below it.
    private func forwardEvents(of cdpSession: CDPSession, top: Bool) {
        let events = cdpSession.events(bufferingNewest: 100_000)
        Task {
            for await event in events {
                guard case .object(var message) = (try? Self.decoder.decode(JSONValue.self, from: event.raw)) ?? .null else { continue }
                if top { message.removeValue(forKey: "sessionId") }
                if event.method == "Target.attachedToTarget", case .object(let params)? = message["params"],
                   case .string(let childId)? = params["sessionId"],
                   let child = cdpSession.connection.session(id: childId) {
                    let added = state.withLock { s -> Bool in
                        guard !s.closed, s.sessions[childId] == nil else { return false }
                        s.sessions[childId] = child
                        return true
                    }
                    if added { forwardEvents(of: child, top: false) }
                }
                if event.method == "Target.detachedFromTarget", case .object(let params)? = message["params"],
                   case .string(let childId)? = params["sessionId"] {
                    _ = state.withLock { $0.sessions.removeValue(forKey: childId) }
                }
                reply(.object(message))
            }
            // The tab closed, or the browser went: DevTools has nothing left to show.
            if top { close(reason: "the tab is gone") }
        }
    }

    private func reply(_ message: JSONValue) {
        guard let socket = state.withLock({ $0.socket }), let data = try? Self.encoder.encode(message) else { return }
        try? socket.send(data)
    }
}

@testable import CDPTransport
import Foundation
import Testing
import TestSupport
import WebSockets

/// A scriptable CDP peer for fault injection: a real WebSocket server on loopback that records the
/// commands it receives and sends whatever the test tells it to — well-formed or not.
final class FakePeer: WebSocketHandler, @unchecked Sendable {
    struct Command: Sendable {
        var id: Int
        var method: String
        var sessionId: String?
    }

    private(set) var server: WebSocketServer!
    let commands: AsyncStream<Command>
    private let commandSink: AsyncStream<Command>.Continuation
    let opened: AsyncStream<WebSocketConnection>
    private let openSink: AsyncStream<WebSocketConnection>.Continuation
    private var commandIterator: AsyncStream<Command>.AsyncIterator
    private(set) var peer: WebSocketConnection?

    private init() {
        (commands, commandSink) = AsyncStream.makeStream()
        (opened, openSink) = AsyncStream.makeStream()
        commandIterator = commands.makeAsyncIterator()
    }

    /// Starts a peer and connects a `CDPConnection` to it.
    static func connected(options: CDPConnection.Options = CDPConnection.Options()) async throws -> (FakePeer, CDPConnection) {
        let fake = FakePeer()
        fake.server = try await WebSocketServer.start { _ in fake }
        let connection = try await CDPConnection.connect(to: "ws://127.0.0.1:\(fake.server.port)/devtools/browser/fake", options: options)
        var openIterator = fake.opened.makeAsyncIterator()
        fake.peer = await openIterator.next()
        return (fake, connection)
    }

    func webSocketDidOpen(_ connection: WebSocketConnection) { openSink.yield(connection) }

    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        struct Incoming: Decodable {
            var id: Int
            var method: String
            var sessionId: String?
        }
        if let command = try? JSONDecoder().decode(Incoming.self, from: message.data) {
            commandSink.yield(Command(id: command.id, method: command.method, sessionId: command.sessionId))
        }
    }

    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) {
        commandSink.finish()
    }

    /// The next command the client sent.
    func nextCommand() async throws -> Command {
        try #require(await commandIterator.next())
    }

    func send(_ text: String) throws { try #require(peer).send(text: text) }
    func send(_ data: Data) throws { try #require(peer).send(data) }

    func stop() async { await server.stop() }
}

@testable import CDPTransport
import Foundation
import Testing
import TestSupport
import WebSockets

/// Routing and faults, against a scripted peer (the real browser is tested in IntegrationTests).
@Suite struct FaultInjectionTests {
    @Test func repliesAreMatchedByIdWhateverTheirOrder() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        async let a = connection.browserSession.send(method: "A.a")
        async let b = connection.browserSession.send(method: "B.b")
        let first = try await peer.nextCommand()
        let second = try await peer.nextCommand()
        // Answer in reverse order, each with its own method name echoed.
        try peer.send(#"{"id":\#(second.id),"result":{"echo":"\#(second.method)"}}"#)
        try peer.send(#"{"id":\#(first.id),"result":{"echo":"\#(first.method)"}}"#)
        #expect(try await a["echo"] == "A.a")
        #expect(try await b["echo"] == "B.b")
    }

    @Test func aReplyWithAnUnknownIdIsIgnored() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        async let reply = connection.browserSession.send(method: "X.y")
        let command = try await peer.nextCommand()
        try peer.send(#"{"id":424242,"result":{}}"#)
        try peer.send(#"{"id":\#(command.id),"result":{"ok":true}}"#)
        #expect(try await reply["ok"] == true)
        #expect(connection.closedError == nil)
    }

    @Test func aTimedOutCommandFailsAndItsLateReplyIsDropped() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        let error = await cdpError { try await connection.browserSession.send(method: "Slow.call", timeout: .milliseconds(50)) }
        #expect(error?.code == .timeout)
        #expect(error?.method == "Slow.call")
        let late = try await peer.nextCommand()
        try peer.send(#"{"id":\#(late.id),"result":{}}"#)
        // The connection is still healthy.
        async let next = connection.browserSession.send(method: "Fast.call")
        let command = try await peer.nextCommand()
        try peer.send(#"{"id":\#(command.id),"result":{"v":1}}"#)
        #expect(try await next["v"] == 1)
        #expect(connection.outstandingCommands.isEmpty)
    }

    @Test func protocolErrorsAndClosedSessionsAreTyped() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        Task {
            let c1 = try await peer.nextCommand()
            try peer.send(#"{"id":\#(c1.id),"error":{"code":-32601,"message":"'Nope.nope' wasn't found"}}"#)
            let c2 = try await peer.nextCommand()
            try peer.send(#"{"id":\#(c2.id),"error":{"code":-32001,"message":"Session with given id not found."}}"#)
        }
        let unknown = await cdpError { try await connection.browserSession.send(method: "Nope.nope") }
        #expect(unknown?.code == .protocolError)
        #expect(unknown?.protocolCode == -32601)
        #expect(unknown?.message.contains("Nope.nope") == true)
        let gone = await cdpError { try await connection.browserSession.send(method: "Page.enable") }
        #expect(gone?.code == .targetClosed)
    }

    @Test func attachedTargetsGetASessionBeforeTheirFirstEvent() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        async let attach = connection.browserSession.send(Target.AttachToTarget(targetId: "T1", flatten: true))
        let command = try await peer.nextCommand()
        #expect(command.method == "Target.attachToTarget")
        try peer.send(#"{"method":"Target.attachedToTarget","params":{"sessionId":"S1","targetInfo":{"targetId":"T1","type":"page","title":"","url":"about:blank","attached":true,"canAccessOpener":false},"waitingForDebugger":false}}"#)
        try peer.send(#"{"id":\#(command.id),"result":{"sessionId":"S1"}}"#)
        let reply = try await attach
        let session = try #require(connection.session(id: reply.sessionId))
        #expect(session.targetId == "T1")
        #expect(session.targetType == "page")

        // Events reach the right session, typed; malformed ones are skipped, not fatal.
        let events = session.events(Page.LoadEventFired.self)
        try peer.send(#"{"method":"Page.loadEventFired","params":{"timestamp":"not a number"},"sessionId":"S1"}"#)
        try peer.send(#"{"method":"Page.loadEventFired","params":{"timestamp":1.5},"sessionId":"UNKNOWN"}"#)
        try peer.send(#"{"params":{}}"#)
        try peer.send(#"{"method":"Made.up","params":{"x":1},"sessionId":"S1"}"#)
        try peer.send(#"{"method":"Page.loadEventFired","params":{"timestamp":2.5},"sessionId":"S1"}"#)
        var iterator = events.makeAsyncIterator()
        let loaded = await iterator.next()
        #expect(loaded?.timestamp == 2.5)

        // Detaching closes the session and fails its pending commands.
        let pending = Task { try await session.send(method: "Runtime.evaluate") }
        _ = try await peer.nextCommand()
        try peer.send(#"{"method":"Target.detachedFromTarget","params":{"sessionId":"S1","targetId":"T1"}}"#)
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .targetClosed)
        #expect(connection.session(id: "S1") == nil)
        let after = await cdpError { try await session.send(method: "Runtime.evaluate") }
        #expect(after?.code == .targetClosed)
    }

    @Test func unknownEventsPassThroughRaw() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        let events = connection.browserSession.events()
        try peer.send(#"{"method":"Future.somethingNew","params":{"answer":42}}"#)
        var iterator = events.makeAsyncIterator()
        let event = await iterator.next()
        #expect(event?.method == "Future.somethingNew")
        #expect(event?.params["answer"]?.intValue == 42)
    }

    @Test func invalidJSONClosesTheConnectionAndFailsPendingCommands() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await peer.stop() } }
        let pending = Task { try await connection.browserSession.send(method: "A.b") }
        _ = try await peer.nextCommand()
        try peer.send("]this is not json[")
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .invalidResponse)
        let later = await cdpError { try await connection.browserSession.send(method: "A.b") }
        #expect(later?.code == .invalidResponse)
    }

    /// Far over the cap (10x to 300x) the connection closes with `messageTooLarge` and the process lives.
    @Test(arguments: [100_000, 1 << 20, 20 << 20])
    func aMessageOverTheCapClosesWithMessageTooLarge(size: Int) async throws {
        var options = CDPConnection.Options()
        options.maxMessageSize = 64 << 10
        let (peer, connection) = try await FakePeer.connected(options: options)
        defer { Task { await peer.stop() } }
        let pending = Task { try await connection.browserSession.send(method: "Big.reply") }
        let command = try await peer.nextCommand()
        let big = String(repeating: "x", count: size)
        try peer.send(#"{"id":\#(command.id),"result":{"data":"\#(big)"}}"#)
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .messageTooLarge)
        let later = await cdpError { try await connection.browserSession.send(method: "A.b") }
        #expect(later?.code == .messageTooLarge)
    }

    @Test func aDroppedSocketFailsEveryPendingCommandAtOnce() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await peer.stop() } }
        let root = connection.browserSession
        try await withThrowingTaskGroup(of: CDPError?.self) { group in
            for _ in 0..<5 {
                group.addTask { await cdpError { try await root.send(method: "Never.answered") } }
            }
            for _ in 0..<5 { _ = try await peer.nextCommand() }
            try #require(peer.peer).abort()
            for try await error in group {
                #expect(error?.code == .connectionClosed)
            }
        }
        let later = await cdpError { try await root.send(method: "After.close") }
        #expect(later?.code == .connectionClosed)
    }

    @Test func aSlowSubscriberLosesItsOldestEventsAndIsToldHowMany() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        let slow = connection.browserSession.events(bufferingNewest: 4)
        let fast = connection.browserSession.events(["Tick.tock"], bufferingNewest: 1000)
        for i in 0..<20 { try peer.send(#"{"method":"Tick.tock","params":{"i":\#(i)}}"#) }
        var fastIterator = fast.makeAsyncIterator()
        for i in 0..<20 { #expect(await fastIterator.next()?.params["i"]?.intValue == i) }
        var slowIterator = slow.makeAsyncIterator()
        #expect(await slowIterator.next()?.params["i"]?.intValue == 16)
        #expect(connection.browserSession.droppedEventCount == 16)
    }

    @Test func cancellingTheAwaitingTaskFailsTheCommandAtOnce() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        let pending = Task { try await connection.browserSession.send(method: "Never.answered") }
        let command = try await peer.nextCommand()
        pending.cancel()
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .cancelled)
        #expect(error?.method == "Never.answered")
        #expect(connection.outstandingCommands.isEmpty)
        // Its late reply is dropped; the connection goes on.
        try peer.send(#"{"id":\#(command.id),"result":{}}"#)
        let next = Task { try await connection.browserSession.send(method: "Next.call") }
        let nextCommand = try await peer.nextCommand()
        try peer.send(#"{"id":\#(nextCommand.id),"result":{"n":2}}"#)
        #expect(try await next.value["n"] == 2)
    }

    @Test func aTaskCancelledBeforeSendingSendsNothing() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        let session = connection.browserSession
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await session.send(method: "Never.sent")
        }
        let error = await cdpError { _ = try await cancelled.value }
        #expect(error?.code == .cancelled)
        // The next command the peer sees is the next one sent, not the cancelled one.
        let next = Task { try await session.send(method: "Sent.after") }
        let command = try await peer.nextCommand()
        #expect(command.method == "Sent.after")
        try peer.send(#"{"id":\#(command.id),"result":{}}"#)
        _ = try await next.value
    }

    @Test func commandsSentInOrderGoOutBackToBackAndFailWithTheFirstError() async throws {
        let (peer, connection) = try await FakePeer.connected()
        defer { Task { await connection.close(); await peer.stop() } }
        let session = connection.browserSession
        let commands = (1...5).map { Target.ActivateTarget(targetId: "T\($0)") }
        let batch = Task { try await session.send(inOrder: commands) }
        // All five arrive before any reply is sent: nothing waited for a round trip.
        var received: [FakePeer.Command] = []
        for _ in 0..<5 { received.append(try await peer.nextCommand()) }
        #expect(received.map(\.id) == received.map(\.id).sorted())
        for command in received.reversed() { try peer.send(#"{"id":\#(command.id),"result":{}}"#) }
        #expect(try await batch.value.count == 5)

        let failing = Task { try await session.send(inOrder: [Target.ActivateTarget(targetId: "A"), Target.ActivateTarget(targetId: "B")]) }
        let first = try await peer.nextCommand(), second = try await peer.nextCommand()
        try peer.send(#"{"id":\#(second.id),"result":{}}"#)
        try peer.send(#"{"id":\#(first.id),"error":{"code":-32000,"message":"No target with given id found"}}"#)
        let error = await cdpError { _ = try await failing.value }
        #expect(error?.code == .protocolError)
        #expect(error?.message.contains("No target") == true)
        #expect(connection.outstandingCommands.isEmpty)
    }
}

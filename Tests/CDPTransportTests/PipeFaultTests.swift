@testable import CDPTransport
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The pipe a launched browser speaks over, with a scripted peer on the browser's end: messages split
/// and joined across reads, a message over the cap, bytes that are not JSON, a peer that goes away.
@Suite struct PipeFaultTests {
    /// A connection on one end of a socket pair; the test is the browser on the other.
    struct Peer {
        let connection: CDPConnection
        let fd: Int32

        init(maxMessageSize: Int = 1 << 20) throws {
            let ends = try CDPPipeEnds.make()
            var options = CDPConnection.Options()
            options.maxMessageSize = maxMessageSize
            options.defaultTimeout = .seconds(10)
            connection = CDPConnection.open(pipe: ends.host, options: options)
            fd = ends.browser
        }

        /// The next command the connection sent (up to its NUL), as JSON. Read on a thread of its own:
        /// a blocking read on a task's thread could starve the task that sends the command.
        func nextCommand() async throws -> [String: Any] {
            let fd = self.fd
            let bytes: [UInt8] = await withCheckedContinuation { continuation in
                Thread {
                    var timeout = timeval(tv_sec: 10, tv_usec: 0)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var bytes: [UInt8] = []
                    var byte: UInt8 = 0
                    while recv(fd, &byte, 1, 0) == 1, byte != 0 { bytes.append(byte) }
                    continuation.resume(returning: bytes)
                }.start()
            }
            return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        }

        /// Writes `pieces` one after another, each in its own `send`.
        func write(_ pieces: [String]) {
            for piece in pieces { writeBytes(Data(piece.utf8)) }   // NUL bytes included, as they are
        }

        func writeBytes(_ data: Data) {
            data.withUnsafeBytes { _ = send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    @Test func repliesSplitAndJoinedAcrossReadsReachTheirCommands() async throws {
        let peer = try Peer()
        defer { close(peer.fd) }
        let first = Task { try await peer.connection.browserSession.send(method: "A.one") }
        let second = Task { try await peer.connection.browserSession.send(method: "A.two") }
        var sent: [String: Int] = [:]   // method -> id
        for _ in 0..<2 {
            let command = try await peer.nextCommand()
            sent[try #require(command["method"] as? String)] = try #require(command["id"] as? Int)
        }
        let (a, b) = (try #require(sent["A.one"]), try #require(sent["A.two"]))
        // Each reply carries its own id as its result. Both replies and an event in one write, the
        // second reply cut in the middle and finished by another.
        peer.write(["{\"id\":\(b),\"result\":{\"n\":\(b)}}\u{0}{\"method\":\"A.event\",\"params\":{}}\u{0}{\"id\":\(a),\"res",
                    "ult\":{\"n\":\(a)}}\u{0}"])
        #expect(try await first.value["n"]?.intValue == a)
        #expect(try await second.value["n"]?.intValue == b)
        await peer.connection.close()
    }

    @Test func aMessageOverTheCapClosesWithMessageTooLarge() async throws {
        let peer = try Peer(maxMessageSize: 64 << 10)
        defer { close(peer.fd) }
        let pending = Task { try await peer.connection.browserSession.send(method: "A.big") }
        _ = try await peer.nextCommand()
        peer.writeBytes(Data(repeating: UInt8(ascii: "x"), count: 200 << 10))   // no NUL: one message growing past the cap
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .messageTooLarge)
        #expect(peer.connection.closedError?.code == .messageTooLarge)
    }

    @Test func bytesThatAreNotJSONCloseTheConnectionWithInvalidResponse() async throws {
        let peer = try Peer()
        defer { close(peer.fd) }
        let pending = Task { try await peer.connection.browserSession.send(method: "A.wait") }
        _ = try await peer.nextCommand()
        peer.write(["not json at all\u{0}"])
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .invalidResponse)
    }

    @Test func aPeerThatGoesAwayFailsPendingCommandsAndRefusesNewOnes() async throws {
        let peer = try Peer()
        let pending = Task { try await peer.connection.browserSession.send(method: "A.wait") }
        _ = try await peer.nextCommand()
        close(peer.fd)
        let error = await cdpError { _ = try await pending.value }
        #expect(error?.code == .connectionClosed)
        let later = await cdpError { _ = try await peer.connection.browserSession.send(method: "A.after") }
        #expect(later?.code == .connectionClosed)
    }
}

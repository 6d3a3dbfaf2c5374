import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing
import WebSockets
import SharedBrowserSupport

/// Runs blocking socket work on a Dispatch thread: a task thread blocked in `send` or `read` (the
/// server reading slowly on purpose) would stall every task of the test process, deadlines included.
private func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// A client that speaks raw WebSocket frames, so a test can fragment, interleave and corrupt them at will.
/// Its calls block: make them through ``offThePool(_:)``.
private final class RawClient: @unchecked Sendable {
    // `@unchecked`: one socket, used by one caller at a time.
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { close(fd); throw RawError.failed("connect") }
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try write(Array(request.utf8))
        var response: [UInt8] = []
        var byte: UInt8 = 0
        while !response.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard read(fd, &byte, 1) == 1 else { throw RawError.failed("handshake") }
            response.append(byte)
        }
        guard String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { throw RawError.failed("upgrade") }
    }

    deinit { close(fd) }

    /// Writes what it can; a peer that closed the connection stops the writing (that is an outcome, not a failure).
    @discardableResult func write(_ bytes: [UInt8]) throws -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// One masked client frame.
    static func frame(fin: Bool, opcode: UInt8, payload: [UInt8], mask: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(0x80 | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(0x80 | 127)
            out += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    enum RawError: Error { case failed(String) }
}


@Suite struct FrameReassemblyFuzzTests {
    static let cap = 4096

    /// The server still accepts a new connection and echoes on it.
    /// A server whose first connection goes to `first` and every later one to an echoing recorder.
    static func server(_ config: WebSocketServer.Configuration, first: Recorder) async throws -> WebSocketServer {
        let accepted = LockedValue(0)
        return try await WebSocketServer.start(config) { _ in
            accepted.withLock { count in
                count += 1
                return count == 1 ? first : Recorder(echo: true)
            }
        }
    }

    static func expectEcho(from server: WebSocketServer) async throws {
        let probe = Recorder()
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: server.port, path: "/"), handler: probe)
        try connection.send(text: "alive")
        #expect(await probe.messages.next(within: .seconds(5)).map { String(decoding: $0.data, as: UTF8.self) } == "alive")
        connection.close(code: 1000, reason: "done")
    }

    /// Random messages, split into random fragments with pings between them, some far over the cap (10x to
    /// 100x): every message under the cap arrives whole and in order, the first one over it closes the
    /// connection with 1009 and `messageTooLarge`, and the server keeps serving.
    @Test(arguments: 0..<40)
    func fragmentedMessagesReassembleOrCloseWith1009(seed: Int) async throws {
        var random = SeededGenerator(seed: UInt64(seed) &* 7919 &+ 1)
        let serverSide = Recorder()
        var config = WebSocketServer.Configuration()
        config.maxMessageSize = Self.cap
        let server = try await Self.server(config, first: serverSide)
        defer { Task { await server.stop() } }
        let port = server.port
        let client = try await offThePool { try RawClient(port: port) }

        var expected: [[UInt8]] = []
        var overTheCap = false
        for index in 0..<Int.random(in: 1...6, using: &random) {
            let big = Int.random(in: 0..<5, using: &random) == 0
            let size = big ? Self.cap * Int.random(in: 10...100, using: &random) : Int.random(in: 0...Self.cap, using: &random)
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            var offset = 0
            var first = true
            repeat {
                let piece = min(payload.count - offset, Int.random(in: 0...max(1, size / 2 + 1), using: &random))
                let last = offset + piece == payload.count
                let opcode: UInt8 = first ? 2 : 0
                let mask = (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) }
                var bytes = RawClient.frame(fin: last, opcode: opcode, payload: Array(payload[offset..<offset + piece]), mask: mask)
                if Bool.random(using: &random) {
                    bytes += RawClient.frame(fin: true, opcode: 9, payload: [1, 2, 3], mask: mask)
                }
                let frames = bytes
                guard try await offThePool({ try client.write(frames) }) else { break }
                offset += piece
                first = false
            } while offset < payload.count
            if size > Self.cap { overTheCap = true; break }
            expected.append(payload)
        }
        var iterator = serverSide.messages.makeAsyncIterator()
        for message in expected {
            let received = try #require(await iterator.next(), "seed \(seed)")
            #expect(Array(received.data) == message, "seed \(seed)")
            #expect(received.isBinary)
        }
        if overTheCap {
            let info = await serverSide.closes.next(within: .seconds(5))
            #expect(info?.code == 1009, "seed \(seed)")
            #expect(info?.error?.code == .messageTooLarge, "seed \(seed)")
        }
        try await Self.expectEcho(from: server)
    }

    /// Random bytes after the handshake (bad opcodes, reserved bits, unmasked and truncated frames): the
    /// connection closes or waits, the process lives, and the same server accepts a new connection.
    @Test(arguments: 0..<20)
    func garbageFramesCloseOnlyThatConnection(seed: Int) async throws {
        var random = SeededGenerator(seed: UInt64(seed) &* 104_729 &+ 3)
        var config = WebSocketServer.Configuration()
        config.maxMessageSize = Self.cap
        let server = try await WebSocketServer.start(config) { _ in Recorder(echo: true) }
        defer { Task { await server.stop() } }
        do {
            let port = server.port
            let client = try await offThePool { try RawClient(port: port) }
            let garbage = (0..<Int.random(in: 1...20_000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try await offThePool { try client.write(garbage) }
        }
        try await Self.expectEcho(from: server)
    }

    /// A client that never reads: the server queues for it up to its cap, then the next message fails
    /// with `tooFarBehind`, the connection closes with 1008 at once (no close frame waits behind the
    /// queue), and memory is bounded by the cap; the server goes on serving others.
    @Test func aClientThatNeverReadsIsClosedAtTheQueueCap() async throws {
        let serverSide = Recorder()
        var config = WebSocketServer.Configuration()
        config.maxQueuedBytes = 256 << 10
        let server = try await Self.server(config, first: serverSide)
        defer { Task { await server.stop() } }
        let port = server.port
        let client = try await offThePool { try RawClient(port: port) }
        defer { close(client.fd) }
        var opens = serverSide.opens.makeAsyncIterator()
        let connection = try #require(await opens.next())
        let chunk = Data(repeating: 7, count: 64 << 10)
        var refusal: WebSocketError?
        for _ in 0..<10_000 {
            do { try connection.send(chunk, binary: true) } catch let error as WebSocketError {
                refusal = error
                break
            }
            #expect(connection.queuedBytes <= config.maxQueuedBytes)
        }
        #expect(refusal?.code == .tooFarBehind, "\(String(describing: refusal))")
        let info = await serverSide.closes.next(within: .seconds(5))
        #expect(info != nil, "the connection closed")
        #expect(connection.queuedBytes == 0)
        try await Self.expectEcho(from: server)
    }
}

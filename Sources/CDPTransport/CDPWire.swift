import Foundation
import SharedBrowserSupport
import WebSockets
#if canImport(Glibc)
import Glibc
#endif

/// What a ``CDPConnection`` sends its messages through: a WebSocket, or the pipe of a browser it
/// launched.
protocol CDPWire: Sendable {
    /// Queues one whole message (a JSON object) for the browser.
    func transmit(_ message: Data) throws
    /// Ends the link; what is queued goes first where the link allows.
    func shutDown(code: UInt16, reason: String)
}

extension WebSocketConnection: CDPWire {
    func transmit(_ message: Data) throws { try send(message) }
    func shutDown(code: UInt16, reason: String) { close(code: code, reason: reason) }
}

/// The browser's end of a ``CDPPipe``: a socket the browser reads as its descriptor 3 and writes as
/// its descriptor 4 (`--remote-debugging-pipe`), so no port listens.
struct CDPPipeEnds {
    /// Ours: read and write.
    let host: Int32
    /// The browser's, close-on-exec and above 4, to be made its descriptors 3 and 4 at spawn.
    let browser: Int32

    /// A connected pair of Unix stream sockets (`send` with `MSG_NOSIGNAL` never raises SIGPIPE when
    /// the browser is gone, where a pipe would).
    static func make() throws -> CDPPipeEnds {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw CDPError(.launchFailed, "cannot create the browser's pipe: \(String(cString: strerror(errno)))")
        }
        // Above 4, so that making it the child's 3 and 4 never overwrites it first.
        let high = fcntl(fds[1], F_DUPFD_CLOEXEC, 5)
        close(fds[1])
        guard high >= 0 else {
            close(fds[0])
            throw CDPError(.launchFailed, "cannot create the browser's pipe: \(String(cString: strerror(errno)))")
        }
        return CDPPipeEnds(host: fds[0], browser: high)
    }
}

/// CDP over the pipe of a launched browser: messages are JSON objects, each ended by a NUL byte.
///
/// A thread reads and splits the messages; messages go out from the sender's thread when the socket
/// takes them whole, else through a serial queue, in the order they were given.
final class CDPPipe: CDPWire {
    private struct State {
        var closed = false
        var closeError: CDPError?
        /// Messages handed to the writing queue and not yet written.
        var queuedWrites = 0
    }
    private let fd: Int32
    private let state = LockedValue(State())
    private let writes = DispatchQueue(label: "cdp-pipe-write")
    private let maxMessageSize: Int

    /// Takes over `fd` (our end); call ``start(onMessage:onClose:)`` to read.
    init(fd: Int32, maxMessageSize: Int) {
        self.fd = fd
        self.maxMessageSize = maxMessageSize
    }

    /// Starts reading: `onMessage` gets each whole message on the reading thread, in order; `onClose`
    /// once, when the link ends (nil when it ended in order, else why).
    func start(onMessage: @escaping @Sendable (Data) -> Void, onClose: @escaping @Sendable (CDPError?) -> Void) {
        let thread = Thread { [self] in
            read(onMessage: onMessage)
            let error = state.withLock { s in
                s.closed = true
                return s.closeError
            }
            // The descriptor is closed behind every queued write, so no write goes to a reused number.
            writes.async { [fd] in close(fd) }
            onClose(error)
        }
        thread.name = "cdp-pipe-read"
        thread.start()
    }

    private func read(onMessage: (Data) -> Void) {
        let chunkSize = 256 << 10
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        var partial = Data()
        while true {
            let n = recv(fd, chunk.baseAddress, chunkSize, 0)
            if n < 0, errno == EINTR { continue }
            if n < 0 { fail(CDPError(.connectionClosed, "reading the browser's pipe failed: \(String(cString: strerror(errno)))")) }
            if n <= 0 { return }
            // memchr and one copy per message: no per-byte Swift loop (which a debug build runs slowly).
            let base = chunk.baseAddress!
            var start = 0
            while start < n, let found = memchr(base + start, 0, n - start) {
                let end = base.distance(to: found)
                if partial.isEmpty {
                    onMessage(Data(bytes: base + start, count: end - start))
                } else {
                    partial.append(base.assumingMemoryBound(to: UInt8.self) + start, count: end - start)
                    onMessage(partial)
                    partial = Data()
                }
                start = end + 1
            }
            if start < n { partial.append(base.assumingMemoryBound(to: UInt8.self) + start, count: n - start) }
            if partial.count > maxMessageSize {
                fail(CDPError(.messageTooLarge, "the browser sent a message over \(maxMessageSize) bytes"))
                return
            }
        }
    }

    /// Records why the link ends, and ends it (the reading thread then sees the end). The descriptor
    /// is shut down only while it is still ours: once the reader has marked the link closed, its
    /// close may already have run.
    private func fail(_ error: CDPError) {
        state.withLock { s in
            if s.closeError == nil { s.closeError = error }
            if !s.closed { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Sends from the caller's thread when nothing waits and the socket takes the whole message at
    /// once (the usual case: no thread hop, no copy); else the writing queue sends the rest, in order.
    func transmit(_ message: Data) throws {
        var failure: Int32 = 0
        let queuedFrom: Int? = try state.withLock { s in
            if s.closed { throw CDPError(.connectionClosed, "the browser's pipe is closed") }
            guard s.queuedWrites == 0 else {
                s.queuedWrites += 1
                return 0
            }
            let sent = sendFrame(message, from: 0, flags: Int32(MSG_DONTWAIT))
            if sent == message.count + 1 { return nil }
            if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                failure = errno
                return nil
            }
            s.queuedWrites += 1
            return max(0, sent)
        }
        if failure != 0 {
            fail(CDPError(.connectionClosed, "writing to the browser's pipe failed: \(String(cString: strerror(failure)))"))
        }
        guard let queuedFrom else { return }
        writes.async { [self] in
            defer { state.withLock { $0.queuedWrites -= 1 } }
            guard !state.withLock({ $0.closed }) else { return }
            var offset = queuedFrom
            while offset <= message.count {
                let sent = sendFrame(message, from: offset, flags: 0)
                if sent < 0 {
                    if errno == EINTR { continue }
                    fail(CDPError(.connectionClosed, "writing to the browser's pipe failed: \(String(cString: strerror(errno)))"))
                    return
                }
                offset += sent
            }
        }
    }

    /// One `sendmsg` of the frame (the message and its NUL) from byte `offset` on: the bytes sent, or
    /// -1 with `errno` set. Never raises SIGPIPE.
    private func sendFrame(_ message: Data, from offset: Int, flags: Int32) -> Int {
        var terminator: UInt8 = 0
        return message.withUnsafeBytes { bytes in
            withUnsafeMutablePointer(to: &terminator) { nul in
                var parts = [iovec]()
                if offset < bytes.count, let base = bytes.baseAddress {
                    parts.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + offset), iov_len: bytes.count - offset))
                }
                parts.append(iovec(iov_base: UnsafeMutableRawPointer(nul), iov_len: 1))
                return parts.withUnsafeMutableBufferPointer { vectors in
                    var header = msghdr()
                    header.msg_iov = vectors.baseAddress
                    header.msg_iovlen = vectors.count
                    return sendmsg(fd, &header, flags | Int32(MSG_NOSIGNAL))
                }
            }
        }
    }

    func shutDown(code: UInt16, reason: String) {
        // Behind what is queued, as a WebSocket's closing handshake is.
        writes.async { [self] in
            guard !state.withLock({ $0.closed }) else { return }
            shutdown(fd, Int32(SHUT_RDWR))
        }
    }
}

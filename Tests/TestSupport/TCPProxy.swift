import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 in front of a local port, whose connections a test can drop (closed at
/// once) or stall (kept open, nothing forwarded) while the server behind it keeps running. New
/// connections are forwarded normally.
public final class TCPProxy: @unchecked Sendable {
    // `@unchecked`: `lock` guards `pairs`, `stopped`, `refusing`, `target` and `nextId`.
    public let port: Int
    private var target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var pairs: [Int: Pair] = [:]
    private var nextId = 0
    private var stopped = false
    private var refusing = false

    private final class Pair: @unchecked Sendable {
        let client: Int32
        let server: Int32
        var stalled = false
        var dropped = false
        init(client: Int32, server: Int32) {
            self.client = client
            self.server = server
        }
    }

    public init(to target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ProxyError.failed("cannot listen")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    public enum ProxyError: Error { case failed(String) }

    /// How many connections are open through the proxy.
    public var openConnections: Int { lock.withLock { pairs.values.filter { !$0.dropped }.count } }

    /// Closes every open connection (both sides), as a network that drops them would.
    public func dropAll() {
        let current = lock.withLock { Array(pairs.values) }
        for pair in current {
            lock.withLock { pair.dropped = true }
            shutdown(pair.client, Int32(SHUT_RDWR))
            shutdown(pair.server, Int32(SHUT_RDWR))
        }
    }

    /// Sends new connections to another local port (a server that came back elsewhere).
    public func retarget(to port: Int) { lock.withLock { target = port } }

    /// While true, new connections are closed as soon as they arrive (the far side is unreachable).
    public var refusesNewConnections: Bool {
        get { lock.withLock { refusing } }
        set { lock.withLock { refusing = newValue } }
    }

    /// Stops forwarding on every open connection, keeping them open (a link that hangs).
    public func stallAll() {
        lock.withLock { for pair in pairs.values { pair.stalled = true } }
    }

    public func stop() {
        lock.withLock { stopped = true }
        dropAll()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if refusesNewConnections {
                close(client)
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: lock.withLock { target })
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            let pair = Pair(client: client, server: server)
            let id = lock.withLock { () -> Int in
                nextId += 1
                pairs[nextId] = pair
                return nextId
            }
            let thread = Thread { [self] in
                forward(pair)
                lock.withLock { _ = pairs.removeValue(forKey: id) }
                close(pair.client)
                close(pair.server)
            }
            thread.start()
        }
    }

    private func forward(_ pair: Pair) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var fds = [pollfd(fd: pair.client, events: Int16(POLLIN), revents: 0), pollfd(fd: pair.server, events: Int16(POLLIN), revents: 0)]
        while true {
            let (stalled, dropped) = lock.withLock { (pair.stalled, pair.dropped) }
            if dropped { return }
            if stalled {
                // Read nothing, forward nothing, until dropped.
                usleep(20_000)
                continue
            }
            let ready = poll(&fds, 2, 50)
            if ready < 0, errno != EINTR { return }
            if ready <= 0 { continue }
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                let from = index == 0 ? pair.client : pair.server
                let to = index == 0 ? pair.server : pair.client
                let n = read(from, &buffer, buffer.count)
                if n <= 0 { return }
                var offset = 0
                while offset < n {
                    let written = buffer[offset..<n].withUnsafeBytes { send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }
}

/// A TCP socket connected to 127.0.0.1:`port` (the connect only started, when not `blocking`); nil
/// when no socket can be made or the connect fails.
public func loopbackSocket(port: Int, blocking: Bool = true, receiveBuffer: Int32? = nil) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
    if !blocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 || (!blocking && errno == EINPROGRESS) else {
        close(fd)
        return nil
    }
    return fd
}

/// Whether the peer ends the connection on `fd` within `seconds` (a read gives the end of the stream
/// or a reset); whatever arrives first is read and dropped. False when it is still open by then.
public func peerCloses(_ fd: Int32, within seconds: Int) -> Bool {
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n == 0 || (n < 0 && errno == ECONNRESET) { return true }
        if n < 0 { return false }   // the timeout: still open
    }
}

/// A WebSocket upgrade request for `path` on 127.0.0.1:`port`, with exactly this `Origin` (a
/// libwebsockets client would put `http://` before one), to send on a raw socket.
public func webSocketHandshake(path: String, port: Int, origin: String? = nil) -> String {
    "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n" + (origin.map { "Origin: \($0)\r\n" } ?? "")
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
}

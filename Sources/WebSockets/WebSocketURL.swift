/// The parts of a `ws://` URL needed to open a connection.
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The path with query, starting with `/`.
    public var path: String

    public init(host: String, port: Int, path: String) {
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : path
    }

    /// Parses `ws://host[:port]/path`. `wss://` is refused: this library speaks to local or tunnelled
    /// endpoints and links no TLS policy of its own.
    ///
    /// - Throws: ``WebSocketError/Code/invalidURL`` naming the string.
    public init(parsing string: String) throws {
        guard string.hasPrefix("ws://") else {
            throw WebSocketError(.invalidURL, "not a ws:// URL: \(string)")
        }
        let rest = string.dropFirst("ws://".count)
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = "/"
        }
        var host: Substring
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw WebSocketError(.invalidURL, "unterminated IPv6 address in \(string)")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else {
                    throw WebSocketError(.invalidURL, "bad port in \(string)")
                }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]) else {
                throw WebSocketError(.invalidURL, "bad port in \(string)")
            }
            port = p
        } else {
            host = authority
        }
        guard !host.isEmpty, (1...65535).contains(port) else {
            throw WebSocketError(.invalidURL, "missing host or port out of range in \(string)")
        }
        self.init(host: String(host), port: port, path: path.hasPrefix("?") ? "/" + path : String(path))
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "ws://\(h):\(port)\(path)"
    }
}

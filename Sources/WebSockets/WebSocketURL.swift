/// The parts of a `ws://` or `wss://` URL needed to open a connection.
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address (an IPv6 address without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// The path with query, starting with `/`.
    public var path: String
    /// True for `wss://` (and `https://` in ``HTTPClient``): the connection runs over TLS, and the
    /// server's certificate is checked against the system's trusted authorities (and any file given in
    /// the options) and the host name.
    public var isSecure: Bool

    /// A URL of `host`, `port` and `path` (`/` when empty), over TLS when `isSecure`.
    public init(host: String, port: Int, path: String, isSecure: Bool = false) {
        self.host = host
        self.port = port
        self.path = path.isEmpty ? "/" : path
        self.isSecure = isSecure
    }

    /// Parses `ws://host[:port]/path` or `wss://host[:port]/path` (port 80 and 443 by default).
    ///
    /// - Throws: ``WebSocketError/Code/invalidURL`` naming the string.
    public init(parsing string: String) throws {
        try self.init(parsing: string, schemes: ("ws://", "wss://"))
    }

    /// Parses `plain`- or `secure`-scheme URLs (`ws`/`wss` or `http`/`https`).
    init(parsing string: String, schemes: (plain: String, secure: String)) throws {
        let isSecure: Bool
        if string.lowercased().hasPrefix(schemes.secure) {
            isSecure = true
        } else if string.lowercased().hasPrefix(schemes.plain) {
            isSecure = false
        } else {
            throw WebSocketError(.invalidURL, "not a \(schemes.plain) or \(schemes.secure) URL: \(string)")
        }
        let rest = string.dropFirst(isSecure ? schemes.secure.count : schemes.plain.count)
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            authority = rest[..<slash]
            path = rest[slash...].prefix { $0 != "#" }
        } else {
            authority = rest
            path = "/"
        }
        guard !authority.contains("@") else {
            throw WebSocketError(.invalidURL, "user names and passwords in the URL are not sent; give them as a header: \(string)")
        }
        var host: Substring
        var port = isSecure ? 443 : 80
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
        self.init(host: String(host), port: port, path: path.hasPrefix("?") ? "/" + path : String(path), isSecure: isSecure)
    }

    /// `host:port`, or `host` alone for the scheme's default port: the `Host` header's value.
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// `ws://host:port/path` or `wss://...`.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(isSecure ? "wss" : "ws")://\(h):\(port)\(path)"
    }
}

/// A signed-in state to carry to another session or machine: the browser's cookies and the local
/// storage of origins, in the JSON of Playwright's `storageState` (`{"cookies": [...], "origins":
/// [{"origin": ..., "localStorage": [{"name", "value"}]}]}`), so files move between the two tools.
///
/// It holds session cookies: keep it like a password (the file ``write(to:)`` makes is mode 0600).
public struct StorageState: Codable, Sendable, Hashable {
    public struct Cookie: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public var domain: String
        public var path: String
        /// Seconds since 1970; -1 for a session cookie.
        public var expires: Double
        public var httpOnly: Bool
        public var secure: Bool
        /// `Strict`, `Lax` or `None`.
        public var sameSite: String

        public init(name: String, value: String, domain: String, path: String = "/", expires: Double = -1,
                    httpOnly: Bool = false, secure: Bool = false, sameSite: String = "Lax") {
            self.name = name
            self.value = value
            self.domain = domain
            self.path = path
            self.expires = expires
            self.httpOnly = httpOnly
            self.secure = secure
            self.sameSite = sameSite
        }
    }

    public struct Item: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Origin: Codable, Sendable, Hashable {
        /// `https://shop.example` (scheme, host and port).
        public var origin: String
        public var localStorage: [Item]
        public init(origin: String, localStorage: [Item]) {
            self.origin = origin
            self.localStorage = localStorage
        }
    }

    public var cookies: [Cookie]
    public var origins: [Origin]

    public init(cookies: [Cookie] = [], origins: [Origin] = []) {
        self.cookies = cookies
        self.origins = origins
    }

    /// The state with every cookie value and stored value masked (`***`), for records.
    public var masked: StorageState {
        StorageState(
            cookies: cookies.map { var cookie = $0; cookie.value = ActionParams.mask; return cookie },
            origins: origins.map { Origin(origin: $0.origin, localStorage: $0.localStorage.map { Item(name: $0.name, value: ActionParams.mask) }) })
    }
}

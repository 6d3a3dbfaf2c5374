/// A signed-in state to carry to another session or machine: the browser's cookies and the local
/// storage of origins, in the JSON of Playwright's `storageState` (`{"cookies": [...], "origins":
/// [{"origin": ..., "localStorage": [{"name", "value"}]}]}`), so files move between the two tools.
///
/// It holds session cookies: keep it like a password (the file `write(to:)` makes is mode 0600).
public struct StorageState: Codable, Sendable, Hashable {
    /// A cookie, as Playwright's `storageState` writes it.
    public struct Cookie: Codable, Sendable, Hashable {
        /// The cookie's name.
        public var name: String
        /// The cookie's value (a secret: masked in records).
        public var value: String
        /// The domain it is sent to (`.shop.example` includes subdomains).
        public var domain: String
        /// The path it is sent under.
        public var path: String
        /// Seconds since 1970; -1 for a session cookie.
        public var expires: Double
        /// Whether scripts cannot read it.
        public var httpOnly: Bool
        /// Whether it is sent over HTTPS only.
        public var secure: Bool
        /// `Strict`, `Lax` or `None`.
        public var sameSite: String

        /// A cookie; `expires` -1 for a session cookie.
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

    /// One local storage entry.
    public struct Item: Codable, Sendable, Hashable {
        /// The entry's key.
        public var name: String
        /// The entry's value (masked in records).
        public var value: String
        /// An entry.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The local storage of one origin.
    public struct Origin: Codable, Sendable, Hashable {
        /// `https://shop.example` (scheme, host and port).
        public var origin: String
        /// Its entries.
        public var localStorage: [Item]
        /// The local storage of `origin`.
        public init(origin: String, localStorage: [Item]) {
            self.origin = origin
            self.localStorage = localStorage
        }
    }

    /// The browser's cookies.
    public var cookies: [Cookie]
    /// The local storage of each origin.
    public var origins: [Origin]

    /// A state of `cookies` and the local storage of `origins`.
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

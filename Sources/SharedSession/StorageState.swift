import CDPTransport
public import Coordination
import Foundation

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

    /// Reads a state file (Playwright's or ours).
    /// - Throws: ``SessionError/Code/invalidAction`` when the file is not a storage state.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SessionError(.invalidAction, "cannot read the storage state \(path)")
        }
        do { self = try JSONDecoder().decode(StorageState.self, from: data) } catch {
            throw SessionError(.invalidAction, "\(path) is not a storage state (cookies and origins): \(error)")
        }
    }

    /// Writes the state as JSON to a file only its owner may read (mode 0600).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard FileManager.default.createFile(atPath: path, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o600]) else {
            throw SessionError(.invalidAction, "cannot write the storage state \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}

extension SharedBrowserSession {
    /// The browser's cookies and the local storage of the origins its tabs show (a read: needs no
    /// control). Like Playwright's `storageState()`.
    public func storageState() async throws -> StorageState {
        let cookies = try await browser.session.send(Storage.GetCookies(), timeout: .seconds(10)).cookies.map { cookie in
            StorageState.Cookie(name: cookie.name, value: cookie.value, domain: cookie.domain, path: cookie.path,
                                expires: cookie.session ? -1 : cookie.expires, httpOnly: cookie.httpOnly, secure: cookie.secure,
                                sameSite: cookie.sameSite?.rawValue ?? "Lax")
        }
        var origins: [StorageState.Origin] = []
        var seen = Set<String>()
        for tab in tabList {
            guard let origin = Self.origin(of: tab.url), seen.insert(origin).inserted else { continue }
            let items = try await localStorage(of: origin, in: tab)
            if !items.isEmpty { origins.append(StorageState.Origin(origin: origin, localStorage: items)) }
        }
        return StorageState(cookies: cookies, origins: origins)
    }

    /// Puts a storage state into the browser: its cookies, and each origin's local storage (written
    /// to the browser's storage for that origin; no page of it needs to be open). Changes what every
    /// participant's pages see, so it needs control like an action.
    /// - Throws: ``SessionError/Code/notInControl`` outside the participant's turn; a protocol
    ///   error when the browser refuses a cookie.
    public func setStorageState(_ state: StorageState, as participant: Participant) async throws {
        if options.coordination, participant.kind != .system {
            do { try await coordinator.checkControl(participant) } catch { throw SessionError.from(error) }
        }
        let params = state.cookies.map { cookie in
            Network.CookieParam(name: cookie.name, value: cookie.value, domain: cookie.domain, path: cookie.path, secure: cookie.secure,
                                httpOnly: cookie.httpOnly, sameSite: Network.CookieSameSite(rawValue: cookie.sameSite),
                                expires: cookie.expires < 0 ? nil : cookie.expires)
        }
        if !params.isEmpty { try await browser.session.send(Storage.SetCookies(cookies: params), timeout: .seconds(10)) }
        for origin in state.origins where !origin.localStorage.isEmpty {
            try await writeLocalStorage(origin)
        }
        // Cookies the session keeps for a relaunch include these now.
        savedCookies = try await browser.session.send(Storage.GetCookies(), timeout: .seconds(10)).cookies
    }

    /// Local storage belongs to a page of its origin: a page of the session's own is opened at the
    /// origin, its request answered with an empty document by the browser itself (nothing is asked of
    /// the site), the items written, and the page closed.
    private func writeLocalStorage(_ origin: StorageState.Origin) async throws {
        guard Self.origin(of: origin.origin + "/") == origin.origin else {
            throw SessionError(.invalidAction, "\(origin.origin) is not an http(s) origin")
        }
        let page = try await browser.newPage()
        defer { Task { [browser] in try? await browser.closePage(page) } }
        let paused = page.events(["Fetch.requestPaused"], bufferingNewest: 16)
        _ = try await page.send(method: "Fetch.enable", params: ["patterns": [["urlPattern": .string(origin.origin + "/*")]]],
                                timeout: .seconds(10))
        _ = try await page.send(Page.Enable())
        let answer = Task {
            for await event in paused {
                guard let id = event.params["requestId"]?.stringValue else { continue }
                _ = try? await page.send(method: "Fetch.fulfillRequest", params: [
                    "requestId": .string(id), "responseCode": 200,
                    "responseHeaders": [["name": "Content-Type", "value": "text/html"]],
                    "body": .string(Data("<!doctype html><title></title>".utf8).base64EncodedString()),
                ], timeout: .seconds(10))
            }
        }
        defer { answer.cancel() }
        _ = try await page.waitForEvent(Page.LoadEventFired.self, timeout: .seconds(10), after: {
            _ = try await page.send(Page.Navigate(url: origin.origin + "/"))
        })
        for item in origin.localStorage {
            let script = "localStorage.setItem(\(Self.jsonString(item.name)), \(Self.jsonString(item.value)))"
            let reply = try await page.send(Runtime.Evaluate(expression: script), timeout: .seconds(10))
            if let exception = reply.exceptionDetails {
                throw SessionError(.evaluationFailed, "cannot write local storage of \(origin.origin): \(exception.text)")
            }
        }
    }

    private static func jsonString(_ text: String) -> String {
        (try? String(decoding: JSONEncoder().encode(text), as: UTF8.self)) ?? "\"\""
    }

    private func localStorage(of origin: String, in tab: Tab) async throws -> [StorageState.Item] {
        let reply = try await tab.page.send(method: "DOMStorage.getDOMStorageItems", params: [
            "storageId": ["securityOrigin": .string(origin), "isLocalStorage": true],
        ], timeout: .seconds(10))
        return (reply["entries"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry[0]?.stringValue, let value = entry[1]?.stringValue else { return nil }
            return StorageState.Item(name: name, value: value)
        }
    }

    /// `scheme://host[:port]` of an http(s) URL.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}

import CDPTransport
public import EventBuffer
public import Coordination
import Foundation

extension StorageState {
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
    /// participant's pages see, so it needs control like an action, and it is one: a
    /// `setStorageState` action through the executor, with its events (cookie and storage values
    /// masked).
    /// - Throws: ``SessionError/Code/notInControl`` outside the participant's turn; a protocol
    ///   error when the browser refuses a cookie.
    public func setStorageState(_ state: StorageState, as participant: Participant) async throws {
        let result = await run(BrowserAction(.setStorageState, ActionParams(storageState: state), source: EventCause(participant)))
        if let error = result.error { throw error }
    }

    func executeSetStorageState(_ state: StorageState, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        let summary = "\(state.cookies.count) cookies, \(state.origins.count) origins"
        return await perform(action, target: summary, options: options) { session, _, deadline in
            let params = state.cookies.map { cookie in
                Network.CookieParam(name: cookie.name, value: cookie.value, domain: cookie.domain, path: cookie.path, secure: cookie.secure,
                                    httpOnly: cookie.httpOnly, sameSite: Network.CookieSameSite(rawValue: cookie.sameSite),
                                    expires: cookie.expires < 0 ? nil : cookie.expires)
            }
            let browser = session.browser
            if !params.isEmpty { try await browser.session.send(Storage.SetCookies(cookies: params), timeout: deadline.remaining) }
            for origin in state.origins where !origin.localStorage.isEmpty {
                try await session.writeLocalStorage(origin)
            }
            // Cookies the session keeps for a relaunch include these now.
            await session.keepCookies(try await browser.session.send(Storage.GetCookies(), timeout: deadline.remaining).cookies)
            return .none
        }
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

import DemoSite
import Foundation
import SharedSession
import Testing

extension Chromium {
@Suite(.serialized) struct StorageStateTests {
    /// A login moves to another session: the state of a signed-in session (its cookies and the local
    /// storage of its pages' origins) is written to a private file, read back, and put into a fresh
    /// session, which is then signed in and sees the same local storage, without opening the login.
    @Test func aLoginMovesToAnotherSession() async throws {
        let (_, site) = try await TestSession.shared.get()
        let agent = Participant.agent("mover")
        let file = NSTemporaryDirectory() + "sb-state-\(UUID().uuidString.prefix(8)).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withOwnSession("state-from") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            try await session.navigate(to: site.url("/login"), as: agent).get()
            try await session.fill("#username", DemoSite.username, as: agent).get()
            try await session.fill("#password", DemoSite.password, as: agent).get()
            try await session.click("#sign-in", as: agent).get()
            _ = try await session.evaluate("localStorage.setItem('theme', 'dark'); 1", as: agent).get()
            let state = try await session.storageState()
            #expect(!state.cookies.isEmpty)
            let origin = try #require(state.origins.first)
            #expect(origin.origin == site.url("/").dropLast(), "\(origin.origin)")
            #expect(origin.localStorage.contains(StorageState.Item(name: "theme", value: "dark")))
            try state.write(to: file)
        }
        let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let state = try StorageState(contentsOf: file)
        try await withOwnSession("state-to") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            let recorded = session.events.subscribe(kinds: [.actionStarted, .actionFinished, .actionFailed], bufferSize: 100)
            // Outside its turn, nobody puts a login into the shared browser.
            await #expect(throws: SessionError.self) { try await session.setStorageState(state, as: .agent("intruder")) }
            try await session.setStorageState(state, as: agent)
            // It is an action like any other: in the event stream, as its participant's, values masked.
            recorded.cancel()
            var events: [BrowserEvent] = []
            for await element in recorded { if let event = element.event { events.append(event) } }
            #expect(events.map(\.kind) == [.actionFailed, .actionStarted, .actionFinished])
            #expect(events.map(\.cause) == [.agent("intruder"), EventCause(agent), EventCause(agent)])
            let json = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
            #expect(json.contains("setStorageState") && json.contains(state.cookies[0].name))
            for cookie in state.cookies { #expect(!json.contains(cookie.value), "a cookie value is recorded") }
            #expect(await session.tabs().count == 1, "the page that wrote local storage is gone, and was never a tab")
            let dashboard = try await session.navigate(to: site.url("/dashboard"), as: agent).get()
            #expect(dashboard.url.hasSuffix("/dashboard"), "signed in without the login: \(dashboard.url)")
            let theme = try await session.evaluate("localStorage.getItem('theme')", as: agent).get().value?.stringValue
            #expect(theme == "dark")
        }
    }

    /// Playwright's own file format reads, and a file that is not one is a typed error.
    @Test func playwrightsFormatReads() throws {
        let file = NSTemporaryDirectory() + "sb-pw-state-\(UUID().uuidString.prefix(8)).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(#"""
            {"cookies":[{"name":"sid","value":"abc","domain":"shop.test","path":"/","expires":-1,"httpOnly":true,"secure":false,"sameSite":"Lax"}],
             "origins":[{"origin":"https://shop.test","localStorage":[{"name":"cart","value":"3"}]}]}
            """#.utf8).write(to: URL(fileURLWithPath: file))
        let state = try StorageState(contentsOf: file)
        #expect(state.cookies.first?.name == "sid" && state.cookies.first?.httpOnly == true)
        #expect(state.origins.first?.localStorage == [StorageState.Item(name: "cart", value: "3")])
        try Data("{\"cookies\": 3}".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: SessionError.self) { try StorageState(contentsOf: file) }
    }
}
}

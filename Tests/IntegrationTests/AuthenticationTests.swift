import DemoSite
import Foundation
import SharedSession
import Testing

extension Chromium {
@Suite(.serialized) struct AuthenticationTests {
    /// A form strategy signs in once on a Django-admin-style login (CSRF token in cookie and form,
    /// `next` redirect); the other agent then shares the cookies; a second call finds it signed in;
    /// after the session expires (signed out) it signs in again. The password is in no event.
    @Test func aFormLoginSignsInOnceForEveryone() async throws {
        let (_, site) = try await TestSession.shared.get()
        let login = FormLogin(loginURL: site.url("/admin/login/?next=/admin/"), checkURL: site.url("/admin/"),
                              credentials: .closure { Credentials(username: DemoSite.username, password: DemoSite.password) })
        let first = Participant.agent("first"), second = Participant.agent("second")
        try await withOwnSession("auth-form") { session in
            _ = await session.coordinator.tryRequestControl(for: first)
            #expect(try await session.authenticate(with: login, as: first), "it had to sign in")
            #expect(session.state.url == site.url("/admin/"))
            #expect(try await session.authenticate(with: login, as: first) == false, "already signed in")
            _ = await session.coordinator.releaseControl(for: first)
            _ = await session.coordinator.tryRequestControl(for: second)
            let admin = try await session.navigate(to: site.url("/admin/"), as: second).get()
            #expect(admin.title == "Site administration", "the second agent shares the sign-in")
            // Signed out (an expired session): the page bounces to the login, and it signs in again.
            try await session.navigate(to: site.url("/logout"), as: second).get()
            #expect(try await session.authenticate(with: login, as: second))
            // Kept signed in: a navigation that bounces to the login signs in again and arrives.
            await session.keepSignedIn(with: login)
            try await session.navigate(to: site.url("/logout"), as: second).get()
            let back = try await session.navigate(to: site.url("/admin/"), as: second).get()
            #expect(back.url == site.url("/admin/") && back.title == "Site administration", "\(back.url)")
            #expect(back.notices.contains { $0.contains("signed in again") })
            let everything = session.events.buffer.all.map { "\($0)" }.joined(separator: "\n")
            #expect(!everything.contains(DemoSite.password), "the password is in no event")
        }
    }

    /// Wrong credentials, a credentials file others may read, and a login page on another origin are
    /// typed errors; nothing is sent to the other origin.
    @Test func badCredentialsAndForeignLoginPagesAreRefused() async throws {
        let (_, site) = try await TestSession.shared.get()
        let agent = Participant.agent("careful")
        try await withOwnSession("auth-bad") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            let wrong = FormLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"),
                                  credentials: .closure { Credentials(username: "demo", password: "not-it") })
            await #expect(throws: SessionError.self) { try await session.authenticate(with: wrong, as: agent) }

            let file = NSTemporaryDirectory() + "sb-credentials-\(UUID().uuidString.prefix(8)).json"
            defer { try? FileManager.default.removeItem(atPath: file) }
            FileManager.default.createFile(atPath: file, contents: Data(#"{"username":"demo","password":"demo123"}"#.utf8),
                                           attributes: [.posixPermissions: 0o644])
            let open = FormLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"), credentials: .file(file))
            do {
                try await session.authenticate(with: open, as: agent)
                Issue.record("a credentials file others may read was used")
            } catch let error as SessionError {
                #expect(error.code == .authenticationFailed && error.message.contains("chmod 600"), "\(error)")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            #expect(try await session.authenticate(with: open, as: agent), "the same file, private, works")
            try await session.navigate(to: site.url("/logout"), as: agent).get()

            // A login page that sends the browser to another origin: no credentials go there.
            let asked = LockedFlag()
            let elsewhere = FormLogin(loginURL: site.url("/admin/sso/"), checkURL: site.url("/admin/"),
                                      credentials: .closure { asked.set(); return Credentials(username: "u", password: "p") })
            do {
                try await session.authenticate(with: elsewhere, as: agent)
                Issue.record("credentials were sent to a page on another origin")
            } catch let error as SessionError {
                #expect(error.code == .authenticationFailed && error.message.contains("no credentials sent"), "\(error)")
            }
            #expect(!asked.value, "the credentials were not even read")
            #expect(session.state.url.hasPrefix("http://localhost:"), "it was the other origin's login page")
            let notHTTP = FormLogin(loginURL: "data:text/html,<form></form>", checkURL: site.url("/admin/"), credentials: .environment())
            await #expect(throws: SessionError.self) { try await session.authenticate(with: notHTTP, as: agent) }
        }
    }
}
}

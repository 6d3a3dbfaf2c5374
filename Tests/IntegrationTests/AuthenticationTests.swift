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
            _ = FileManager.default.createFile(atPath: file, contents: Data(#"{"username":"demo","password":"demo123"}"#.utf8),
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

    /// Kept signed in, every kind of action that bounces to the login signs in again and goes where
    /// it was going: a link the server redirects, Enter in a GET form, a page that sends itself to
    /// the login after a 401 from its API; a form sent with POST comes back to its page with a notice
    /// to send it again (the site dropped it). Without `keepSignedIn`, the login page stays.
    @Test func actionsThatBounceToTheLoginSignInAgain() async throws {
        let (_, site) = try await TestSession.shared.get()
        let login = FormLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"),
                              credentials: .closure { Credentials(username: DemoSite.username, password: DemoSite.password) })
        let agent = Participant.agent("bounced")
        try await withOwnSession("auth-bounce") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            try await session.authenticate(with: login, as: agent)
            await session.keepSignedIn(with: login)
            /// The site forgets the sign-in (as when it expires); the page stays where it is.
            func expire() async throws {
                #expect(try await session.evaluate("fetch('/logout').then(() => 'out')", as: agent).get().value == "out")
            }
            func signedInAgain(_ result: ActionResult) -> Bool { result.notices.contains { $0.contains("signed in again") } }

            try await session.navigate(to: site.url("/admin/"), as: agent).get()
            try await expire()
            let link = try await session.click("#orders", as: agent).get()
            #expect(link.url == site.url("/admin/orders/") && link.action == "click", "\(link.url) \(link.action)")
            #expect(signedInAgain(link), "\(link.notices)")

            try await expire()
            let form = try await session.click("#ship", as: agent).get()
            #expect(form.url == site.url("/admin/orders/"), "back where the form was sent from: \(form.url)")
            #expect(form.notices.contains { $0.contains("send it again") }, "\(form.notices)")
            #expect(try await session.click("#ship", as: agent).get().url.hasSuffix("shipped=1"), "sent again, it works")

            try await session.navigate(to: site.url("/admin/"), as: agent).get()
            try await expire()
            try await session.fill("#q", "blue mug", as: agent).get()
            let searched = try await session.press("Enter", on: "#q", as: agent).get()
            #expect(searched.url == site.url("/admin/search/?q=blue+mug") || searched.url == site.url("/admin/search/?q=blue%20mug"), "\(searched.url)")
            #expect(signedInAgain(searched))

            // A page that sends itself to the login after its API said 401: during the click or after
            // it ended (the slow API answers 400 ms later), it ends at the login's `next`.
            for button in ["#reports", "#reports-slow"] {
                try await session.navigate(to: site.url("/admin/"), as: agent).get()
                try await expire()
                let app = try await session.click(ElementTarget(button), as: agent).get()
                if button == "#reports-slow" { #expect(app.navigatedTo == nil, "the click ended before the page moved") }
                #expect(await sessionBecomes(session, within: .seconds(10)) { session.state.url == site.url("/admin/reports/") },
                        "\(button): the login's next: \(session.state.url)")
                let next = try await session.evaluate("document.title", as: agent).get()
                #expect(next.value == "Reports | Site administration", "\(button): \(String(describing: next.value))")
                #expect(signedInAgain(app) || signedInAgain(next), "\(button): \(app.notices) \(next.notices)")
            }
            #expect(session.events.recent(300).contains { $0.kind == .signedInAgain }, "the late one is an event too")

            try await session.navigate(to: site.url("/admin/"), as: agent).get()
            await session.keepSignedIn(with: nil)
            try await expire()
            let stays = try await session.click("#orders", as: agent).get()
            #expect(login.isLoginPage(stays.url) && !signedInAgain(stays), "not kept: \(stays.url)")
            let everything = session.events.buffer.all.map { "\($0)" }.joined(separator: "\n")
            #expect(!everything.contains(DemoSite.password), "the password is in no event")
        }
    }

    /// A saved state signs in without a form: only the site's own cookies go into the browser; a
    /// state file others may read is refused; a state that expired falls back to the form login.
    @Test func aSavedStateSignsInAndFallsBackToTheFormWhenItExpired() async throws {
        let (_, site) = try await TestSession.shared.get()
        let form = FormLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"),
                             credentials: .closure { Credentials(username: DemoSite.username, password: DemoSite.password) })
        let agent = Participant.agent("saver")
        let file = NSTemporaryDirectory() + "sb-auth-state-\(UUID().uuidString.prefix(8)).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withOwnSession("auth-state-from") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            try await session.authenticate(with: form, as: agent)
            var state = try await session.storageState()
            state.cookies.append(StorageState.Cookie(name: "tracker", value: "1", domain: "elsewhere.example"))
            try state.write(to: file)
        }
        let saved = StorageStateLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"), file: file)
        try await withOwnSession("auth-state-to") { session in
            _ = await session.coordinator.tryRequestControl(for: agent)
            #expect(try await session.authenticate(with: saved, as: agent), "signed in from the file")
            #expect(session.state.url == site.url("/admin/"))
            let cookies = try await session.storageState().cookies
            #expect(!cookies.contains { $0.domain.contains("elsewhere") }, "another site's cookie stays out")

            // The site forgets that sign-in: the state no longer works; the form takes over.
            try await session.navigate(to: site.url("/logout"), as: agent).get()
            let stale = StorageStateLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"), file: file)
            await #expect(throws: SessionError.self) { try await session.authenticate(with: stale, as: agent) }
            let withForm = StorageStateLogin(loginURL: site.url("/admin/login/"), checkURL: site.url("/admin/"), file: file, fallback: form)
            #expect(try await session.authenticate(with: withForm, as: agent))
            #expect(session.state.url == site.url("/admin/"))

            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
            try await session.navigate(to: site.url("/logout"), as: agent).get()
            do {
                try await session.authenticate(with: saved, as: agent)
                Issue.record("a state file others may read was used")
            } catch let error as SessionError {
                #expect(error.code == .authenticationFailed && error.message.contains("chmod 600"), "\(error)")
            }
        }
    }
}
}

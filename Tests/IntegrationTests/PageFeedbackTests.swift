import DemoSite
import Foundation
import SharedSession
import Testing

extension Chromium {
/// What the page says went wrong after an action, on every kind of page that says it: a server that
/// re-renders a rejected form, the browser's own validation, a script that marks a field and
/// announces it, and status messages.
@Suite struct PageFeedbackTests {
    func signIn(_ session: SharedBrowserSession, _ site: DemoSite) async throws {
        try await session.navigate(to: site.url("/login"), as: system).get()
        try await session.fill("#username", DemoSite.username, as: system).get()
        try await session.fill("#password", DemoSite.password, as: system).get()
        try await session.click("text=Sign in", as: system).get()
    }

    @Test func aFormTheServerRejectsIsReportedWithEachFieldsMessage() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await signIn(session, site)
        let name = "Feedback \(UUID().uuidString.prefix(8))"
        for attempt in 0..<2 {
            try await session.navigate(to: site.url("/projects/new"), as: system).get()
            try await session.fill("#name", name, as: system).get()
            try await session.check("#agree", as: system).get()
            let created = try await session.click("#create", as: system).get()
            if attempt == 0 {
                #expect(created.feedback == nil, "\(String(describing: created.feedback))")
                continue
            }
            // The second time the name is taken: the same form comes back, marked.
            let feedback = try #require(created.feedback)
            #expect(feedback.invalidFields.map(\.name) == ["name"])
            #expect(feedback.invalidFields.first?.label == "Name")
            #expect(feedback.invalidFields.first?.message == "A project with this name already exists.")
            #expect(feedback.messages.contains("Please correct the errors below."))
            #expect(!feedback.messages.contains("A project with this name already exists."))   // said once, with its field
            #expect(created.report.contains("invalid field \"Name\": A project with this name already exists."))
        }
        // Two problems at once: a missing name and the terms not agreed to.
        try await session.navigate(to: site.url("/projects/new"), as: system).get()
        let empty = try await session.evaluate("document.querySelector('#name').removeAttribute('required'); 0", as: system).get()
        #expect(empty.succeeded)
        let rejected = try await session.click("#create", as: system).get()
        #expect(Set(rejected.feedback?.invalidFields.map(\.name) ?? []) == ["name", "agree"])
        #expect(rejected.feedback?.invalidFields.first { $0.name == "agree" }?.message == "You must agree to the terms.")
    }

    @Test func theBrowsersOwnValidationIsReported() async throws {
        let (session, site) = try await TestSession.shared.get()
        let loaded = try await session.navigate(to: site.url("/signup"), as: system).get()
        // A new page's status line ("Ready") is how it loaded, not news.
        #expect(loaded.feedback == nil)
        try await session.fill("#email", "not-an-email", as: system).get()
        let joined = try await session.click("#join", as: system).get()
        let field = try #require(joined.feedback?.invalidFields.first)
        #expect(field.name == "email" && field.label == "Email")
        #expect(!field.message.isEmpty)   // the browser's own words ("Please include an '@'...")
        #expect(joined.url == site.url("/signup"))
    }

    @Test func aScriptThatMarksAFieldAndAnnouncesItIsReported() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/signup"), as: system).get()
        try await session.fill("#email", "ada@example.com", as: system).get()
        try await session.fill("#handle", "taken", as: system).get()
        let joined = try await session.click("#join", as: system).get()
        let feedback = try #require(joined.feedback)
        #expect(feedback.invalidFields.map(\.label) == ["Handle"])
        #expect(feedback.invalidFields.first?.message == "This handle is taken.")
        #expect(feedback.messages == ["Sign-up failed: fix the marked fields."])
        // The same problems again are not news; a status that changes is.
        let again = try await session.click("#join", as: system).get()
        #expect(again.feedback == nil)
        let saved = try await session.click("#save", as: system).get()
        #expect(saved.feedback?.messages == ["Draft saved"])
        try await session.fill("#handle", "free", as: system).get()
        let welcomed = try await session.click("#join", as: system).get()
        #expect(welcomed.feedback?.messages.contains("Welcome aboard!") == true)
    }
}
}

import ContentExtraction
import DemoSite
import Foundation
import SharedSession
import Testing

extension Chromium {
@Suite struct AgentContextTests {
    /// The ref printed on the first snapshot line containing `fragment`.
    func ref(in text: String, _ fragment: String) throws -> String {
        let line = try #require(text.split(separator: "\n").first { $0.contains(fragment) }, "no line with \(fragment) in\n\(text)")
        let afterFragment = line[try #require(line.range(of: fragment)).upperBound...]
        return String(try #require(afterFragment.split(separator: " ").first { $0.hasPrefix("ref=") }).dropFirst(4))
    }

    @Test func navigationsAndClicksReturnThePageAtAGlance() async throws {
        let (session, site) = try await TestSession.shared.get()
        let login = try await session.navigate(to: site.url("/login"), as: system).get()
        let page = try #require(login.page)
        #expect(page.title == "Sign in" && page.url == site.url("/login"))
        let form = try #require(page.forms.first)
        #expect(form.method == "POST" && form.action == site.url("/login"))
        #expect(form.fields.map(\.name) == ["username", "password", nil])
        #expect(page.description.contains("Form 1: POST \(site.url("/login"))"))

        try await session.fill("#username", DemoSite.username, as: system).get()
        try await session.fill("#password", DemoSite.password, as: system).get()
        let clicked = try await session.click("text=Sign in", as: system).get()
        let dashboard = try #require(clicked.page)
        #expect(dashboard.headings.map(\.text).starts(with: ["Dashboard"]))
        #expect(dashboard.visibleLinks.contains { $0.text == "New project" && $0.url == site.url("/projects/new") })
        // The password typed is nowhere in what the agent is told.
        #expect(!dashboard.description.contains(DemoSite.password))
        // The report a model reads: what was done, where the tab is, the page.
        #expect(clicked.report.hasPrefix("click text=Sign in: done in "))
        #expect(clicked.report.contains("Now at: /dashboard — Dashboard"), "the same site's URL as its path: \(clicked.report)")
        #expect(clicked.report.contains("Page: Dashboard"))
        let missing = await session.click("#missing", as: system, options: .init(timeout: .milliseconds(200)))
        #expect(missing.report.hasPrefix("click #missing: failed (timeout) after "))
        #expect(missing.report.contains(" ms: waiting for #missing"))

        let quiet = try await session.navigate(to: site.url("/"), as: system, options: .init(pageSummary: false)).get()
        #expect(quiet.page == nil)
    }

    @Test func theAgentContextFitsItsBudgetAndItsRefsWork() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/console"), as: system).get()
        try await session.navigate(to: site.url("/login"), as: system).get()
        let agent = Participant.agent("context-reader")
        let context = await session.agentContext(budget: 4000, for: agent)
        #expect(context.tokens <= 4000 && EstimatedTokenCounter.upperBound.count(context.text) <= 4000)
        #expect(context.text.hasPrefix("== Browser ==\nURL: \(site.url("/login"))\nTitle: Sign in"))
        #expect(context.text.contains("Control: nobody holds control"))
        // The console error of the page before is counted, not shown: it concerns another page.
        #expect(!context.text.contains("an error happened"))
        #expect(context.text.contains("== Errors (none on this page) ==\n("))
        #expect(context.text.contains("from earlier pages or other participants left out: events.errors()"))
        #expect(context.text.contains("Form 1: POST \(site.url("/login"))"))
        // Every field carries the ref of its own element, and is listed once: under Forms, not again
        // among the elements.
        let forms = try #require(context.text.components(separatedBy: "== Forms").last?.components(separatedBy: "\n\n").first)
        let elements = try #require(try await session.snapshot(as: system).get().snapshot?.text)
        for (field, role) in [("text \"Username\"", "textbox \"Username\""), ("password \"Password\"", "textbox \"Password\""),
                              ("submit \"Sign in\"", "button \"Sign in\"")] {
            #expect(try ref(in: forms, field) == (try ref(in: elements, role)))
            #expect(!context.text.contains(role), "\(role) once")
        }
        #expect(context.text.contains("== Elements"))
        #expect(context.sections.filter { $0.name != "errors" }.allSatisfy { $0.omitted == nil })

        // A ref from the context is a target, written the way the snapshot prints it.
        let username = try ref(in: forms, "text \"Username\"")
        try await session.fill(ElementTarget(username), "from-context", as: system).get()
        let typed = try await session.evaluate("document.querySelector('#username').value", as: system).get()
        #expect(typed.value?.stringValue == "from-context")

        // A password typed into the page is nowhere in what agents are told.
        try await session.fill("#password", "s3cret-typed", as: system).get()
        let withPassword = await session.agentContext(budget: 4000)
        #expect(!withPassword.text.contains("s3cret-typed"))
        let snapshot = try #require(try await session.snapshot(as: system).get().snapshot)
        #expect(!snapshot.text.contains("s3cret-typed"))
        #expect(!session.events.recent(50).contains { "\($0)".contains("s3cret-typed") })

        // A tiny budget still says where the browser is, and stays within it.
        let tiny = await session.agentContext(budget: 60)
        #expect(tiny.tokens <= 60 && tiny.text.contains("URL: \(site.url("/login"))"))

        // The hook gives the same text, fresh at each call.
        let hook = session.contextHook(budget: 1000, for: agent)
        let first = await hook()
        #expect(first.contains("Title: Sign in") && EstimatedTokenCounter().count(first) <= 1000)
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        #expect(await hook().contains("Title: Widgets"))
    }

    @Test func theStateForAgentsListsWhatIsInView() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        let top = await session.browserStateForAgent()
        #expect(top.url == site.url("/widgets") && top.title == "Widgets" && !top.loading)
        #expect(top.visibleElements.contains { $0.text.contains("textbox \"Type here\"") })
        #expect(!top.visibleElements.contains { $0.text.contains("Far link") })
        #expect(top.summary?.headings.first?.text == "Widgets")
        #expect(top.description.contains("Interactive elements in view:"))

        // A request still waiting for its answer is pending; the page's own loads are not.
        let requested = session.events.subscribe(kinds: [.request])
        try await session.evaluate("fetch('/slow?ms=3000'); 0", as: system).get()
        #expect(await firstEvent(requested, .request) { $0.summary.contains("/slow") } != nil)
        let waiting = await session.browserStateForAgent()
        #expect(waiting.pendingRequests == ["GET \(site.url("/slow?ms=3000"))"], "\(waiting.pendingRequests)")

        try await session.scroll(to: "#far", as: system).get()
        let bottom = await session.browserStateForAgent()
        #expect(bottom.visibleElements.contains { $0.text.contains("link \"Far link\"") })
        #expect(!bottom.visibleElements.contains { $0.text.contains("textbox \"Type here\"") })
    }

    @Test func snapshotsOfARegionAndRefsThatStayPut() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        let whole = try #require(try await session.snapshot(as: system).get().snapshot)
        let select = try ref(in: whole.text, "combobox")
        // A root by ref, and by text.
        let byRef = try #require(try await session.snapshot(root: .ref(select), as: system).get().snapshot)
        #expect(byRef.text.hasPrefix("- combobox") && !byRef.text.contains("textbox"))
        let byText = try #require(try await session.snapshot(root: "text=Far link", as: system).get().snapshot)
        #expect(byText.text.hasPrefix("- link \"Far link\""))
        // A container that folds into several parts keeps them all.
        let byContainer = try #require(try await session.snapshot(root: "body", as: system).get().snapshot)
        #expect(byContainer.text.contains("combobox") && byContainer.text.contains("link \"Far link\""), "\(byContainer.text)")
        let missing = await session.snapshot(root: "#no-such-element", as: system, options: .init(timeout: .milliseconds(300)))
        #expect(missing.error?.code == .timeout)

        // A new element before the others: every ref handed out still means its element.
        try await session.evaluate("document.body.prepend(Object.assign(document.createElement('button'), {textContent: 'New first'})); 0",
                                   as: system).get()
        let after = try #require(try await session.snapshot(as: system).get().snapshot)
        for (ref, backend) in whole.refs { #expect(after.refs[ref] == backend) }
        let added = try ref(in: after.text, "button \"New first\"")
        #expect(whole.refs[added] == nil)
        try await session.click(ElementTarget(select), as: system).get()
    }

    @Test func theTextComesPageByPage() async throws {
        let (session, site) = try await TestSession.shared.get()
        let paragraphs = (1...40).map { "<p>Paragraph \($0) says something worth reading about the page.</p>" }.joined()
        try await session.navigate(to: "data:text/html,<title>Long</title><h1>Long</h1>" + paragraphs, as: system).get()
        let first = try await session.pageText(page: 1, tokensPerPage: 100, as: system).get()
        let text = try #require(first.value?.stringValue)
        #expect(text.hasPrefix("Page text, part 1 of "))
        let parts = Int(text.split(separator: "\n")[0].split(separator: " ").last!.dropLast()) ?? 0
        #expect(parts >= 2)
        #expect(text.contains("(next: pageText(page: 2))"))
        #expect(text.contains("Paragraph 1 says") && !text.contains("Paragraph 40 says"))
        let last = try await session.pageText(page: parts, tokensPerPage: 100, as: system).get()
        #expect(last.value?.stringValue?.contains("Paragraph 40 says") == true)
        let past = await session.pageText(page: parts + 1, tokensPerPage: 100, as: system)
        #expect(past.error?.code == .notApplicable)
        try await session.navigate(to: site.url("/"), as: system).get()
        let content = try #require(try await session.pageContent(as: system).get().content)
        #expect(content.links.contains { $0.url == site.url("/login") && $0.text == "Sign in" })
        // A relative <base> is applied once, against the document's URL.
        try await session.evaluate("""
            document.head.append(Object.assign(document.createElement('base'), {href: 'sub/'}));
            document.body.append(Object.assign(document.createElement('a'), {href: 'x', textContent: 'Relative'})); 0
            """, as: system).get()
        let based = try #require(try await session.pageContent(as: system).get().content)
        #expect(based.links.last?.url == site.url("/sub/x"), "\(String(describing: based.links.last))")
    }

    @Test func oneTimeCodesAndPasswordsInURLsAreRedactedLikePasswords() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/verify"), as: system).get()
        try await session.fill("#user", "ada", as: system).get()
        try await session.fill("#otp", "424242", as: system).get()
        // The code in its field: in no context or snapshot.
        let before = await session.agentContext(budget: 4000)
        #expect(before.text.contains("\"Code\"") && !before.text.contains("424242"), "\(before.text)")
        let snapshot = try #require(try await session.snapshot(as: system).get().snapshot)
        #expect(!snapshot.text.contains("424242") && snapshot.text.contains("[value=\"•••\"]"))
        // A GET form puts the password and the code in the URL: masked in events, state and results.
        try await session.fill("#pw", "hunter2-secret", as: system).get()
        let submitted = try await session.click("#verify", as: system).get()
        #expect(submitted.url.contains("password=***") && submitted.url.contains("otp=***") && submitted.url.contains("user=ada"))
        #expect(session.state.url == submitted.url)
        let after = await session.agentContext(budget: 4000)
        // A failed navigation to such a URL: its error, target, report and events name the URL masked.
        let refused = await session.navigate(to: "http://127.0.0.1:1/in?password=hunter2-secret", as: system)
        #expect(refused.error?.code == .navigationFailed)
        #expect(refused.error?.message.contains("password=***") == true && refused.target?.contains("password=***") == true)
        for text in [after.text, submitted.report, refused.report, "\(refused.error!)", "\(session.events.recent(50))",
                     session.state.url, "\(await session.tabs())"] {
            #expect(!text.contains("hunter2-secret") && !text.contains("424242"))
        }
    }

    /// Fields that share a label, and a field and a button with one name: each form line carries
    /// the ref of its own element, which the snapshot names the same way.
    @Test func fieldsWithTheSameLabelEachGetTheirOwnRef() async throws {
        let (session, _) = try await TestSession.shared.get()
        let page = """
            <form><input name=a aria-label="Clear this text input"><button type=button name=ca>Clear this text input</button></form>
            <form><input name=b aria-label="Clear this text input"><button type=button name=cb>Clear this text input</button></form>
            <form><label for=q>Search</label><input id=q name=q><button name=go>Search</button></form>
            """
        try await session.navigate(to: dataURL(page), as: system).get()
        let context = await session.agentContext(budget: 4000)
        let forms = try #require(context.text.components(separatedBy: "== Forms").last?.components(separatedBy: "\n\n").first)
        var refs: [String: String] = [:]
        for line in forms.split(separator: "\n") where line.hasPrefix("- ") {
            let words = line.split(separator: " ")
            guard let name = words.first(where: { $0.hasPrefix("name=") }), let ref = words.first(where: { $0.hasPrefix("ref=") }) else {
                Issue.record("a field without a ref: \(line)")
                continue
            }
            refs[String(name.dropFirst(5))] = String(ref.dropFirst(4))
        }
        #expect(refs.count == 6 && Set(refs.values).count == 6, "\(forms)")
        // Each ref names its own element: fill the text fields through their refs, read back by name.
        for name in ["a", "b", "q"] {
            try await session.fill(ElementTarget("ref=" + (refs[name] ?? "none")), "via \(name)", as: system).get()
            #expect(try await session.evaluate("document.querySelector('[name=\(name)]').value", as: system).get().value == .string("via \(name)"))
        }
        // The buttons' refs are the snapshot's buttons, not the fields of the same name.
        let snapshot = try #require(try await session.snapshot(as: system).get().snapshot)
        for (name, label) in [("ca", "Clear this text input"), ("cb", "Clear this text input"), ("go", "Search")] {
            #expect(snapshot.text.contains("button \"\(label)\" ref=\(refs[name] ?? "none")"), "\(name): \(snapshot.text)")
        }
    }
}
}

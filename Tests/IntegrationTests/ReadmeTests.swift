import AgentTools
import CDPTransport
import DemoSite
import Foundation
import SharedSession
import Testing

/// The README's code, compiled with the tests (never run: it would start a browser on a persistent
/// profile). The test below checks that every line of the README's Swift blocks is here, so the
/// README cannot drift from code that compiles.
enum ReadmeExamples {
    static func quickStart() async throws {

        let site = try await DemoSite.start()                                    // http://127.0.0.1:PORT
        let session = try await SharedBrowserSession.start(.init(id: "shop"))   // persistent profile
        let collector = Participant.agent("collector"), creator = Participant.agent("creator")

        try await session.coordinator.withTurn(for: collector) {
            try await session.navigate(to: site.url("/login"), as: collector).get()
            try await session.fill("#username", "demo", as: collector).get()
            try await session.fill("#password", "demo123", as: collector).get()
            try await session.click("text=Sign in", as: collector).get()   // waits for the dashboard
        }
        try await session.coordinator.withTurn(for: creator) {
            try await session.click("#new-project", as: creator).get()      // same cookies: signed in
            try await session.fill("#name", "Launch plan", as: creator).get()
            try await session.check("#agree", as: creator).get()
            try await session.click("#create", as: creator).get()
        }
        print(session.state.url, session.state.title)
        await session.close()

        let planner = Participant.agent("planner")
        try await session.openTab(for: planner, url: site.url("/projects/new"), purpose: "Q3 plan").get()
        try await session.fill("#name", "Q3 plan", as: planner).get()   // in the planner's own tab
        for tab in await session.tabs() { print(tab) }                  // each with its holder, owner and purpose

        let context = await session.agentContext(budget: 4000, for: collector)   // an AgentContext; .text for the prompt
        // == Browser == URL, title, status, who holds control · == Errors == this page's and yours
        // == Forms == every field, with its element's ref · == Elements == in view and interactive first
        // == Page text == headings and lead paragraphs · == Links == main content first
        try await session.fill("ref=e12", "demo", as: collector).get()         // refs from the context work as targets
        let hook = session.contextHook(budget: 4000, for: collector)            // call before each model call
        _ = (context, hook)
    }

    static func cdpClient() async throws {

        let browser = try await CDPBrowser.launch()              // or CDPBrowser.attach(to: "http://127.0.0.1:9222")
        let page = try await browser.newPage()
        let title = try await page.send(Runtime.Evaluate(expression: "document.title", returnByValue: true))
        try await browser.close()
        _ = title
    }
}

@Suite struct ReadmeTests {
    @Test func everyLineOfTheReadmesSwiftIsCompiledHere() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let here = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let compiled = Set(here.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count >= 3)
        for line in blocks.joined(separator: "\n").split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            #expect(trimmed.isEmpty || compiled.contains(trimmed), "README line not compiled in ReadmeTests.swift: \(trimmed)")
        }
    }

    /// The README lists the tools a client sees by default and what `--all-tools` adds: the lists are
    /// the profiles' (an agent tool `x` is `shared_session_x`; `request_help` is `request_human_help`).
    @Test func theReadmeListsTheDefaultToolsAndWhatAllToolsAdds() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
            .replacingOccurrences(of: "\n", with: " ")
        func names(between start: String, and end: String) -> Set<String> {
            guard let from = readme.range(of: start), let to = readme.range(of: end, range: from.upperBound..<readme.endIndex) else { return [] }
            let text = readme[from.upperBound..<to.lowerBound]
            let parts: [Substring] = text.split(separator: Character("`"), omittingEmptySubsequences: false)
            return Set(parts.enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) })
        }
        let mcpName = { (name: String) in name == "request_help" ? "request_human_help" : name }
        let core = AgentToolbox.tools(profile: .core).map(\.name).filter { $0 != "control" }.map(mcpName)
        let listed = names(between: "core agent tools as `shared_session_<name>`:", and: "`--all-tools` adds")
        #expect(listed == Set(core), "README: \(listed.sorted()); core profile: \(core.sorted())")
        let full = AgentToolbox.tools(profile: .full, allowJavaScript: true).map(\.name).filter { $0 != "control" }.map(mcpName)
        let added = names(between: "`--all-tools` adds", and: "with\n`--allow-javascript`").union(
            names(between: "`--all-tools` adds", and: "What a person writes"))
        #expect(added.union(core).union(["--allow-javascript"]) == Set(full).union(["--allow-javascript"]),
                "README adds \(added.sorted()); full profile: \(full.sorted())")
    }
}

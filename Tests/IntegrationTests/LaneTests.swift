import CDPTransport
import Coordination
import DemoSite
import LiveView
import EventBuffer
import Foundation
import SharedSession
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Lanes: agents in tabs of their own, in one signed-in browser, at once; people taking over one tab
/// or the whole browser; operations on the whole browser waiting for the lanes.
@Suite struct LaneTests {
    /// Signs in once in the active tab (as the library: no lane taken).
    func signIn(_ session: SharedBrowserSession, _ site: DemoSite) async throws {
        try await session.navigate(to: site.url("/login"), as: .system).get()
        try await session.fill("#username", DemoSite.username, as: .system).get()
        try await session.fill("#password", DemoSite.password, as: .system).get()
        try await session.click("#sign-in", as: .system).get()
        #expect(await session.activeTab.url.hasSuffix("/dashboard"))
    }

    /// One agent's work in its own tab: the new-project form filled and sent; the project's page read.
    static func createProject(_ session: SharedBrowserSession, as agent: Participant, named name: String) async throws -> [ActionResult] {
        var results: [ActionResult] = []
        results.append(try await session.fill("#name", name, as: agent).get())
        results.append(try await session.fill("#description", "made by \(agent)", as: agent).get())
        results.append(try await session.selectOption("#visibility", ["team"], as: agent).get())
        results.append(try await session.check("#agree", as: agent).get())
        results.append(try await session.click("#create", as: agent).get())
        let shown = try await session.evaluate("document.querySelector('#project-name')?.textContent", as: agent).get()
        #expect(shown.value == .string(name), "\(agent) sees its own project")
        return results
    }

    /// Four agents, four tabs of their own, one sign-in: all fill and send a form at once and all
    /// succeed; each action and its events belong to the agent's tab; the tabs are listed with their
    /// holders and purposes; the active tab (what people watch) does not move.
    @Test func fourAgentsFillFormsInTheirOwnTabsAtOnce() async throws {
        let site = try await TestSession.shared.get().1
        try await withOwnSession("lanes-four") { session in
            try await signIn(session, site)
            let front = await session.activeTab.id
            let events = session.events.subscribe(bufferSize: 8192)
            defer { events.cancel() }
            let agents = (1...4).map { Participant.agent("lane\($0)") }
            let run = UUID().uuidString.prefix(6)
            let done = try await withThrowingTaskGroup(of: (Participant, String, [ActionResult]).self) { group in
                for agent in agents {
                    group.addTask {
                        let opened = try await session.openTab(for: agent, url: site.url("/projects/new"), purpose: "project of \(agent.id)").get()
                        let tab = try #require(opened.tab)
                        #expect(opened.url.hasSuffix("/projects/new"), "signed in there too: \(opened.url)")
                        let results = try await Self.createProject(session, as: agent, named: "\(agent.id)-\(run)")
                        return (agent, tab, [opened] + results)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(done.count == 4)
            #expect(Set(done.map(\.1)).count == 4, "four different tabs")
            #expect(await session.activeTab.id == front, "what people watch stays")
            for (agent, tab, results) in done {
                for result in results.dropFirst() {
                    #expect(result.tab == tab, "\(agent)'s \(result.action) acted in its own tab")
                    for event in result.events where event.kind == .actionStarted || event.kind == .actionFinished {
                        #expect(event.target == tab && event.cause == EventCause(agent), "\(event)")
                    }
                }
                #expect(results.last?.url.contains("/projects/") == true)
            }
            let tabs = await session.tabs()
            for (agent, tab, _) in done {
                let info = try #require(tabs.first { $0.id == tab })
                #expect(info.holder == agent && info.owner == agent && info.purpose == "project of \(agent.id)" && !info.isActive)
            }
            // Every lane's turn is a control event of that tab.
            let lanes = Set(done.map(\.1))
            let granted = await within(.seconds(5)) {
                var tabsGranted = Set<String>()
                for await element in events {
                    if let event = element.event, event.kind == .control, case .control(let info) = event.payload,
                       info.change == "granted", let tab = info.tab, lanes.contains(tab) {
                        tabsGranted.insert(tab)
                        #expect(event.target == tab)
                        if tabsGranted.count == 4 { return true }
                    }
                }
                return false
            }
            #expect(granted == true)
            // The four projects are the signed-in user's.
            try await session.navigate(to: site.url("/dashboard"), as: .system).get()
            let listed = try await session.evaluate("document.querySelector('#projects').textContent", as: .system).get().value?.stringValue ?? ""
            for agent in agents { #expect(listed.contains("\(agent.id)-\(run)")) }
        }
    }

    /// A person takes over one agent's tab: that agent is refused, naming the person and the tab;
    /// the three others go on in theirs meanwhile; the person acts in the tab, hands back, and the
    /// agent goes on.
    @Test func aPersonTakesOverOneTabWhileThreeAgentsGoOn() async throws {
        let site = try await TestSession.shared.get().1
        try await withOwnSession("lanes-person") { session in
            try await signIn(session, site)
            let agents = (1...4).map { Participant.agent("worker\($0)") }
            let alice = Participant.human("alice")
            var opened: [String] = []
            for agent in agents {
                opened.append(try #require(try await session.openTab(for: agent, url: site.url("/projects/new")).get().tab))
            }
            let own = opened
            try await session.coordinator.takeOver(by: alice, tab: own[0])
            let refused = await session.fill("#name", "mine", as: agents[0])
            #expect(refused.error?.code == .notInControl && refused.error?.heldBy == alice && refused.error?.tab == own[0])
            #expect(refused.error?.message.contains("human:alice holds control of it") == true, "\(refused.error?.message ?? "")")
            #expect(refused.error?.message.contains(own[0]) == true)
            let run = UUID().uuidString.prefix(6)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for agent in agents.dropFirst() {
                    group.addTask { _ = try await Self.createProject(session, as: agent, named: "\(agent.id)-\(run)") }
                }
                // Meanwhile the person types in the tab she took.
                group.addTask {
                    try await session.fill("#name", "alice-\(run)", as: alice, options: .init(tab: own[0])).get()
                }
                try await group.waitForAll()
            }
            let typed = try await session.evaluate("document.querySelector('#name').value", as: .system, options: .init(tab: own[0])).get()
            #expect(typed.value == .string("alice-\(run)"))
            try await session.coordinator.handBack(by: alice, tab: own[0])
            #expect(await session.coordinator.holder(of: own[0]) == agents[0], "handed back to the agent it was taken from")
            _ = try await Self.createProject(session, as: agents[0], named: "\(agents[0].id)-\(run)")
        }
    }

    /// An operation on the whole browser (cookies and storage) waits until no one else holds a tab;
    /// without waiting it is refused naming a holder and its tab. Taking over the whole browser stops
    /// every lane until the hand-back.
    @Test func theWholeBrowserWaitsForTheLanes() async throws {
        let site = try await TestSession.shared.get().1
        try await withOwnSession("lanes-whole") { session in
            try await signIn(session, site)
            let a = Participant.agent("a"), b = Participant.agent("b"), keeper = Participant.agent("keeper")
            let tabA = try #require(try await session.openTab(for: a, url: site.url("/dashboard")).get().tab)
            let tabB = try #require(try await session.openTab(for: b, url: site.url("/dashboard")).get().tab)
            let saved = try await session.storageState()
            let restore = BrowserAction(.setStorageState, ActionParams(storageState: saved), source: EventCause(keeper))
            let refused = await session.run(restore)
            #expect(refused.error?.code == .notInControl)
            #expect(refused.error?.message.contains("agent:a holds control of tab \(tabA)") == true, "\(refused.error?.message ?? "")")
            // Asked with a wait, it queues for the whole browser until both lanes are let go.
            async let waited = session.run(restore, options: .init(waitForControl: .seconds(20)))
            #expect(await sessionBecomes(session, within: .seconds(10)) { await session.coordinator.queue == [keeper] })
            // Meanwhile a newcomer holding nothing queues behind it rather than starving it.
            let late = await session.click("#new-project", as: .agent("late"), options: .init(tab: tabA))
            #expect(late.error?.code == .notInControl)
            await session.coordinator.releaseControl(for: a)
            #expect(await session.coordinator.holder == nil, "b still holds its tab")
            await session.coordinator.releaseControl(for: b)
            let result = await waited
            #expect(result.succeeded, "\(result.error?.message ?? "")")
            await session.coordinator.releaseControl(for: keeper)

            // A person taking the whole browser stops every lane; the hand-back lets them go on.
            try await session.navigate(to: site.url("/dashboard"), as: a).get()
            try await session.navigate(to: site.url("/dashboard"), as: b).get()
            let alice = Participant.human("alice")
            try await session.coordinator.takeOver(by: alice)
            #expect(await session.reload(as: a).error?.heldBy == alice)
            #expect(await session.reload(as: b).error?.heldBy == alice)
            try await session.coordinator.handBack(by: alice)
            try await session.reload(as: a).get()
            try await session.reload(as: b).get()
            #expect(await session.coordinator.holder(of: tabB) == b)
        }
    }

    /// A person sees the lanes in the live view: every tab with who holds it and a small live
    /// picture; she watches another tab, takes over that one tab while the other agent goes on in
    /// its own, and hands back.
    @Test func aPersonSeesTheLanesAndTakesOverOneInTheLiveView() async throws {
        try await withOwnSession("lanes-live-view") { session in
            let a = Participant.agent("lane-a"), b = Participant.agent("lane-b")
            try await session.navigate(to: dataURL("<title>front</title><p>front</p>"), as: .system).get()
            let tabA = try #require(try await session.openTab(for: a, url: dataURL("<title>A</title><input id=f>"), purpose: "invoices").get().tab)
            let tabB = try #require(try await session.openTab(for: b, url: dataURL("<title>B</title><input id=f>")).get().tab)
            let view = try await session.liveView()
            let (_, page) = try await TestBrowser.page()
            _ = try await page.send(Page.Navigate(url: try #require(view.controlURL)))
            func strip(_ tab: String) -> String { "document.querySelector('#tabs button[data-tab=\"\(tab)\"]')" }
            // Each lane with its holder and purpose, and a picture of it.
            #expect(await pageBecomes(page, "\(strip(tabA))?.dataset.holder === 'agent:lane-a' && \(strip(tabA)).textContent.includes('invoices')",
                                      within: .seconds(15)))
            #expect(await pageBecomes(page, "\(strip(tabB))?.dataset.holder === 'agent:lane-b'"))
            #expect(await pageBecomes(page, "(\(strip(tabA)).querySelector('img').src || '').startsWith('data:image/jpeg')", within: .seconds(10)))
            // A tab that is not there is refused, said to her.
            _ = try await evaluate(page, "send({ type: 'takeOver', tab: 'no-such-tab' }); 1")
            #expect(await pageBecomes(page, "document.body.dataset.lastError === 'no tab no-such-tab'"))
            #expect(await session.coordinator.lanes.contains { $0.tab == "no-such-tab" } == false)
            // She watches tab A, then takes over that tab only.
            _ = try await evaluate(page, "\(strip(tabA)).click(); 1")
            #expect(await sessionBecomes(session) { await session.activeTab.id == tabA })
            #expect(await pageBecomes(page, "\(strip(tabA)).getAttribute('aria-selected') === 'true' && document.getElementById('take').disabled === false"))
            _ = try await evaluate(page, "document.getElementById('take').click(); 1")
            #expect(await sessionBecomes(session) { await session.coordinator.holder(of: tabA) == .human("person") })
            #expect(await session.coordinator.holder == nil, "one tab, not the whole browser")
            #expect(await pageBecomes(page, "document.getElementById('driver').textContent === 'human:person is driving this tab'"))
            let refused = await session.fill("#f", "x", as: a)
            #expect(refused.error?.heldBy == .human("person") && refused.error?.tab == tabA)
            try await session.fill("#f", "goes on", as: b).get()
            // The hand-back returns the tab to its agent.
            #expect(await pageBecomes(page, "document.getElementById('handback').disabled === false"))
            _ = try await evaluate(page, "document.getElementById('handback').click(); 1")
            #expect(await sessionBecomes(session) { await session.coordinator.holder(of: tabA) == a })
            try await session.fill("#f", "mine again", as: a).get()
            // An agent in its own tab asks for help: the request leads the person to that tab.
            let help = Task { try await session.requestHumanHelp(reason: "a code", by: b, timeout: .seconds(30)) }
            #expect(await pageBecomes(page, "document.getElementById('help').dataset.tab === '\(tabB)'"))
            _ = try await evaluate(page, "document.getElementById('help').click(); 1")
            #expect(await sessionBecomes(session) { await session.activeTab.id == tabB })
            #expect(await pageBecomes(page, "\(strip(tabB)).getAttribute('aria-selected') === 'true' && document.getElementById('take').disabled === false"))
            _ = try await evaluate(page, "document.getElementById('take').click(); 1")
            #expect(await sessionBecomes(session) { await session.coordinator.holder(of: tabB) == .human("person") })
            #expect(await pageBecomes(page, "document.getElementById('handback').disabled === false"))
            _ = try await evaluate(page, "document.getElementById('handback').click(); 1")
            let brief = try await help.value
            #expect(brief.person == "human:person")
            #expect(await session.coordinator.holder(of: tabB) == b, "back to the agent that asked")
            _ = try await page.send(Page.Navigate(url: "about:blank"))
        }
    }

    /// `swift run Lanes`: three agents, three tabs, one sign-in; each agent's steps are printed with
    /// its tab, all succeed, and the dashboard lists the three projects.
    @Test func theLanesExampleRunsThreeAgentsAtOnce() async throws {
        let (status, output) = try runExample("Lanes")
        #expect(status == 0, "\(output.suffix(800))")
        let lines = output.split(separator: "\n").map(String.init)
        var tabsOf: [String: Set<String>] = [:]
        for agent in ["planner", "writer", "checker"] {
            let steps = lines.filter { $0.contains(" ms  agent:\(agent) ") }
            #expect(steps.count == 6 && steps.allSatisfy { $0.hasSuffix("— ok") }, "\(agent): \(steps)")
            tabsOf[agent] = Set(steps.map { line in String(line[line.range(of: " tab ")!.upperBound...].prefix(6)) })
            #expect(tabsOf[agent]?.count == 1, "\(agent) works in one tab")
        }
        #expect(Set(tabsOf.values.compactMap(\.first)).count == 3, "three tabs")
        let listed = lines.first { $0.contains("the dashboard") && $0.contains("lists: ") } ?? ""
        #expect(["Q3 plan", "Release notes", "Audit"].allSatisfy(listed.contains), "\(output.suffix(400))")
    }

    /// A browser killed and relaunched gives each own tab back to its owner: at its URL, in a window of
    /// its own, with its purpose; the lanes of the tabs that went are over.
    @Test func ownTabsComeBackToTheirOwnersAfterARelaunch() async throws {
        try await withOwnSession("lanes-relaunch") { session in
            let a = Participant.agent("a")
            let page = dataURL("<title>mine</title><p>mine</p>")
            let old = try #require(try await session.openTab(for: a, url: page, purpose: "kept").get().tab)
            let pid = try #require(session.browserProcessID)
            let restarted = session.events.subscribe(kinds: [.browserRestarted])
            defer { restarted.cancel() }
            kill(pid, SIGKILL)
            #expect(await firstEvent(restarted, .browserRestarted) != nil)
            let next = await session.evaluate("document.title + ' ' + document.visibilityState", as: a)
            #expect(next.error == nil, "\(String(describing: next.error))")
            #expect(next.value == "mine visible", "its own tab again, shown")
            let tab = try #require(await session.ownTab(of: a))
            #expect(tab != old && next.tab == tab)
            let info = try #require(await session.tabs().first { $0.id == tab })
            #expect(info.owner == a && info.purpose == "kept" && info.holder == a)
            #expect(await session.coordinator.lanes.contains { $0.tab == old } == false)
        }
    }

    /// A tab of one's own runs at full speed though it is not the active one: shown, painting
    /// (animation frames come), focused; screenshots and snapshots read it; closing it ends the lane.
    @Test func anOwnTabRunsAtFullSpeedBehindTheActiveOne() async throws {
        try await withOwnSession("lanes-speed") { session in
            let a = Participant.agent("a"), b = Participant.agent("b")
            try await session.navigate(to: dataURL("<title>front</title><p>front</p>"), as: a).get()
            let tab = try #require(try await session.openTab(for: b, url: dataURL("<title>back</title><button>Back button</button>")).get().tab)
            #expect(await session.activeTab.id != tab)
            let probe = """
                new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() =>
                  r(document.visibilityState + ' ' + document.hasFocus()))))
                """
            #expect(try await session.evaluate(probe, as: b).get().value == "visible true")
            #expect(try await session.evaluate(probe, as: a).get().value == "visible true")
            let snapshot = try await session.snapshot(as: b).get()
            #expect(snapshot.snapshot?.text.contains("Back button") == true)
            let shot = try await session.screenshot(as: b).get()
            #expect((shot.data?.count ?? 0) > 1000 && shot.tab == tab)
            let context = await session.agentContext(for: b)
            #expect(context.text.contains("back") && context.text.contains("you (b) hold control of this tab"), "\(context.text)")
            // Closing without naming a tab closes one's own (not the tab people watch); a named tab that
            // is gone is then a typed error, not another tab.
            let front = await session.activeTab.id
            try await session.closeTab(as: b).get()
            #expect(await session.tabs().map(\.id) == [front])
            let gone = await session.click("text=Back button", as: b, options: .init(tab: tab))
            #expect(gone.error?.code == .noSuchTab)
            #expect(await session.coordinator.lanes.contains { $0.tab == tab } == false)
            // Its actions go to the active tab again.
            #expect(await session.ownTab(of: b) == nil)
        }
    }
}

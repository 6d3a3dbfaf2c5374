import DemoSite
import Foundation
import SharedSession
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Chromium {
@Suite struct SessionTests {
    @Test func navigatesBackForwardReloadAndKeepsTheState() async throws {
        let (session, site) = try await TestSession.shared.get()
        let login = try await session.navigate(to: site.url("/login"), as: system).get()
        #expect(login.url == site.url("/login") && login.title == "Sign in")
        #expect(session.state.url == site.url("/login") && session.state.title == "Sign in" && !session.state.loading)
        let widgets = try await session.navigate(to: site.url("/widgets"), as: system).get()
        #expect(widgets.navigatedTo == site.url("/widgets"))
        #expect(session.state.canGoBack && !session.state.canGoForward)
        let back = try await session.back(as: system).get()
        #expect(back.url == site.url("/login"))
        #expect(session.state.canGoForward)
        let forward = try await session.forward(as: system).get()
        #expect(forward.url == site.url("/widgets"))
        try await session.reload(as: system).get()
        #expect(session.state.title == "Widgets")
        #expect(session.state.navigationSucceeded == true)
        let early = try await session.navigate(to: site.url("/login"), waitUntil: .domContentLoaded, as: system).get()
        #expect(early.url == site.url("/login"))
        let idle = try await session.navigate(to: site.url("/"), waitUntil: .networkIdle, as: system).get()
        #expect(idle.title == "SharedBrowser demo")
    }

    @Test func fillsTypesPressesSelectsChecksHoversAndScrolls() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        func value(_ js: String) async throws -> JSONValue? { try await session.evaluate(js, as: system).get().value }

        try await session.fill("#text", "hello", as: system).get()
        #expect(try await value("document.querySelector('#text').value") == "hello")
        try await session.fill("#prefilled", "new", as: system).get()
        #expect(try await value("document.querySelector('#prefilled').value") == "new")
        try await session.fill("#prefilled", "", as: system).get()
        #expect(try await value("document.querySelector('#prefilled').value") == "")

        try await session.type("abc", into: "#area", as: system).get()
        #expect(try await value("document.querySelector('#area').value") == "abc")
        try await session.press("Control+A", on: "#area", as: system).get()
        try await session.press("Enter", as: system).get()
        let keys = try await value("document.querySelector('#keys').textContent")?.stringValue ?? ""
        #expect(keys.contains("[Ctrl+Control][Ctrl+A][Enter]"), "\(keys)")

        try await session.selectOption("#color", ["Green"], as: system).get()
        #expect(try await value("document.querySelector('#color').value") == "g")
        try await session.selectOption("#color", ["b"], as: system).get()
        #expect(try await value("document.querySelector('#color').value") == "b")
        let missing = await session.selectOption("#color", ["Purple"], as: system)
        #expect(missing.error?.code == .optionNotFound)

        try await session.check("#check", as: system).get()
        #expect(try await value("document.querySelector('#check').checked") == true)
        try await session.check("#check", as: system).get()     // already checked: no click
        #expect(try await value("document.querySelector('#check').checked") == true)
        try await session.uncheck("#check", as: system).get()
        #expect(try await value("document.querySelector('#check').checked") == false)
        try await session.check("#large", as: system).get()
        #expect(try await value("document.querySelector('#large').checked") == true)

        try await session.hover("#hover", as: system).get()
        #expect(try await value("document.querySelector('#hover').textContent") == "hovered")

        let scrolled = try await session.scroll(y: 400, as: system).get()
        #expect(scrolled.value == [0, 400])
        try await session.scroll(to: "#bottom", as: system).get()
        #expect((try await value("scrollY"))?.doubleValue ?? 0 > 1000)

        let wrongKind = await session.fill("#hover", "x", as: system)
        #expect(wrongKind.error?.code == .notApplicable)
        let unknownKey = await session.press("Hyper+Q", as: system)
        #expect(unknownKey.error?.code == .notApplicable)
    }

    @Test func actionsWaitForElementsToAppearAndBecomeEnabled() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/late"), as: system).get()
        let appeared = try await session.click("#appeared", as: system).get()
        #expect(appeared.succeeded)
        #expect(try await session.evaluate("document.querySelector('#out').textContent", as: system).get().value == "appeared clicked")
        try await session.navigate(to: site.url("/late"), as: system).get()
        try await session.click("#later", as: system).get()
        #expect(try await session.evaluate("document.querySelector('#out').textContent", as: system).get().value == "enabled clicked")
        try await session.click("text=Appeared", as: system).get()
    }

    @Test func invalidSelectorsFailAtOnce() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        for selector in ["span!", "#3", "", "text="] {
            let result = await session.click(ElementTarget(selector), as: system)
            #expect(result.error?.code == .invalidSelector, "\(selector)")
            #expect(result.duration < .milliseconds(100), "\(selector) took \(result.duration)")
        }
    }

    @Test func aMissingElementTimesOutNamingTheSelector() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        let missing = await session.click("#nope", as: system, options: .init(timeout: .milliseconds(300)))
        #expect(missing.error?.code == .timeout)
        #expect(missing.error?.message.contains("#nope") == true)
        #expect(missing.error?.message.contains("not found") == true)
        let hidden = await session.click("#hidden", as: system, options: .init(timeout: .milliseconds(300)))
        #expect(hidden.error?.message.contains("not visible") == true)
        let stale = await session.click(.ref("e1"), as: system)
        #expect(stale.error?.code == .staleReference)
    }

    @Test func badURLsAndUnreachableHostsGiveTypedErrors() async throws {
        let (session, site) = try await TestSession.shared.get()
        let words = await session.navigate(to: "asdfasdf", as: system)
        #expect(words.error?.code == .invalidURL)
        #expect(words.events.contains { $0.kind == .request } == false)
        for url in ["file:///etc/passwd", "javascript:alert(1)", "view-source:https://example.com/", "chrome://settings"] {
            #expect(await session.navigate(to: url, as: system).error?.code == .urlNotAllowed, "\(url)")
        }
        // A port nothing listens on: bind one, note it, let it go.
        let probe = try await DemoSite.start()
        let closedPort = URL(string: probe.baseURL)!.port!
        await probe.stop()
        let unreachable = "http://127.0.0.1:\(closedPort)/"
        let refused = await session.navigate(to: unreachable, as: system)
        #expect(refused.error?.code == .navigationFailed)
        #expect(refused.error?.message.contains("net::ERR_CONNECTION_REFUSED") == true, "\(String(describing: refused.error))")
        #expect(refused.error?.url == unreachable)
        #expect(session.state.navigationSucceeded == false)
        #expect(session.state.navigationError == "net::ERR_CONNECTION_REFUSED")
        let unsafe = await session.navigate(to: "http://127.0.0.1:1/", as: system)
        #expect(unsafe.error?.message.contains("net::ERR_UNSAFE_PORT") == true)
        let slow = await session.navigate(to: site.url("/slow?ms=3000"), as: system, options: .init(timeout: .milliseconds(300)))
        #expect(slow.error?.code == .timeout)
        #expect(slow.error?.message.contains("/slow?ms=3000") == true)
    }

    @Test func evaluatesScriptsAndReportsTheirFailures() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        #expect(try await session.evaluate("1 + 2", as: system).get().value == 3)
        #expect(try await session.evaluate("Promise.resolve({a: [1, 'x']})", as: system).get().value == ["a": [1, "x"]])
        let thrown = await session.evaluate("(function explode() { throw new Error('boom') })()", as: system)
        #expect(thrown.error?.code == .evaluationFailed)
        #expect(thrown.error?.message.contains("boom") == true)
        #expect(thrown.error?.stack?.contains("explode") == true)
        let rejected = await session.evaluate("Promise.reject(new Error('nope'))", as: system)
        #expect(rejected.error?.code == .evaluationFailed)
        #expect(rejected.error?.message.contains("nope") == true)
        let cyclic = try await session.evaluate("const o = {a: 1}; o.self = o; o", as: system).get()
        #expect(cyclic.value?["a"] == 1 && cyclic.value?["self"] == "[circular]")
        #expect(cyclic.valueNotes.contains { $0.contains("circular") })
        #expect(try await session.evaluate("'still usable'", as: system).get().value == "still usable")
    }

    @Test func valuesJSONCannotHoldAreGivenPlainlyNeverLost() async throws {
        let (session, _) = try await TestSession.shared.get()
        func evaluate(_ script: String) async throws -> ActionResult { try await session.evaluate(script, as: system).get() }
        let cases: [(String, JSONValue, String)] = [
            ("1n", "1", "BigInt"), ("2n ** 70n", "1180591620717411303424", "BigInt"), ("NaN", "NaN", "NaN"),
            ("Infinity", "Infinity", "Infinity"), ("-Infinity", "-Infinity", "-Infinity"),
            ("new Date(Date.UTC(2026, 10, 27))", "2026-11-27T00:00:00.000Z", "Date"),
            ("new Map([['k', 1]])", ["k": 1], "Map"), ("new Set([1, 2])", [1, 2], "Set"),
            ("(function f() {})", .null, "function"), ("/a+b/g", "/a+b/g", "RegExp"), ("undefined", .null, "undefined"),
            ("Symbol('s')", .null, "symbol"),
        ]
        for (script, expected, named) in cases {
            let result = try await evaluate(script)
            #expect(result.value == expected, "\(script)")
            #expect(result.valueNotes.contains { $0.contains(named) }, "\(script): \(result.valueNotes)")
            #expect(result.report.contains("Note: "), "\(script)")
        }
        let negativeZero = try await evaluate("-0")
        #expect(negativeZero.value?.doubleValue == 0 && negativeZero.value?.doubleValue?.sign == .minus)
        #expect(negativeZero.valueNotes.isEmpty)
        let nested = try await evaluate("({n: NaN, list: [1n, {d: new Date(0)}], plain: 'x'})")
        #expect(nested.value?["plain"] == "x" && nested.value?["n"] == "NaN")
        #expect(nested.value?["list"]?[0] == "1" && nested.value?["list"]?[1]?["d"] == "1970-01-01T00:00:00.000Z")
        #expect(try await evaluate("({a: [1, 'x'], b: null, c: true})").valueNotes.isEmpty)
    }

    @Test func byDefaultDialogsAreAnsweredAtOnceWhileAgentsDrive() async throws {
        let (session, _) = try await TestSession.shared.get()
        // Four alerts and a confirm in a row: none blocks the tab.
        let page = "data:text/html,<p id=out>start</p><script>for (let i = 0; i < 4; i++) alert('n' + i);"
            + "document.getElementById('out').textContent = confirm('sure?') ? 'yes' : 'no'</script>"
        // The navigation is not cut short: it waits for the load, which comes once all five are answered.
        let loaded = try await session.navigate(to: page, as: system).get()
        #expect(loaded.dialog?.type == "alert" && loaded.dialog?.message == "n0")
        let closed = loaded.dialogEvents.compactMap { event -> DialogInfo? in
            guard event.kind == .dialogClosed, case .dialog(let info) = event.payload else { return nil }
            return info
        }
        #expect(closed.map(\.type) == ["alert", "alert", "alert", "alert", "confirm"])
        #expect(closed.last?.accepted == false)   // confirm: dismissed, as Playwright does
        #expect(try await session.evaluate("document.getElementById('out').textContent", as: system).get().value == "no")
        #expect(session.state.openDialog == nil)
        try await session.navigate(to: "about:blank", as: system).get()
    }

    @Test func aDialogDuringAClickIsReportedAndBlocksUntilHandled() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/dialogs"), as: system).get()
        // With a person in control, the default policy leaves dialogs open for them.
        let person = Participant.human("dialog-answerer")
        try await inControl(of: person, session) {
            #expect(session.state.controlHolder == "human:dialog-answerer")
            try await answersDialogsAsAPerson(session, person)
        }
    }

    func answersDialogsAsAPerson(_ session: SharedBrowserSession, _ person: Participant) async throws {
        let clicked = await session.click("#alert", as: person)
        #expect(clicked.succeeded)
        #expect(clicked.dialog?.type == "alert")
        #expect(clicked.dialog?.message == "Hello from the page")
        #expect(session.state.openDialog?.message == "Hello from the page")
        // What agents are told names the dialog, and reading does not hang on the blocked page.
        let context = await session.agentContext(budget: 500)
        #expect(context.text.contains("Dialog open: alert \"Hello from the page\""))
        #expect(context.text.contains("cannot be read while its dialog is open"))
        let blocked = await session.click("#confirm", as: person)
        #expect(blocked.error?.code == .dialogOpen)
        try await session.handleDialog(accept: true, as: person).get()
        #expect(session.state.openDialog == nil)
        #expect(try await session.evaluate("document.querySelector('#out').textContent", as: system).get().value == "alert closed")
        let prompted = await session.click("#prompt", as: person)
        #expect(prompted.dialog?.type == "prompt")
        try await session.handleDialog(accept: true, promptText: "Ada", as: person).get()
        #expect(try await session.evaluate("document.querySelector('#out').textContent", as: system).get().value == "answer: Ada")
        #expect(await session.handleDialog(accept: true, as: system).error?.code == .notApplicable)
    }

    @Test func capturesConsoleMessagesAndPageErrors() async throws {
        let (session, site) = try await TestSession.shared.get()
        let console = try await session.navigate(to: site.url("/console"), as: system).get()
        let levels = console.events.compactMap { event -> String? in
            if case .console(let info) = event.payload { return info.level }
            return nil
        }
        #expect(levels == ["log", "info", "warning", "error"])
        #expect(console.errorsDuringAction.map(\.summary).contains { $0.contains("an error happened") })
        let errors = session.events.subscribe(kinds: [.pageError])
        try await session.navigate(to: site.url("/throw"), as: system).get()
        let pageError = await firstEvent(errors, .pageError)
        #expect(pageError?.summary.contains("demo failure") == true)
        if case .pageError(let info)? = pageError?.payload { #expect(info.stack?.contains("explode") == true) }
        #expect(session.state.lastError?.contains("demo failure") == true)
    }

    @Test func downloadsLandInTheDownloadsFolder() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/download"), as: system).get()
        let downloads = session.events.subscribe(kinds: [.downloadStarted, .downloadFinished])
        try await session.click("#report", as: system).get()
        let finished = await firstEvent(downloads, .downloadFinished)
        guard case .download(let info)? = finished?.payload, let path = info.path else {
            Issue.record("no finished download")
            return
        }
        #expect(info.state == "completed")
        #expect(path.hasPrefix(session.downloadsDirectory) && path.hasSuffix("report.csv"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("alpha,done"))
    }

    @Test func theDefaultViewportIs1280By720InEveryTab() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        #expect(try await session.evaluate("[innerWidth, innerHeight]", as: system).get().value == [1280, 720])
        // A tab opened later gets it too.
        let opened = try await session.openTab(url: site.url("/"), as: system).get()
        #expect(try await session.evaluate("[innerWidth, innerHeight]", as: system).get().value == [1280, 720])
        try await session.closeTab(as: system).get()
        #expect(opened.succeeded)
    }

    @Test func takesScreenshotsAndSetsTheViewport() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/widgets"), as: system).get()
        try await session.setViewport(width: 800, height: 600, as: system).get()
        let png = try #require(try await session.screenshot(as: system).get().data)
        #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        #expect(Array(png[16..<24]) == [0, 0, 0x03, 0x20, 0, 0, 0x02, 0x58])   // 800 x 600
        let jpeg = try #require(try await session.screenshot(format: .jpeg, quality: 60, as: system).get().data)
        #expect(jpeg.prefix(2) == Data([0xFF, 0xD8]))
        let full = try #require(try await session.screenshot(fullPage: true, as: system).get().data)
        let height = full[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(height > 3000)
        #expect(await session.setViewport(width: 0, height: 10, as: system).error?.code == .notApplicable)
        try await session.setViewport(width: 1280, height: 720, as: system).get()
    }

    @Test func waitsForTextSelectorsURLsAndNavigations() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/late"), as: system).get()
        try await session.waitFor(text: "Appeared", as: system).get()
        try await session.waitFor("#appeared", state: "attached", as: system).get()
        try await session.waitFor("#nothing", state: "detached", as: system).get()
        try await session.waitFor(url: "**/late", as: system).get()
        let wrongURL = await session.waitFor(url: "**/never", as: system, options: .init(timeout: .milliseconds(200)))
        #expect(wrongURL.error?.code == .timeout)
        try await session.evaluate("setTimeout(() => { location.href = '/widgets' }, 100); 0", as: system).get()
        let navigated = try await session.waitForNavigation(as: system).get()
        #expect(navigated.url == site.url("/widgets"))
        let noText = await session.waitFor(text: "not on this page", as: system, options: .init(timeout: .milliseconds(200)))
        #expect(noText.error?.code == .timeout)
    }

    @Test func snapshotsGiveRefsThatActionsUseUntilTheNextDocument() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/login"), as: system).get()
        let snapshot = try #require(try await session.snapshot(as: system).get().snapshot)
        let lines = snapshot.text.split(separator: "\n").map(String.init)
        func ref(_ fragment: String) throws -> String {
            let line = try #require(lines.first { $0.contains(fragment) }, "no line with \(fragment) in\n\(snapshot.text)")
            return String(try #require(line.split(separator: " ref=").last))
        }
        #expect(lines.contains { $0.hasPrefix("- heading \"Sign in\"") })
        #expect(snapshot.refs.count == 3)
        try await session.fill(.ref(try ref("textbox \"Username\"")), DemoSite.username, as: system).get()
        try await session.fill(.ref(try ref("textbox \"Password\"")), DemoSite.password, as: system).get()
        let signIn = try ref("button \"Sign in\"")
        let clicked = try await session.click(.ref(signIn), as: system).get()
        #expect(clicked.url == site.url("/dashboard"))
        // The dashboard is another document: the old ref must not hit anything on it.
        let stale = await session.click(.ref(signIn), as: system)
        #expect(stale.error?.code == .staleReference)

        let dashboard = try #require(try await session.snapshot(interactiveOnly: true, as: system).get().snapshot)
        #expect(dashboard.text.split(separator: "\n").allSatisfy { $0.hasPrefix("- link") })
        // Its refs go on from the last page's: none names anything the login's named.
        #expect(Set(dashboard.refs.keys).isDisjoint(with: snapshot.refs.keys), "\(dashboard.refs.keys) \(snapshot.refs.keys)")
        // The older form names its document: this one's works, the last one's is stale.
        let first = try #require(dashboard.lines.first?.ref)
        #expect(await session.hover(.ref("\(first)@\(dashboard.generation)"), as: system).error == nil)
        #expect(await session.hover(.ref("\(first)@\(snapshot.generation)"), as: system).error?.code == .staleReference)
        let newProject = try #require(dashboard.text.split(separator: "\n").first { $0.contains("New project") })
        let newProjectRef = String(try #require(newProject.split(separator: " ref=").last))
        try await session.evaluate("document.querySelector('#new-project').remove(); 0", as: system).get()
        let removed = await session.click(.ref(newProjectRef), as: system)
        #expect(removed.error?.code == .staleReference)
        #expect(removed.error?.message.contains("no longer in the page") == true)
        #expect(await session.click(.ref("e999"), as: system).error?.code == .staleReference)
    }

    /// Refs are the session's: two tabs never share one, and a ref of one tab used in another fails
    /// instead of acting on something there.
    @Test func refsAreTheSessionsAcrossTabs() async throws {
        try await withOwnSession("refs-across-tabs") { session in
            try await session.navigate(to: dataURL("<button>One</button><button>Two</button>"), as: system).get()
            let first = try #require(try await session.snapshot(as: system).get().snapshot)
            let opened = try await session.openTab(url: dataURL("<button>Three</button><button>Four</button>"), as: system).get()
            let tab = try #require(opened.tab)
            let second = try #require(try await session.snapshot(as: system, options: .init(tab: tab)).get().snapshot)
            #expect(first.refs.count == 2 && second.refs.count == 2)
            #expect(Set(first.refs.keys).isDisjoint(with: second.refs.keys), "\(first.refs.keys) \(second.refs.keys)")
            let foreign = try #require(first.lines.first?.ref)
            let wrong = await session.click(.ref(foreign), as: system, options: .init(tab: tab))
            #expect(wrong.error?.code == .staleReference && wrong.error?.message.contains("another tab") == true, "\(String(describing: wrong.error))")
        }
    }

    @Test func opensSwitchesAndClosesTabs() async throws {
        let (session, site) = try await TestSession.shared.get()
        let first = await session.activeTab.id
        let opened = try await session.openTab(url: site.url("/widgets"), as: system).get()
        #expect(opened.url == site.url("/widgets"))
        let tabs = await session.tabs()
        #expect(tabs.count == 2)
        let second = try #require(tabs.first { $0.isActive }?.id)
        #expect(second != first)
        try await session.switchTab(to: first, as: system).get()
        #expect(await session.activeTab.id == first)
        #expect(session.state.activeTab == first)
        #expect(await session.switchTab(to: "nope", as: system).error?.code == .noSuchTab)
        try await session.closeTab(second, as: system).get()
        #expect(await session.tabs().map(\.id) == [first])
        // Launched over a pipe: no DevTools port, so no address to give out.
        #expect(session.remoteDebuggingURL == nil)
        #expect(await session.devToolsFrontendURL() == nil)
        #expect(session.recordingDirectory == nil, "nothing is recorded unless asked")
    }

    /// A lone agent never asks for control: its first action takes it (an implicit turn), another
    /// agent's action is refused naming it, and once it lets go the other acts.
    @Test func aLoneAgentActsWithoutAskingForControl() async throws {
        let site = try await TestSession.shared.get().1
        try await withOwnSession("implicit-turn") { session in
            let lone = Participant.agent("lone"), other = Participant.agent("other")
            #expect(await session.coordinator.holder == nil)
            let events = session.events.subscribe(bufferSize: 256)
            defer { events.cancel() }
            try await session.navigate(to: site.url("/widgets"), as: lone).get()
            let tab = await session.activeTab.id
            #expect(await firstEvent(events, .control) { $0.cause == .agent("lone") && $0.target == tab } != nil, "the turn it took is an event")
            // It holds the tab it acts in (its lane), not the whole browser.
            #expect(await session.coordinator.holder(of: tab) == lone)
            #expect(await session.coordinator.holder == nil)
            let refused = await session.click("#check", as: other)
            #expect(refused.error?.code == .notInControl && refused.error?.tab == tab)
            #expect(refused.error?.message.contains("agent:lone holds control of it") == true, "\(refused.error?.message ?? "")")
            await session.coordinator.releaseControl(for: lone)
            try await session.click("#check", as: other).get()
            #expect(await session.coordinator.holder(of: tab) == other)
        }
    }

    @Test func onlyTheHolderOfControlActsAndEventsCarryIt() async throws {
        let (session, site) = try await TestSession.shared.get()
        let owner = Participant.agent("owner"), other = Participant.agent("other")
        try await session.coordinator.withTurn(for: owner) {
            let mine = try await session.navigate(to: site.url("/widgets"), as: owner).get()
            #expect(mine.events.first { $0.kind == .navigation }?.cause == .agent("owner"))
            let before = session.statistics
            let refused = await session.click("#check", as: other)
            #expect(refused.error?.code == .notInControl)
            // Counted for monitoring, by kind and outcome, with its duration.
            let refusedKey = SessionStatistics.ActionKey(kind: "click", outcome: "notInControl")
            #expect(session.statistics.actions[refusedKey]?.count == (before.actions[refusedKey]?.count ?? 0) + 1)
            #expect(session.statistics.actions[.init(kind: "navigate", outcome: "ok")].map { $0.count >= 1 && $0.totalSeconds > 0 } == true)
            #expect(refused.error?.heldBy == owner)
            #expect(try await session.evaluate("1", as: system).get().value == 1)   // the library itself may act
        }
        // Waiting for control instead of failing: the other agent's action runs once the owner lets go.
        let changes = await session.coordinator.events()
        try await session.coordinator.requestControl(for: owner)
        let waiting = Task { await session.evaluate("2", as: other, options: .init(waitForControl: .seconds(10))) }
        var order: [String] = []
        for await change in changes {
            if change.change == .requested, change.participant == other {
                order.append("other waits")
                await session.coordinator.releaseControl(for: owner)
            }
            if change.change == .granted, change.participant == other {
                order.append("other granted")
                break
            }
        }
        let waited = await waiting.value
        #expect(order == ["other waits", "other granted"])
        #expect(waited.value == 2)
        await session.coordinator.releaseControl(for: other)
    }

    @Test func twoAgentsTakingTurnsNeverInterleaveInThePage() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/sequence"), as: system).get()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["A", "B"] {
                group.addTask {
                    let agent = Participant.agent(name)
                    for step in 1...4 {
                        try await session.coordinator.withTurn(for: agent, timeout: .seconds(60)) {
                            try await session.fill("#entry", "\(name)\(step)", as: agent).get()
                            try await session.click("#record", as: agent).get()
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let actions = try #require(try await session.evaluate("window.actions", as: system).get().value)
        guard case .array(let log) = actions else {
            Issue.record("no page log")
            return
        }
        let entries = log.compactMap(\.stringValue)
        #expect(entries.count == 16)
        // Each turn is a fill immediately followed by the click of the same value.
        for pair in stride(from: 0, to: entries.count, by: 2) {
            let fill = entries[pair], click = entries[pair + 1]
            #expect(fill.hasPrefix("fill:") && click == "click:" + fill.dropFirst("fill:".count), "\(fill) then \(click)")
        }
        #expect(Set(entries.filter { $0.hasPrefix("click:") }).count == 8)
    }
}

@Suite struct PolicyTests {
    @Test func anAutoDismissPolicyAnswersDialogsByItself() async throws {
        let (_, site) = try await TestSession.shared.get()
        var options = SharedBrowserSession.Options(id: "dismissing")
        options.persistentProfile = false
        options.dialogPolicy = .dismiss(after: .milliseconds(50))
        let session = try await SharedBrowserSession.start(options)
        if let pid = session.browserProcessID { registerForKillAtExit(pid) }
        try await session.navigate(to: site.url("/dialogs"), as: system).get()
        let closed = session.events.subscribe(kinds: [.dialogClosed])
        let clicked = await session.click("#confirm", as: system)
        #expect(clicked.dialog?.type == "confirm")
        let dismissed = await firstEvent(closed, .dialogClosed)
        if case .dialog(let info)? = dismissed?.payload { #expect(info.accepted == false) }
        #expect(try await session.evaluate("document.querySelector('#out').textContent", as: system).get().value == "cancelled")
        #expect(session.state.openDialog == nil)
        await session.close()
    }

    @Test func anActionFailsFastWhenTheBrowserDies() async throws {
        let (_, site) = try await TestSession.shared.get()
        var options = SharedBrowserSession.Options(id: "dying")
        options.persistentProfile = false
        options.recovery = .none
        let session = try await SharedBrowserSession.start(options)
        let pid = try #require(session.browserProcessID)
        registerForKillAtExit(pid)
        let crashed = session.events.subscribe(kinds: [.browserCrashed])
        let requested = session.events.subscribe(kinds: [.request])
        let navigation = Task { await session.navigate(to: site.url("/slow?ms=20000"), as: system) }
        // The navigation is under way once its request went out.
        #expect(await firstEvent(requested, .request) { $0.summary.contains("/slow") } != nil)
        let clock = ContinuousClock()
        let killedAt = clock.now
        kill(pid, SIGKILL)
        let result = await navigation.value
        #expect(killedAt.duration(to: clock.now) < .seconds(1), "took \(killedAt.duration(to: clock.now))")
        #expect(result.error?.code == .browserCrashed || result.error?.code == .connectionClosed,
                "\(String(describing: result.error))")
        #expect(await firstEvent(crashed, .browserCrashed) != nil)
        // The failed navigation and the crash are both recorded; which one the state shows last depends
        // on which pump published first.
        #expect(session.events.recent(50).contains { event in
            if case .action(let info) = event.payload { return event.kind == .actionFailed && info.name == "navigate" }
            return false
        })
        let lastError = try #require(session.state.lastError)
        #expect(lastError.hasPrefix("navigate failed:") || lastError == "the browser crashed", "\(lastError)")
        #expect(!session.state.loading)
        let later = await session.evaluate("1", as: system)
        #expect(later.error?.code == .browserCrashed || later.error?.code == .connectionClosed)
        // What agents are told says so at once, instead of waiting on a browser that is gone.
        let readAt = clock.now
        let context = await session.agentContext(budget: 500)
        let state = await session.browserStateForAgent()
        #expect(readAt.duration(to: clock.now) < .seconds(1))
        #expect(context.text.contains("The browser is gone") && context.tokens <= 500)
        #expect(state.notes.contains { $0.hasPrefix("The browser is gone") })
        await session.close()
    }

    @Test func stateUpdatesFollowNavigationsAndErrors() async throws {
        let (session, site) = try await TestSession.shared.get()
        let updates = session.stateUpdates()
        try await session.navigate(to: site.url("/console"), as: system).get()
        var sawLoaded = false, sawError = false
        for await state in updates {
            if state.url == site.url("/console"), !state.loading, state.title == "Console" { sawLoaded = true }
            if state.lastError == "an error happened" { sawError = true }
            if sawLoaded && sawError { break }
        }
        #expect(sawLoaded && sawError)
    }
}

@Suite struct ProfileTests {
    @Test func cookiesAndStorageSurviveARestart() async throws {
        let (_, site) = try await TestSession.shared.get()
        let directory = NSTemporaryDirectory() + "shared-browser-profile-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = SharedBrowserSession.Options(id: "persistence")
        options.profileDirectory = directory
        let first = try await SharedBrowserSession.start(options)
        if let pid = first.browserProcessID { registerForKillAtExit(pid) }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        try await first.navigate(to: site.url("/widgets"), as: system).get()
        try await first.evaluate("document.cookie = 'remember=yes; max-age=3600; path=/'; localStorage.setItem('note', '42'); 0", as: system).get()
        await first.close()

        let second = try await SharedBrowserSession.start(options)
        if let pid = second.browserProcessID { registerForKillAtExit(pid) }
        try await second.navigate(to: site.url("/widgets"), as: system).get()
        let kept = try await second.evaluate("[document.cookie, localStorage.getItem('note')]", as: system).get().value
        #expect(kept == ["remember=yes", "42"])
        await second.close()
    }

    @Test func aProfileInUseIsRefusedAtOnceAndAStaleLockIsNot() async throws {
        let directory = NSTemporaryDirectory() + "shared-browser-lock-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = SharedBrowserSession.Options(id: "locked")
        options.profileDirectory = directory
        let holder = try await SharedBrowserSession.start(options)
        if let pid = holder.browserProcessID { registerForKillAtExit(pid) }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await SharedBrowserSession.start(options)
            Issue.record("a second session on the same profile must fail")
        } catch let error as SessionError {
            #expect(error.code == .profileLocked)
            #expect(error.message.contains(directory))
        }
        #expect(started.duration(to: clock.now) < .seconds(1))
        await holder.close()

        // A browser killed with its lock in place: SingletonLock points to a process that is gone.
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let hostname = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try? FileManager.default.removeItem(atPath: directory + "/SingletonLock")
        try FileManager.default.createSymbolicLink(atPath: directory + "/SingletonLock", withDestinationPath: "\(hostname)-999999")
        let again = try await SharedBrowserSession.start(options)
        if let pid = again.browserProcessID { registerForKillAtExit(pid) }
        #expect(try await again.evaluate("'works'", as: system).get().value == "works")
        await again.close()
    }
}
}

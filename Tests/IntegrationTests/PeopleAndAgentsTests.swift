import AgentTools
import CDPTransport
import Coordination
import EventBuffer
import Foundation
@testable import LiveView
import SharedSession
import TestSupport
import Testing
import WebSockets

/// A person at the live view: its control link opened in a second, real Chromium, driven as a person
/// drives it (mouse and keys on the page, clicks on its buttons).
struct PersonView {
    let page: CDPSession

    static func open(_ url: String?, width: Int = 1400, height: Int = 900) async throws -> PersonView {
        let (_, page) = try await TestBrowser.page()
        _ = try await page.send(Emulation.SetDeviceMetricsOverride(width: width, height: height, deviceScaleFactor: 1, mobile: false))
        _ = try await page.send(Page.Navigate(url: try #require(url)))
        try #require(await pageBecomes(page, "Number(document.body.dataset.frames || 0) > 0", within: .seconds(15)), "the person sees the screen")
        return PersonView(page: page)
    }

    func js(_ expression: String) async throws -> JSONValue? { try await evaluate(page, expression) }

    func becomes(_ condition: String, within timeout: Duration = .seconds(10)) async -> Bool {
        await pageBecomes(page, condition, within: timeout)
    }

    /// Clicks a control of the live view page itself (Take over, Send, Approve, …).
    func press(button selector: String) async throws {
        _ = try await js("document.querySelector(\(Self.quoted(selector))).click(); 1")
    }

    func takeOver() async throws {
        try await press(button: "#take")
        #expect(await becomes("document.getElementById('driver').textContent.includes(' is driving') && !document.getElementById('handback').disabled"))
    }

    /// Where page point (x, y) of the shared browser is on the person's screen.
    func clientPoint(x: Double, y: Double) async throws -> (Double, Double) {
        let text = try #require(try await js("""
            (() => { const r = screen.getBoundingClientRect(); const s = Math.min(r.width / screen.width, r.height / screen.height);
              const w = screen.width * s, h = screen.height * s; const dw = meta ? meta.deviceWidth : screen.width, dh = meta ? meta.deviceHeight : screen.height;
              return JSON.stringify([r.left + (r.width - w) / 2 + \(x) / dw * w, r.top + (r.height - h) / 2 + \(y) / dh * h]); })()
            """)?.stringValue)
        let point = try JSONDecoder().decode([Double].self, from: Data(text.utf8))
        return (point[0], point[1])
    }

    /// A click on the screen at page point (x, y).
    func click(x: Double, y: Double) async throws {
        let (cx, cy) = try await clientPoint(x: x, y: y)
        try await page.send(inOrder: [
            Input.DispatchMouseEvent(type: .mouseMoved, x: cx, y: cy),
            Input.DispatchMouseEvent(type: .mousePressed, x: cx, y: cy, button: .left, clickCount: 1),
            Input.DispatchMouseEvent(type: .mouseReleased, x: cx, y: cy, button: .left, clickCount: 1),
        ])
    }

    /// Types on the keyboard, a key at a time.
    func type(_ text: String) async throws {
        for character in text {
            let key = String(character)
            try await page.send(inOrder: [
                Input.DispatchKeyEvent(type: .keyDown, text: key, unmodifiedText: key, key: key),
                Input.DispatchKeyEvent(type: .keyUp, key: key),
            ])
        }
    }

    func pressEnter() async throws {
        try await page.send(inOrder: [
            Input.DispatchKeyEvent(type: .keyDown, text: "\r", unmodifiedText: "\r", code: "Enter", key: "Enter", windowsVirtualKeyCode: 13),
            Input.DispatchKeyEvent(type: .keyUp, code: "Enter", key: "Enter", windowsVirtualKeyCode: 13),
        ])
    }

    func wheel(x: Double, y: Double, deltaY: Double) async throws {
        let (cx, cy) = try await clientPoint(x: x, y: y)
        try await page.send(Input.DispatchMouseEvent(type: .mouseWheel, x: cx, y: cy, deltaX: 0, deltaY: deltaY))
    }

    func leave() async throws { try await page.send(Page.Navigate(url: "about:blank")) }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}

/// An element's box in the shared browser's page.
func box(of selector: String, in session: SharedBrowserSession) async throws -> (x: Double, y: Double, width: Double, height: Double) {
    let text = try #require(try await session.evaluate(
        "JSON.stringify((r => [r.x, r.y, r.width, r.height])(document.querySelector(\(PersonView.quoted(selector))).getBoundingClientRect()))",
        as: system).get().value?.stringValue)
    let b = try JSONDecoder().decode([Double].self, from: Data(text.utf8))
    return (b[0], b[1], b[2], b[3])
}

/// The next `personAction`'s words.
func nextWords(_ subscription: EventSubscription, within timeout: Duration = .seconds(10)) async -> (String, PersonActionInfo?) {
    guard let event = await firstEvent(subscription, .personAction, within: timeout), case .person(let info) = event.payload else {
        return ("(none)", nil)
    }
    return (info.words, info)
}

extension Chromium {
@Suite(.serialized) struct PeopleAndAgentsTests {
    /// Each control's box and the page's scroll width, to show what does not fit.
    static let layout = "JSON.stringify([innerWidth, innerHeight, document.documentElement.scrollWidth, ...['take','handback','nav-back','nav-forward','nav-reload','address','message','send','filter','screen'].map(id => { const r = document.getElementById(id).getBoundingClientRect(); return id + ':' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(','); })])"

    static let searchPage = dataURL("""
        <title>Search</title>
        <form role="search" id="f"><input type="search" aria-label="Search" id="q" style="font-size:20px;width:300px">
        <button>Go</button></form>
        <p><label>PIN <input name="pin" id="pw" style="width:300px"></label></p>
        <p id="out">nothing yet</p>
        <div style="height:3000px"></div>
        <script>f.onsubmit = e => { e.preventDefault(); out.textContent = 'searched ' + q.value; };</script>
        """)

    /// A person's click, typing, Enter, a password and a scroll, made in a real browser on the live
    /// view, come back in words with the element resolved as the snapshot names it — a secret masked
    /// everywhere — and the agent control returns to gets them, whole, in its answer and its context.
    @Test func aPersonsInputComesBackInWords() async throws {
        try await withOwnSession("person-words") { session in
            try await session.navigate(to: Self.searchPage, as: system).get()
            let agent = Participant.agent("waiter")
            try await session.coordinator.requestControl(for: agent, timeout: .seconds(5))
            let view = try await session.liveView()
            let person = try await PersonView.open(view.controlURL)
            defer { Task { try? await person.leave() } }
            let words = session.events.subscribe(kinds: [.personAction], bufferSize: 256)
            let keystrokes = session.events.subscribe(kinds: [.actionStarted, .actionFinished], bufferSize: 4096)
            try await person.takeOver()

            let field = try await box(of: "#q", in: session)
            try await person.click(x: field.x + 20, y: field.y + field.height / 2)
            let (click, info) = await nextWords(words)
            #expect(click == #"click searchbox "Search""#)
            #expect(info?.point.map { abs($0.x - field.x - 20) < 2 } == true, "the point of the click, in page pixels")
            #expect(info?.box.map { abs($0.width - field.width) < 1 } == true, "the element's box")
            #expect(info?.firstInput != nil && info?.lastInput != nil, "the raw input it came from")
            // Raw input stays in the detail: the click's first and last inputs are the person's mouse events.
            let raw = session.events.buffer.all.filter { $0.sequence >= (info?.firstInput ?? 0) && $0.sequence <= (info?.lastInput ?? 0) }
            #expect(raw.filter { if case .action(let a) = $0.payload { return a.name == "mouse" && $0.cause.kind == .human }; return false }.count >= 2)

            try await person.type("Alpha")
            try await person.pressEnter()
            #expect(await nextWords(words).0 == #"typed "Alpha" into searchbox "Search""#)
            #expect(await nextWords(words).0 == #"pressed Enter in searchbox "Search" (submitted the search form)"#)
            #expect(await sharedPageBecomes(session, "document.getElementById('out').textContent === 'searched Alpha'"))

            let secret = try await box(of: "#pw", in: session)
            try await person.click(x: secret.x + 20, y: secret.y + secret.height / 2)
            #expect(await nextWords(words).0 == #"click textbox "PIN""#)
            try await person.type("s3cret")
            let out = try await box(of: "#out", in: session)
            try await person.click(x: out.x + 5, y: out.y + out.height / 2)
            #expect(await nextWords(words).0 == #"typed "***" into textbox "PIN""#, "a field named like a secret is masked in the words as in the raw input")
            #expect(await nextWords(words).0 == #"click paragraph "searched Alpha""#)
            try await person.wheel(x: 300, y: 300, deltaY: 400)
            #expect(await nextWords(words).0 == "scrolled down")

            // Each keystroke's start and finish say the same: shown for the plain field, masked for the password.
            keystrokes.cancel()
            var typed: [(String, String)] = []
            var open: BrowserAction?
            for await element in keystrokes {
                guard let event = element.event, event.cause.kind == .human, case .action(let info) = event.payload,
                      info.name == "key", let value = info.action, value.params.event == "down" else { continue }
                if event.kind == .actionStarted { open = value } else if let start = open {
                    typed.append((start.params.key ?? "", value.params.key ?? ""))
                    open = nil
                }
            }
            #expect(typed.allSatisfy { $0.0 == $0.1 }, "\(typed)")
            #expect(typed.map(\.1).joined().hasPrefix("AlphaEnter***"), "\(typed.map(\.1))")
            #expect(!typed.map(\.1).joined().contains("s3cret"))

            try await person.press(button: "#handback")
            #expect(await holder(of: session) { $0 == agent }, "control went back to the agent that waited")
            let answer = await AgentToolbox(session: session).call("control", arguments: ["action": "request"], as: agent)
            for line in [#"- click searchbox "Search""#, #"- typed "Alpha" into searchbox "Search""#,
                         #"- pressed Enter in searchbox "Search" (submitted the search form)"#, #"- typed "***" into textbox "PIN""#,
                         "- scrolled down"] {
                #expect(answer.text.contains(line), "\(answer.text)")
            }
            #expect(!answer.text.contains("mouse") && !answer.text.contains("key "), "words, not raw input: \(answer.text)")
            let context = await session.agentContext(budget: 2000, for: agent).text
            #expect(context.contains("- scrolled down") && context.contains("Take a new snapshot before you act"),
                    "the brief is whole in the context: \(context)")
            let everything = session.events.buffer.all.map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data(), as: UTF8.self) }
            #expect(!everything.contains { $0.contains("s3cret") }, "the secret is in no event")
        }
    }

    /// The live view a person drives: the address bar goes where they type (as the person, in words),
    /// back and reload work, a URL the session refuses is refused there too, the tab strip switches
    /// tabs, and at 800×600 nothing is cut off.
    @Test func aPersonDrivesFromTheLiveView() async throws {
        try await withOwnSession("person-drives") { session in
            let first = dataURL("<title>First</title><p>first page</p>")
            let second = dataURL("<title>Second</title><p>second page</p>")
            try await session.navigate(to: first, as: system).get()
            let view = try await session.liveView()
            let person = try await PersonView.open(view.controlURL, width: 800, height: 600)
            defer { Task { try? await person.leave() } }
            // At 800×600 every control is inside the window, none of zero size, and nothing scrolls sideways.
            let fits = """
                ['take','handback','nav-back','nav-forward','nav-reload','address','message','send','filter','screen'].every(id => {
                  const r = document.getElementById(id).getBoundingClientRect();
                  return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; })
                  && document.documentElement.scrollWidth <= innerWidth && document.getElementById('address').getBoundingClientRect().width > 150
                """
            let fitted = await person.becomes(fits)
            let layout = try await person.js(Self.layout) ?? .null
            #expect(fitted, "nothing cut off at 800x600: \(layout)")
            let words = session.events.subscribe(kinds: [.personAction], bufferSize: 64)
            try await person.takeOver()
            #expect(await person.becomes("!document.getElementById('address').disabled"))
            _ = try await person.js("(a => { a.focus(); a.value = \(PersonView.quoted(second)); return 1; })(document.getElementById('address'))")
            try await person.pressEnter()
            #expect(await nextWords(words).0 == "went to \(second)")
            #expect(await sessionBecomes(session) { session.state.title == "Second" })
            #expect(await person.becomes("document.getElementById('address').value.startsWith('data:text/html') && !document.getElementById('nav-back').disabled"))
            try await person.press(button: "#nav-back")
            #expect(await nextWords(words).0 == "went back to \(first)")
            try await person.press(button: "#nav-reload")
            #expect(await nextWords(words).0 == "reloaded \(first)")
            // What the Swift API refuses, the address bar does too.
            _ = try await person.js("(a => { a.focus(); a.value = 'file:///etc/passwd'; return 1; })(document.getElementById('address'))")
            try await person.pressEnter()
            let refused = await person.becomes("(document.body.dataset.lastError || '').includes('file: URLs are not allowed')")
            let lastError = try await person.js("document.body.dataset.lastError") ?? .null
            #expect(refused, "\(lastError)")
            #expect(session.state.url == first)
            // Tabs: one opened by an agent shows in the strip; a click on the first switches back to it.
            try await session.openTab(url: second, as: system).get()
            #expect(await person.becomes("document.querySelectorAll('#tabs button').length === 2"))
            try await person.press(button: "#tabs button[aria-selected=false]")
            let switched = await nextWords(words).0
            let switchError = try await person.js("document.body.dataset.lastError") ?? .null
            #expect(switched == #"switched to tab "First""#, "\(switchError)")
            #expect(await sessionBecomes(session) { session.state.title == "First" })
            // The same page at a large window also fits.
            _ = try await person.page.send(Emulation.SetDeviceMetricsOverride(width: 1600, height: 1000, deviceScaleFactor: 1, mobile: false))
            #expect(await person.becomes(fits))
        }
    }

    /// Approvals: an agent's submit waits while the person sees who, what and the target outlined;
    /// Approve runs it (the result says approved); Deny fails it with the reason; nobody answering
    /// fails it when its deadline passes. Each answer is an event; a rejected submission is an outcome.
    @Test func approvalsAskAPersonBeforeAnAgentActs() async throws {
        try await withOwnSession("approvals", configure: { options in
            options.approvals = [try! ApprovalRule(parsing: "submit"), try! ApprovalRule(parsing: "click:Delete*"),
                                 try! ApprovalRule(parsing: "navigate:blocked.example")]
        }) { session in
            let page = dataURL("""
                <title>Projects</title>
                <form id="f" aria-label="Project"><label>Name <input id="name" name="name"></label> <button>Create</button></form>
                <p id="err"></p><p id="out">none</p><button id="del" onclick="out.textContent='deleted'">Delete all</button>
                <button id="safe" onclick="out.textContent='safe'">Refresh</button>
                <script>f.onsubmit = e => { e.preventDefault();
                  if (document.getElementById('name').value === 'Alpha') { document.getElementById('name').setAttribute('aria-invalid', 'true');
                    err.className = 'errornote'; err.setAttribute('role', 'alert'); err.textContent = 'Project with this Name already exists.'; }
                  else out.textContent = 'created ' + document.getElementById('name').value; };</script>
                """)
            try await session.navigate(to: page, as: system).get()
            let agent = Participant.agent("writer")
            try await session.coordinator.requestControl(for: agent, timeout: .seconds(5))
            let tools = AgentToolbox(session: session)
            let view = try await session.liveView()
            let person = try await PersonView.open(view.controlURL)
            defer { Task { try? await person.leave() } }
            let answers = session.events.subscribe(kinds: [.approvalRequested, .approvalAnswered], bufferSize: 64)

            // An action no rule covers runs at once.
            #expect(try await session.click("#safe", as: agent).get().approval == nil)
            try await session.fill("#name", "Beta", as: agent).get()
            let creating = Task { await session.click("text=Create", as: agent) }
            let asked = await firstEvent(answers, .approvalRequested)
            guard case .approval(let request)? = asked?.payload else { Issue.record("no approval asked"); return }
            #expect(request.agent == "agent:writer" && request.rule == "submit")
            #expect(request.words == #"click button "Create" (submits the form "Project")"#, "\(request.words)")
            #expect(request.box != nil, "the target to outline")
            #expect(await person.becomes("document.querySelectorAll('.approval').length === 1 && document.querySelector('.approval').textContent.includes('agent:writer asks to click button \"Create\"')"))
            #expect(try await person.js("shown.some(m => m.until === Infinity && m.box)")?.boolValue == true, "the target is outlined on the screen")
            #expect(try await session.evaluate("document.getElementById('out').textContent", as: system).get().value == "safe", "it waits")
            try await person.press(button: ".approval .approve")
            let gone = await person.becomes("document.querySelectorAll('.approval').length === 0")
            let panel = try await person.js("document.body.dataset.lastError + ' ' + document.getElementById('approvals').innerHTML") ?? .null
            #expect(gone, "\(panel)")
            let created = await creating.value
            #expect(created.succeeded && created.approval?.decision == "approved" && created.approval?.decidedBy == "human:person")
            #expect(created.report.contains("Approved by human:person (submit)."))
            #expect(try await session.evaluate("document.getElementById('out').textContent", as: system).get().value == "created Beta")
            #expect(await person.becomes("document.querySelectorAll('.approval').length === 0 && !shown.some(m => m.until === Infinity)"))

            // Denied, with a reason: the action fails and never ran.
            let deleting = Task { await session.click("#del", as: agent) }
            #expect(await firstEvent(answers, .approvalRequested) { if case .approval(let a) = $0.payload { return a.rule == "click:Delete*" }; return false } != nil)
            #expect(await person.becomes("document.querySelectorAll('.approval').length === 1"))
            _ = try await person.js("document.querySelector('.approval input').value = 'not today'; 1")
            try await person.press(button: ".approval .deny")
            let denied = await deleting.value
            #expect(denied.error?.code == .approvalDenied && denied.outcome == .denied)
            #expect(denied.error?.message.contains("human:person denied click button \"Delete all\": not today") == true, "\(denied.error?.message ?? "")")
            #expect(try await session.evaluate("document.getElementById('out').textContent", as: system).get().value == "created Beta")
            let answered = await firstEvent(answers, .approvalAnswered) { if case .approval(let a) = $0.payload { return a.decision == "denied" }; return false }
            #expect(answered?.cause == .human("person"))

            // Nobody answers: the deadline ends it.
            let late = await session.navigate(to: "https://blocked.example/", as: agent, options: .init(timeout: .seconds(1)))
            #expect(late.error?.code == .timeout && late.error?.message.contains("nobody approved go to https://blocked.example/") == true)
            #expect(await firstEvent(answers, .approvalAnswered) { if case .approval(let a) = $0.payload { return a.decision == "timedOut" }; return false } != nil)
            #expect(await session.pendingApprovals.isEmpty)

            // A submission the page rejects: approved, ran, and reported as rejected — an error to a tool caller.
            try await session.fill("#name", "Alpha", as: agent).get()
            let rejecting = Task { await tools.call("click", arguments: ["target": "text=Create"], as: agent) }
            guard let again = await firstEvent(answers, .approvalRequested), case .approval(let second) = again.payload else {
                Issue.record("no second approval"); return
            }
            try await session.answerApproval(second.id, approve: true, by: .human("person"))
            let rejected = await rejecting.value
            #expect(rejected.isError && rejected.text.contains("rejected by the page") && rejected.text.contains("already exists"), "\(rejected.text)")
            #expect(rejected.actionResult?.outcome == .rejected)
            // Answering twice, or as an agent, is refused.
            await #expect(throws: SessionError.self) { try await session.answerApproval(second.id, approve: true, by: .human("person")) }
            await #expect(throws: SessionError.self) { try await session.answerApproval("approval-99", approve: true, by: agent) }

            // The browser dies while an action waits for approval: it fails at once, not at its deadline.
            try await session.fill("#name", "Gamma", as: agent).get()
            let waiting = Task { await session.click("text=Create", as: agent) }
            #expect(await firstEvent(answers, .approvalRequested) != nil)
            let pid = try #require(session.browserProcessID)
            kill(pid, SIGKILL)
            let failed = await within(.seconds(5)) { await waiting.value }
            #expect(failed?.error?.code == .browserCrashed, "\(failed?.error?.message ?? "no answer within 5 s")")
            #expect(await session.pendingApprovals.isEmpty)
        }
    }

    /// Messages both ways: what a person writes in the live view reaches each agent once, in its next
    /// result and its next context; what an agent says shows in the live view. Both are events. When
    /// the session ends, the live view says so and its buttons are disabled.
    @Test func peopleAndAgentsWriteToEachOther() async throws {
        var options = SharedBrowserSession.Options(id: "messages")
        options.persistentProfile = false
        let session = WireFormatAudit.shared.watch(try await SharedBrowserSession.start(options))
        if let pid = session.browserProcessID { registerForKillAtExit(pid) }
        try await session.navigate(to: dataURL("<title>Inbox</title><button id=b>B</button>"), as: system).get()
        let (a, b) = (Participant.agent("a"), Participant.agent("b"))
        let view = try await session.liveView()
        let person = try await PersonView.open(view.controlURL)
        defer { Task { try? await person.leave() } }
        let messages = session.events.subscribe(kinds: [.message], bufferSize: 16)
        _ = try await person.js("document.getElementById('message').value = 'Use the staging account'; 1")
        try await person.press(button: "#send")
        let posted = await firstEvent(messages, .message)
        #expect(posted?.cause == .human("person"))
        for agent in [a, b] {
            try await session.coordinator.requestControl(for: agent, timeout: .seconds(5))
            let first = try await session.click("#b", as: agent).get()
            #expect(first.notices.contains("Message from human:person: Use the staging account"), "\(first.notices)")
            #expect(try await session.click("#b", as: agent).get().notices.isEmpty, "once")
            let context = await session.agentContext(budget: 1500, for: agent).text
            #expect(context.contains("Message from human:person: Use the staging account"))
            #expect(!(await session.agentContext(budget: 1500, for: agent).text).contains("staging account"), "once")
            await session.coordinator.releaseControl(for: agent)
        }
        let said = await AgentToolbox(session: session).call("say", arguments: ["text": "Done with the form"], as: a)
        #expect(!said.isError)
        #expect(await person.becomes("[...document.querySelectorAll('#messages li')].some(li => li.textContent === 'agent:a Done with the form')"))
        #expect(await AgentToolbox(session: session).call("say", arguments: ["text": "  "], as: a).isError, "an empty message is refused")
        await session.close()
        let ended = await person.becomes("document.body.dataset.closed === 'the session has ended'")
        let driver = try await person.js("document.getElementById('driver').textContent") ?? .null
        #expect(ended, "\(driver)")
        #expect(await person.becomes("document.body.dataset.closed === 'the session has ended' && document.getElementById('take').disabled"
                                    + " && document.getElementById('send').disabled && document.getElementById('driver').textContent === 'the session has ended'"))
    }
}
}

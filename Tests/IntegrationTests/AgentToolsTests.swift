@testable import AgentTools
import CDPTransport
import DemoSite
import EventBuffer
import Foundation
import SharedSession
import Testing

extension Chromium {
@Suite(.serialized) struct AgentToolsTests {
    /// The profiles: the core set is the handful an agent needs; the full set adds the rest, and
    /// `evaluate` only when JavaScript is allowed. Every schema is an object schema whose required
    /// arguments are among its properties.
    @Test func profilesAndSchemas() async throws {
        let (session, _) = try await TestSession.shared.get()
        let core = AgentToolbox(session: session)
        #expect(core.tools.map(\.name) == ["navigate", "snapshot", "click", "fill", "fill_form", "type", "press", "select", "scroll", "wait",
                                           "screenshot", "context", "events", "control", "request_help", "say"])
        let full = AgentToolbox(session: session, profile: .full)
        #expect(Set(full.tools.map(\.name)).isSuperset(of: core.tools.map(\.name)))
        #expect(full.tool("evaluate") == nil, "no JavaScript unless allowed")
        #expect(AgentToolbox(session: session, profile: .full, allowJavaScript: true).tool("evaluate") != nil)
        for tool in full.tools {
            guard case .object(let schema) = tool.inputSchema, schema["type"] == "object",
                  case .object(let properties)? = schema["properties"] else {
                Issue.record("\(tool.name): not an object schema")
                continue
            }
            let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(Set(required).isSubset(of: properties.keys), "\(tool.name)")
            #expect(tool.description.count > 10, "\(tool.name) says what it does")
        }
    }

    /// A second look at the same page answers what changed since the first: elements that appeared
    /// (+), that changed keeping their ref (~), that went (-); nothing when nothing did; the whole view
    /// when asked, or on another page. An action that changed the page answers the changes itself and
    /// counts as a look. Each participant has its own memory.
    @Test func aSecondLookAnswersWhatChanged() async throws {
        try await withOwnSession("agent-tools-looks") { session in
            let tools = AgentToolbox(session: session)
            let agent = Participant.agent("looker"), other = Participant.agent("other")
            try await session.navigate(to: dataURL("""
                <h1>List</h1><label><input type=checkbox id=agree> Agree</label>
                <button id=add onclick="const b = document.createElement('button'); b.textContent = 'Item ' + document.querySelectorAll('.item').length;
                  b.className = 'item'; document.body.append(b); document.getElementById('gone').remove()">Add</button>
                <button id=gone>Old thing</button>
                """), as: agent).get()
            let first = await tools.call("snapshot", as: agent)
            #expect(first.text.contains("Old thing") && !first.text.hasPrefix("What changed"), "\(first.text)")
            let agreeLine = try #require(first.text.split(separator: "\n").first { $0.contains("Agree") })
            let ref = try #require(agreeLine.range(of: "ref=").map { String(agreeLine[$0.upperBound...].prefix { !$0.isWhitespace && $0 != "]" }) })
            let again = await tools.call("snapshot", as: agent)
            #expect(again.text.hasPrefix("Nothing changed since your last look"), "\(again.text)")
            // The clicks kept the document: each answers what it changed since the last look.
            let added = await tools.call("click", arguments: ["target": "#add"], as: agent)
            let checked = await tools.call("click", arguments: ["target": .string(ref)], as: agent)
            let lines = (added.text + "\n" + checked.text).split(separator: "\n").map(String.init)
                .filter { $0.hasPrefix("+ ") || $0.hasPrefix("~ ") || $0.hasPrefix("- ") }
            #expect(added.text.contains("What changed on the page:") && checked.text.contains("What changed on the page:"),
                    "\(added.text)\n\(checked.text)")
            // A line is an element with its inline neighbours: the new item joins a line (changed), the
            // old thing leaves it; the checkbox's line changed and kept its ref.
            #expect(lines.contains { ($0.hasPrefix("+ ") || $0.hasPrefix("~ ")) && $0.contains("Item 0") }, "\(added.text)")
            #expect(lines.contains { $0.hasPrefix("~ ") && $0.contains("Agree") && $0.contains("checked") && $0.contains(ref) },
                    "the same element, its ref kept: \(checked.text)")
            #expect(!lines.contains { !$0.hasPrefix("- ") && $0.contains("Old thing") }, "\(added.text)")
            #expect(!lines.contains { $0.contains("List") }, "what stayed is not repeated: \(added.text)")
            let changed = await tools.call("snapshot", as: agent)
            #expect(changed.text.hasPrefix("Nothing changed since your last look"), "the answers were looks: \(changed.text)")
            let elements = await tools.call("snapshot", arguments: ["interactive_only": true], as: agent)
            #expect(elements.text.hasPrefix("Nothing changed since your last look"), "of the elements too: \(elements.text)")
            let whole = await tools.call("snapshot", arguments: ["full": true], as: agent)
            #expect(whole.text.contains("Item 0") && !whole.text.hasPrefix("What changed"))
            // The context too: the whole of it first, then what changed.
            let context = await tools.call("context", as: agent)
            #expect(context.text.contains("== Browser =="), "\(context.text.prefix(200))")
            #expect((await tools.call("context", as: agent)).text.hasPrefix("Nothing changed since your last look"))
            _ = await tools.call("click", arguments: ["target": "#add"], as: agent)
            let contextChanged = await tools.call("context", as: agent)
            #expect(contextChanged.text.hasPrefix("What changed since your last look") && contextChanged.text.contains("Item 1"),
                    "\(contextChanged.text)")
            #expect((await tools.call("context", arguments: ["full": true], as: agent)).text.contains("== Browser =="))
            // Another participant's first look is the whole view.
            #expect(!(await tools.call("snapshot", as: other)).text.hasPrefix("What changed"))
            // Another page: the whole view again.
            let elsewhere = await tools.call("navigate", arguments: ["url": .string(dataURL("<h1>Other</h1><button>Go</button>"))], as: agent)
            #expect(elsewhere.text.contains("heading \"Other\"") && elsewhere.text.contains("button \"Go\""), "\(elsewhere.text)")
            #expect((await tools.call("snapshot", as: agent)).text.hasPrefix("Nothing changed"), "the answer was the look")
            #expect((await tools.call("snapshot", arguments: ["interactive_only": true], as: agent)).text.hasPrefix("Nothing changed"),
                    "its elements too")
        }
    }

    /// A form in one call: a text field, a select, a checkbox and a radio button filled in order, then
    /// the submit click, one line each; a field that fails is named and nothing is submitted; a field
    /// that says two things, or something unknown, is refused before anything runs.
    @Test func fillFormFillsSeveralFieldsAndSubmitsInOneCall() async throws {
        // A field that is not there fails by the action's deadline: a short one here.
        try await withOwnSession("agent-tools-form", configure: { $0.actionTimeout = .seconds(2) }) { session in
            let tools = AgentToolbox(session: session)
            let agent = Participant.agent("former")
            try await session.navigate(to: dataURL("""
                <form id=f><label>Name <input id=name></label>
                <label>Size <select id=size><option value=s>Small</option><option value=l>Large</option></select></label>
                <label><input type=checkbox id=agree> Agree</label>
                <label><input type=radio name=plan id=basic> Basic</label><label><input type=radio name=plan id=pro> Pro</label>
                <button id=go>Send</button></form><p id=out>none</p><p id=sent>0</p>
                <script>f.onsubmit = e => { e.preventDefault(); sent.textContent = String(Number(sent.textContent) + 1);
                  out.textContent = [document.getElementById('name').value, size.value, agree.checked, pro.checked].join(','); };</script>
                """), as: agent).get()
            let done = await tools.call("fill_form", arguments: [
                "fields": [["target": "#name", "value": "Ada"], ["target": "#size", "values": ["Large"]],
                           ["target": "#agree", "checked": true], ["target": "#pro", "checked": true]],
                "submit": "#go",
            ], as: agent)
            #expect(!done.isError, "\(done.text)")
            let lines = done.text.split(separator: "\n")
            #expect(lines.first == "fill #name, selectOption #size, check #agree, #pro: done", "every field named: \(done.text)")
            #expect(lines.count >= 2 && lines[1].hasPrefix("click #go"), "\(done.text)")
            let out = try await session.evaluate("out.textContent", as: agent).get().value
            #expect(out == "Ada,l,true,true", "\(String(describing: out))")

            let failed = await tools.call("fill_form", arguments: [
                "fields": [["target": "#nowhere", "value": "x"], ["target": "#agree", "checked": false]], "submit": "#go",
            ], as: agent)
            #expect(failed.isError)
            #expect(failed.text.hasPrefix("fill #nowhere: failed — ") && failed.text.contains("uncheck #agree: done")
                    && failed.text.hasSuffix("click #go: not sent (a field failed)"), "\(failed.text)")
            #expect(try await session.evaluate("sent.textContent", as: agent).get().value == "1", "not submitted again")

            let twoThings = await tools.call("fill_form", arguments: ["fields": [["target": "#agree", "value": "x", "checked": true]]], as: agent)
            #expect(twoThings.isError && twoThings.text == "fill_form: field 1 (#agree) needs exactly one of value, values, checked")
            let unknown = await tools.call("fill_form", arguments: ["fields": [["target": "#name", "text": "x"]]], as: agent)
            #expect(unknown.isError && unknown.text == "fill_form: field 1 takes target and one of value, values, checked; not text")
        }
    }

    /// An agent signs in with the tools alone: navigate, a snapshot's refs, fill, click; then reads
    /// the context, a screenshot and the events.
    @Test func anAgentSignsInWithTheTools() async throws {
        let (_, site) = try await TestSession.shared.get()
        try await withOwnSession("agent-tools-flow") { session in
            let tools = AgentToolbox(session: session)
            let agent = Participant.agent("planner")
            _ = await tools.call("control", arguments: ["action": "request"], as: agent)
            let opened = await tools.call("navigate", arguments: ["url": .string(site.url("/login"))], as: agent)
            #expect(!opened.isError, "\(opened.text)")
            #expect(opened.text.contains("/login"))
            // The answer carries what the next step needs: the page's elements, each with its ref,
            // as an interactive snapshot has them (no read needed before acting).
            let snapshot = await tools.call("snapshot", arguments: ["interactive_only": true, "full": true], as: agent)
            let carried = try #require(opened.text.components(separatedBy: AgentToolCatalog.nextStepHeading).last)
            for element in snapshot.text.split(separator: "\n").prefix(3) { #expect(carried.contains(element), "\(element)") }
            let line = try #require(snapshot.text.split(separator: "\n").first { $0.localizedCaseInsensitiveContains("username") }, "\(snapshot.text)")
            let ref = try #require(line.split(separator: " ").first { $0.hasPrefix("ref=") }, "\(line)")
            let bare = ref.replacingOccurrences(of: "[ref=", with: "").replacingOccurrences(of: "]", with: "")
            let filled = await tools.call("fill", arguments: ["target": .string(bare), "value": .string(DemoSite.username)], as: agent)
            #expect(!filled.isError, "\(filled.text)")
            #expect(!filled.text.contains(AgentToolCatalog.nextStepHeading), "the document stayed: no page view")
            _ = await tools.call("fill", arguments: ["target": "#password", "value": .string(DemoSite.password)], as: agent)
            let clicked = await tools.call("click", arguments: ["target": "#sign-in"], as: agent)
            #expect(!clicked.isError && clicked.text.contains("/dashboard"), "\(clicked.text)")
            #expect(clicked.text.contains(AgentToolCatalog.nextStepHeading) && clicked.text.contains("New project"),
                    "a click that opened another page brings its elements: \(clicked.text)")
            #expect(clicked.text.contains("\"Welcome, demo\""), "and its text, to check what happened without a read: \(clicked.text)")
            #expect(clicked.text.contains("Now at: /dashboard — Dashboard"), "the same site's URL as a path: \(clicked.text)")
            let context = await tools.call("context", arguments: ["budget": 1500], as: agent)
            #expect(context.text.contains("/dashboard") && context.text.contains("you (planner) hold control"), "\(context.text.prefix(400))")
            let picture = await tools.call("screenshot", as: agent)
            #expect(picture.image?.starts(with: [0xFF, 0xD8]) == true && picture.imageMimeType == "image/jpeg")
            let events = await tools.call("events", arguments: ["since": 0], as: agent)
            #expect(events.text.contains("navigation") && events.text.contains("next time pass since="), "\(events.text.suffix(300))")
            // The password typed never shows.
            #expect(!events.text.contains(DemoSite.password))
        }
    }

    /// After an action that kept the document, an agent that has looked at the page is told what
    /// changed on it, and only that; nothing when nothing changed; and its next look starts from there.
    /// An agent that never looked is told nothing it could compare with.
    @Test func anActionThatChangesPartOfThePageAnswersWhatChanged() async throws {
        let (session, site) = try await TestSession.shared.get()
        let tools = AgentToolbox(session: session)
        let agent = Participant.agent("part-changes")
        defer { Task { try? await session.coordinator.releaseControl(for: agent) } }
        let opened = await tools.call("navigate", arguments: ["url": .string(site.url("/signup"))], as: agent)
        #expect(opened.text.contains("\"Ready\""), "\(opened.text)")
        let saved = await tools.call("click", arguments: ["target": "#save"], as: agent)
        #expect(!saved.isError && !saved.text.contains(AgentToolCatalog.nextStepHeading), "\(saved.text)")
        let changes = try #require(saved.text.components(separatedBy: "What changed on the page:\n").last, "\(saved.text)")
        #expect(changes.contains("+ ") && changes.contains("Draft saved") && changes.contains("- ") && changes.contains("Ready"),
                "the status's new text in, its old text out: \(saved.text)")
        #expect(!changes.contains("Join") && !changes.contains("Email"), "nothing that stayed: \(changes)")
        let still = await tools.call("click", arguments: ["target": "text=Sign up"], as: agent)
        #expect(!still.isError && !still.text.contains("What changed"), "nothing changed: \(still.text)")
        let look = await tools.call("snapshot", as: agent)
        #expect(look.text.hasPrefix("Nothing changed since your last look"), "the answer counted as a look: \(look.text)")
        let elements = await tools.call("snapshot", arguments: ["interactive_only": true], as: agent)
        #expect(elements.text.hasPrefix("Nothing changed since your last look"), "of the elements too: \(elements.text)")
        // Typing too: the page logs each key it gets.
        _ = await tools.call("navigate", arguments: ["url": .string(site.url("/widgets"))], as: agent)
        let typed = await tools.call("type", arguments: ["target": "#text", "text": "ab"], as: agent)
        #expect(typed.text.contains("What changed on the page:") && typed.text.contains("[a][b]"), "\(typed.text)")
        // Another agent that never looked at this document has nothing to compare with.
        _ = await tools.call("navigate", arguments: ["url": .string(site.url("/signup"))], as: agent)
        try await session.coordinator.releaseControl(for: agent)
        let other = Participant.agent("part-changes-other")
        _ = await tools.call("fill", arguments: ["target": "#email", "value": "a@example.com"], as: other)
        let blind = await tools.call("click", arguments: ["target": "#join"], as: other)
        #expect(try await session.evaluate("document.getElementById('live').textContent", as: other).get().value == "Welcome aboard!")
        #expect(!blind.isError && !blind.text.contains("What changed"), "\(blind.text)")
        try await session.coordinator.releaseControl(for: other)
    }

    /// Turns across tools: a second agent is refused with who holds control and how to wait; it waits
    /// with the control tool and gets the turn when the first releases.
    @Test func turnsWorkThroughTheTools() async throws {
        try await withOwnSession("agent-tools-turns") { session in
            let tools = AgentToolbox(session: session)
            let first = Participant.agent("first"), second = Participant.agent("second")
            _ = await tools.call("control", arguments: ["action": "request"], as: first)
            _ = await tools.call("navigate", arguments: ["url": .string(dataURL("<button id=b>b</button>"))], as: first)
            let unknown = await tools.call("control", arguments: ["action": "request", "tab": "no-such-tab"], as: second)
            #expect(unknown.isError && unknown.text.hasPrefix("control: no tab no-such-tab; open tabs: "), "\(unknown.text)")
            let refused = await tools.call("click", arguments: ["target": "#b"], as: second)
            #expect(refused.isError)
            #expect(refused.text.contains("agent:first") && refused.text.contains("control tool"), "\(refused.text)")
            let waiting = Task { await tools.call("control", arguments: ["action": "request", "wait_seconds": 20], as: second) }
            #expect(await sessionBecomes(session) { await session.coordinator.queue.contains(second) })
            let status = await tools.call("control", arguments: ["action": "status"], as: first)
            #expect(status.text == "agent:first holds control; waiting: agent:second.", "\(status.text)")
            _ = await tools.call("control", arguments: ["action": "release"], as: first)
            let granted = await waiting.value
            #expect(!granted.isError, "\(granted.text)")
            #expect(!(await tools.call("click", arguments: ["target": "#b"], as: second)).isError)
        }
    }

    /// Wrong calls are results that say what is wrong, never a crash or a thrown error.
    @Test func wrongCallsSayWhatIsWrong() async throws {
        let (session, _) = try await TestSession.shared.get()
        let tools = AgentToolbox(session: session)
        let agent = Participant.agent("careless")
        let unknown = await tools.call("teleport", as: agent)
        #expect(unknown.isError && unknown.text.contains("navigate"))
        let missing = await tools.call("click", arguments: [:], as: agent)
        #expect(missing.isError && missing.text == "click needs target")
        let wrongType = await tools.call("navigate", arguments: ["url": 42], as: agent)
        #expect(wrongType.isError && wrongType.text == "navigate: url must be a string")
        let notObject = await tools.call("navigate", arguments: ["https://example.com"], as: agent)
        #expect(notObject.isError && notObject.text.contains("JSON object"))
        let renamed = await tools.call("click", arguments: ["target": "#a", "double": true], as: agent)
        #expect(renamed.isError && renamed.text == "click takes click_count, tab, target; not double.", "an unknown argument is never ignored")
        let badValue = await tools.call("navigate", arguments: ["url": "https://a.test/", "wait_until": "soon"], as: agent)
        #expect(badValue.isError && badValue.text.contains("not soon"), "\(badValue.text)")
        let both = await tools.call("wait", arguments: ["text": "a", "url": "b"], as: agent)
        #expect(both.isError && both.text.contains("exactly one"))
        let script = await AgentToolbox(session: session, profile: .full).call("evaluate", arguments: ["script": "1"], as: agent)
        #expect(script.isError, "no evaluate unless allowed")
    }
}
}

import DemoSite
import EventBuffer
import Foundation
import SharedSession
import TestSupport
import Testing

extension Chromium {
/// Actions as data: what another process sends as JSON runs through the one executor, raw input
/// lands where it is aimed, and what is recorded never shows a secret.
@Suite(.serialized) struct ActionValueTests {
    static let page = dataURL("""
        <input id=name> <input id=pw type=password> <input id=code autocomplete=one-time-code>
        <button id=b style="position:absolute; left:200px; top:100px; width:100px; height:40px"
          onclick="this.textContent = 'clicked ' + event.clientX + ',' + event.clientY + (event.shiftKey ? ' shift' : '')">press</button>
        <div style="height:3000px"></div>
        """)

    static func decode(_ json: String) throws -> BrowserAction {
        try JSONDecoder().decode(BrowserAction.self, from: Data(json.utf8))
    }

    @Test func actionsSentAsJSONRun() async throws {
        try await withOwnSession("as-json") { session in
            try await session.run(try Self.decode(#"{"type":"navigate","params":{"url":"\#(Self.page)"},"source":{"kind":"system","id":""}}"#)).get()
            let filled = await session.run(try Self.decode(##"{"type":"fill","params":{"target":"#name","value":"Ada"},"source":{"kind":"system","id":""}}"##))
            #expect(filled.error == nil, "\(String(describing: filled.error))")
            #expect(try await session.evaluate("document.querySelector('#name').value", as: system).get().value == "Ada")
            #expect(filled.actionValue?.type == .fill)
        }
    }

    /// Raw mouse, wheel and key input at page coordinates, as a person in the live view sends it.
    @Test func rawInputLandsWhereItIsAimed() async throws {
        try await withOwnSession("raw-input") { session in
            try await session.navigate(to: Self.page, as: system).get()
            let human = Participant.system
            try await session.run(.mouse("click", x: 250, y: 120, modifiers: ["Shift"], by: human)).get()
            #expect(try await session.evaluate("document.querySelector('#b').textContent", as: system).get().value == "clicked 250,120 shift")
            try await session.run(.wheel(x: 100, y: 100, deltaY: 500, by: human)).get()
            // The page scrolls when the wheel event has been handled: waited for in the page.
            #expect(await sharedPageResolves(session, """
                new Promise(r => { if (scrollY > 0) return r(true); addEventListener('scroll', () => r(scrollY > 0), { once: true }) })
                """))
            try await session.evaluate("scrollTo(0, 0); document.querySelector('#name').focus(); 1", as: system).get()
            try await session.run(.key("down", "Shift", by: human)).get()
            try await session.run(.key("down", "a", modifiers: ["Shift"], by: human)).get()
            try await session.run(.key("up", "a", modifiers: ["Shift"], by: human)).get()
            try await session.run(.key("up", "Shift", by: human)).get()
            try await session.run(.key("press", "b", by: human)).get()
            try await session.run(.insertText("ç日", by: human)).get()
            #expect(try await session.evaluate("document.querySelector('#name').value", as: system).get().value == "Abç日")
        }
    }

    @Test func badActionsAreRefusedBeforeAnythingIsSent() async throws {
        try await withOwnSession("bad-actions") { session in
            let unknown = await session.run(BrowserAction("teleport", source: .system))
            #expect(unknown.error?.code == .invalidAction)
            let noURL = await session.run(BrowserAction(.navigate, source: .system))
            #expect(noURL.error?.code == .invalidAction && noURL.error?.message.contains("url") == true)
            let badEvent = await session.run(.mouse("wiggle", x: 1, y: 1, by: .system))
            #expect(badEvent.error?.code == .invalidAction)
            let badModifier = await session.run(.key("down", "a", modifiers: ["Hyper"], by: .system))
            #expect(badModifier.error?.code == .invalidAction)
        }
    }

    /// The event stream records each action as a value; a password or one-time code never appears,
    /// while what goes into an ordinary field does — decided once per action, before it starts, so
    /// its start and finish events say the same.
    @Test func recordedActionsNeverShowASecret() async throws {
        try await withOwnSession("recorded") { session in
            try await session.navigate(to: Self.page, as: system).get()
            let watched = session.events.subscribe(kinds: [.actionStarted, .actionFinished, .actionFailed], bufferSize: 100)
            let agent = Participant.system
            try await session.fill("#name", "Ada Lovelace", as: agent).get()
            try await session.fill("#pw", "hunter2", as: agent).get()
            try await session.fill("#code", "424242", as: agent).get()
            try await session.type("s3cr3t", into: "#pw", as: agent).get()
            try await session.evaluate("document.querySelector('#pw').focus(); 1", as: agent).get()
            try await session.run(.insertText("pasted-secret", by: agent)).get()
            try await session.run(.key("press", "9", by: agent)).get()
            watched.cancel()
            var events: [BrowserEvent] = []
            for await element in watched { if let event = element.event { events.append(event) } }
            let json = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
            for secret in ["hunter2", "424242", "s3cr3t", "pasted-secret"] { #expect(!json.contains(secret), "\(secret) recorded") }
            let finishedName = events.first { event in
                guard event.kind == .actionFinished, case .action(let info) = event.payload else { return false }
                return info.action?.params.target == "#name"
            }
            if case .action(let info)? = finishedName?.payload { #expect(info.action?.params.value == "Ada Lovelace") }
            else { Issue.record("no actionFinished for #name") }
            let startedName = events.first { event in
                guard event.kind == .actionStarted, case .action(let info) = event.payload else { return false }
                return info.action?.params.target == "#name"
            }
            // One decision per action: its start shows what its finish shows.
            if case .action(let info)? = startedName?.payload { #expect(info.action?.params.value == "Ada Lovelace") }
            var started: [String: BrowserAction] = [:]
            for event in events {
                guard case .action(let info) = event.payload, let value = info.action else { continue }
                let key = "\(info.name)|\(info.target ?? "")"
                if event.kind == .actionStarted { started[key] = value }
                else if let first = started.removeValue(forKey: key) { #expect(first == value, "\(key): \(first) then \(value)") }
            }
            #expect(events.allSatisfy { event in
                if case .action(let info) = event.payload { return info.action?.source == .system }
                return false
            })
        }
    }
}
}

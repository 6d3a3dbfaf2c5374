import EventBuffer
import Foundation
import Testing

@Suite struct BrowserActionTests {
    /// The documented JSON form: flat params, unused ones left out.
    @Test func encodesToTheDocumentedJSON() throws {
        let action = BrowserAction(.click, ActionParams(target: "#submit"), source: .agent("collector"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(action), as: UTF8.self)
        #expect(json == ##"{"params":{"target":"#submit"},"source":{"id":"collector","kind":"agent"},"type":"click","version":2}"##)
    }

    @Test func decodesWhatAnotherProcessSends() throws {
        let text = #"{"type":"mouse","params":{"event":"click","x":120,"y":48.5,"modifiers":["Shift"]},"source":{"kind":"human","id":"alice"}}"#
        let action = try JSONDecoder().decode(BrowserAction.self, from: Data(text.utf8))
        #expect(action.type == .mouse)
        #expect(action.params.event == "click" && action.params.x == 120 && action.params.y == 48.5)
        #expect(action.params.modifiers == ["Shift"])
        #expect(action.source == .human("alice"))
        // Types this version does not know still decode (the executor refuses them with a clear error).
        let future = try JSONDecoder().decode(BrowserAction.self, from: Data(#"{"type":"teleport","params":{},"source":{"kind":"agent","id":"a"}}"#.utf8))
        #expect(future.type.rawValue == "teleport")
    }

    @Test func roundTripsEveryParameter() throws {
        let params = ActionParams(url: "https://a.test/", target: "ref=e1", value: "v", values: ["a", "b"], text: "t", key: "Enter",
                                  script: "1", state: "visible", waitUntil: "load", pattern: "**/x", event: "down", x: 1, y: 2,
                                  deltaX: 3, deltaY: 4, button: "right", clickCount: 2, modifiers: ["Alt"], accept: true,
                                  promptText: "p", tab: "T", width: 800, height: 600, fullPage: true, format: "jpeg", quality: 80,
                                  interactiveOnly: true, maxDepth: 3, root: "#main", page: 2, tokens: 500)
        let action = BrowserAction(.navigate, params, source: .system)
        let decoded = try JSONDecoder().decode(BrowserAction.self, from: try JSONEncoder().encode(action))
        #expect(decoded == action)
    }

    /// What was typed is masked in what is recorded, unless the field is known not to be secret;
    /// named keys are not typed text.
    @Test func typedTextIsMaskedUnlessSafe() {
        let fill = BrowserAction(.fill, ActionParams(target: "#password", value: "hunter2"), source: .agent("a"))
        #expect(fill.redacted().params.value == "***")
        #expect(fill.redacted().params.target == "#password")
        #expect(fill.redacted(typedTextIsSafe: true).params.value == "hunter2")
        #expect(BrowserAction(.type, ActionParams(text: "123456"), source: .human("h")).redacted().params.text == "***")
        #expect(BrowserAction(.insertText, ActionParams(text: "pasted"), source: .human("h")).redacted().params.text == "***")
        #expect(BrowserAction(.key, ActionParams(key: "7", event: "down"), source: .human("h")).redacted().params.key == "***")
        #expect(BrowserAction(.key, ActionParams(key: "Enter", event: "press"), source: .human("h")).redacted().params.key == "Enter")
        let navigate = BrowserAction(.navigate, ActionParams(url: "https://a.test/"), source: .system)
        #expect(navigate.redacted() == navigate)
    }
}

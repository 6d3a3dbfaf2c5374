import CDPTransport
import EventBuffer
import Foundation
import TestSupport
import Testing

/// The published JSON of events and actions: its shape, its schemas, and the versions it reads.
@Suite struct WireFormatTests {
    let schemas: JSONSchemaSet
    init() throws { schemas = try JSONSchemaSet.published() }

    func json(_ value: some Encodable) throws -> [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value)) else {
            Issue.record("not an object")
            return [:]
        }
        return fields
    }

    /// One event of each kind of details, as the session makes them.
    static let everyKindOfDetails: [BrowserEvent] = {
        let time = Date(timeIntervalSince1970: 1_800_000_000.25)
        let action = BrowserAction(.fill, ActionParams(target: "#name", value: "Widget"), source: .agent("creator"))
        let payloads: [(BrowserEvent.Kind, BrowserEvent.Payload)] = [
            (.navigation, .navigation(NavigationInfo(url: "https://example.com/", errorText: "net::ERR_ABORTED", canGoBack: true))),
            (.pageLoaded, .page(PageInfo(url: "https://example.com/", title: "Example"))),
            (.console, .console(ConsoleInfo(level: "error", text: "boom", location: "a.js:1:2"))),
            (.pageError, .pageError(PageErrorInfo(message: "TypeError", stack: "at x"))),
            (.dialogClosed, .dialog(DialogInfo(type: "confirm", message: "Sure?", accepted: false))),
            (.downloadProgress, .download(DownloadInfo(id: "d1", receivedBytes: 10, totalBytes: 20, state: "inProgress"))),
            (.response, .request(RequestInfo(id: "r1", url: "https://example.com/a", method: "GET", status: 200))),
            (.actionFinished, .action(ActionInfo(name: "fill", target: "#name", durationMilliseconds: 12.5, action: action.redacted()))),
            (.control, .control(ControlInfo(change: "granted", holder: "agent:a", previousHolder: "human:b"))),
            (.targetCreated, .target(TargetInfo(id: "T2", url: "about:blank", type: "page", openerId: "T1"))),
            (.error, .message("something")),
            (.eventsMissed, .missed(MissedInfo(count: 3, source: "tab"))),
            (.browserRestarted, .recovery(RecoveryInfo(detail: "relaunched", downtimeMilliseconds: 900, restoredTabs: 2))),
            ("app.checkpoint", .custom(["step": "3"])),
            (.tabActivated, .none),
        ]
        return payloads.enumerated().map { index, item in
            BrowserEvent(sequence: UInt64(index + 1), timestamp: time, kind: item.0, cause: .agent("a"), target: "T1", payload: item.1)
        }
    }()

    @Test func anEventHasNamedFieldsItsDetailsUnderOneKeyAndAnISOTime() throws {
        let event = BrowserEvent(sequence: 7, timestamp: Date(timeIntervalSince1970: 1_800_000_000.25), kind: .pageLoaded,
                                 cause: .human("alice"), target: "T1", payload: .page(PageInfo(url: "about:blank")))
        let fields = try json(event)
        #expect(fields["version"] == .number(Double(WireFormat.version)))
        #expect(fields["timestamp"] == "2027-01-15T08:00:00.250Z")
        #expect(fields["kind"] == "pageLoaded" && fields["sequence"] == 7 && fields["target"] == "T1")
        #expect(fields["cause"] == ["kind": "human", "id": "alice"])
        #expect(fields["page"] == ["url": "about:blank"])
        #expect(fields["payload"] == nil)
        #expect(!String(decoding: try JSONEncoder().encode(event), as: UTF8.self).contains("_0"))
    }

    @Test func everyKindOfDetailsFitsTheSchemaAndReadsBack() throws {
        for event in Self.everyKindOfDetails {
            let data = try JSONEncoder().encode(event)
            #expect(schemas.errors(in: data, against: "event.schema.json") == [], "\(String(decoding: data, as: UTF8.self))")
            #expect(try JSONDecoder().decode(BrowserEvent.self, from: data) == event)
        }
    }

    @Test func theSchemasRefuseWhatTheFormatDoesNotAllow() throws {
        let good = try json(Self.everyKindOfDetails[0])
        func errors(_ change: (inout [String: JSONValue]) -> Void) -> [String] {
            var copy = good
            change(&copy)
            return schemas.errors(in: .object(copy), against: "event.schema.json")
        }
        #expect(!errors { $0["timestamp"] = .number(1_800_000_000) }.isEmpty)
        #expect(!errors { $0["timestamp"] = "yesterday" }.isEmpty)
        #expect(!errors { $0["version"] = 1 }.isEmpty)
        #expect(!errors { $0["cause"] = ["kind": "robot"] }.isEmpty)
        #expect(!errors { $0["navigation"] = ["_0": ["url": "x"]] }.isEmpty)
        #expect(!errors { $0["payload"] = ["page": [:]] }.isEmpty)
        #expect(!errors { $0.removeValue(forKey: "sequence") }.isEmpty)
        #expect(!errors { $0["sequence"] = 1.5 }.isEmpty)
    }

    @Test func anActionHasItsVersionAndFitsTheSchemaMadeFromItsDeclaration() throws {
        let click = BrowserAction(.click, ActionParams(target: "#go", clickCount: 2), source: .agent("a"))
        let fields = try json(click)
        #expect(fields["version"] == .number(Double(WireFormat.version)) && fields["type"] == "click")
        #expect(fields["params"] == ["target": "#go", "clickCount": 2])
        #expect(schemas.errors(in: try JSONEncoder().encode(click), against: "action.schema.json") == [])
        // What the declarations refuse, the schema refuses: a missing required parameter, one the kind
        // does not take, a value not in the allowed list, an unknown type, a wrong JSON type.
        let refused: [String] = [
            #"{"type": "click", "params": {}, "source": {"kind": "agent", "id": "a"}}"#,
            #"{"type": "click", "source": {"kind": "agent", "id": "a"}}"#,
            ##"{"type": "click", "params": {"target": "#go", "url": "x"}, "source": {"kind": "agent", "id": "a"}}"##,
            #"{"type": "mouse", "params": {"event": "explode", "x": 1, "y": 2}, "source": {"kind": "human", "id": "p"}}"#,
            #"{"type": "teleport", "params": {}, "source": {"kind": "agent", "id": "a"}}"#,
            #"{"type": "click", "params": {"target": 5}, "source": {"kind": "agent", "id": "a"}}"#,
            #"{"type": "scroll", "params": {}, "source": {"kind": "agent", "id": "a"}}"#,
        ]
        for text in refused {
            #expect(!schemas.errors(in: Data(text.utf8), against: "action.schema.json").isEmpty, "\(text)")
        }
        let accepted = #"{"type": "back", "source": {"kind": "agent", "id": "a"}}"#
        #expect(schemas.errors(in: Data(accepted.utf8), against: "action.schema.json") == [])
        #expect(try JSONDecoder().decode(BrowserAction.self, from: Data(accepted.utf8)).type == .back)
    }

    /// Version 1 (Swift's own coding of the details, no version field, times as the encoder chose)
    /// still reads.
    @Test func eventsOfVersionOneStillRead() throws {
        let recorded = #"{"sequence":3,"timestamp":"2027-01-15T08:00:00.250Z","kind":"pageLoaded","cause":{"kind":"page","id":""},"target":"T1","payload":{"page":{"_0":{"url":"about:blank","title":"Blank"}}}}"#
        let event = try JSONDecoder().decode(BrowserEvent.self, from: Data(recorded.utf8))
        #expect(event.payload == .page(PageInfo(url: "about:blank", title: "Blank")) && event.sequence == 3)
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_800_000_000.25))
        let plain = #"{"sequence":4,"timestamp":0,"kind":"tabActivated","cause":{"kind":"system","id":""},"payload":{"none":{}}}"#
        let second = try JSONDecoder().decode(BrowserEvent.self, from: Data(plain.utf8))
        #expect(second.payload == .none && second.timestamp == Date(timeIntervalSinceReferenceDate: 0))
        let action = ##"{"sequence":5,"timestamp":"2027-01-15T08:00:00Z","kind":"actionStarted","cause":{"kind":"agent","id":"a"},"payload":{"action":{"_0":{"name":"click","action":{"type":"click","params":{"target":"#go"},"source":{"kind":"agent","id":"a"}}}}}}"##
        guard case .action(let info) = try JSONDecoder().decode(BrowserEvent.self, from: Data(action.utf8)).payload else {
            Issue.record("no action details")
            return
        }
        #expect(info.action?.params.target == "#go")
    }

    @Test func aNewerVersionIsRefusedWithItsNumber() throws {
        let event = #"{"version":3,"sequence":1,"timestamp":"2027-01-15T08:00:00Z","kind":"x","cause":{"kind":"page"}}"#
        #expect {
            try JSONDecoder().decode(BrowserEvent.self, from: Data(event.utf8))
        } throws: { error in
            String(describing: error).contains("version 3")
        }
        let action = #"{"version":9,"type":"back","source":{"kind":"agent","id":"a"}}"#
        #expect {
            try JSONDecoder().decode(BrowserAction.self, from: Data(action.utf8))
        } throws: { error in
            String(describing: error).contains("version 9")
        }
    }

    @Test func anEventWithTwoKindsOfDetailsIsRefused() {
        let event = #"{"version":2,"sequence":1,"timestamp":"2027-01-15T08:00:00Z","kind":"x","cause":{"kind":"page"},"message":"a","page":{}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BrowserEvent.self, from: Data(event.utf8)) }
    }
}

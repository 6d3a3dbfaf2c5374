import EventBuffer
import Foundation
import SharedSession
import Testing
@testable import Timeline

/// A recording written by hand: an agent's click that failed, a person's fill, a console message
/// with characters that need escaping, a control change, screenshots, and a last line cut short.
private func sampleRecording() throws -> String {
    let folder = NSTemporaryDirectory() + "sb-timeline-format-\(UUID().uuidString.prefix(8))"
    let segment = folder + "/segment-000001"
    try FileManager.default.createDirectory(atPath: segment + "/shots", withIntermediateDirectories: true)
    let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) + Data(repeating: 0, count: 64) + Data([0xFF, 0xD9])
    try jpeg.write(to: URL(fileURLWithPath: segment + "/shots/000001.jpg"))
    try jpeg.write(to: URL(fileURLWithPath: segment + "/shots/000002.jpg"))
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
    func event(_ sequence: UInt64, _ time: Double, _ kind: BrowserEvent.Kind, _ cause: EventCause, _ payload: BrowserEvent.Payload,
               tab: String = "T") -> TimelineRecord {
        .event(BrowserEvent(sequence: sequence, timestamp: at(time), kind: kind, cause: cause, target: tab, payload: payload))
    }
    let agent = EventCause.agent("a"), person = EventCause.human("p")
    let records: [TimelineRecord] = [
        .header(TimelineHeader(sessionId: "format", started: start, segment: 1)),
        event(1, 0.1, .navigation, .page, .navigation(NavigationInfo(url: "https://example.test/", isMainFrame: true))),
        .screenshot(TimelineScreenshot(file: "segment-000001/shots/000001.jpg", timestamp: at(0.2), width: 1280, height: 720, target: "T", reason: .interval)),
        event(2, 1.0, .actionStarted, agent, .action(ActionInfo(name: "click", target: "#go"))),
        .screenshot(TimelineScreenshot(file: "segment-000001/shots/000001.jpg", timestamp: at(0.2), width: 1280, height: 720, target: "T", reason: .before, action: 2)),
        event(3, 1.1, .console, .page, .console(ConsoleInfo(level: "error", text: "say \"hi\"\n\\ <b>\u{1}"))),
        event(4, 1.2, .actionFailed, agent, .action(ActionInfo(name: "click", target: "#go", error: "no element matches #go"))),
        event(5, 2.0, .control, person, .control(ControlInfo(change: "takenOver", holder: "human:p", previousHolder: "agent:a"))),
        event(6, 2.5, .actionStarted, person, .action(ActionInfo(name: "fill", target: "#q")), tab: "U"),
        event(7, 2.6, .actionFinished, person, .action(ActionInfo(name: "fill", target: "#q")), tab: "U"),
        .screenshot(TimelineScreenshot(file: "segment-000001/shots/000002.jpg", timestamp: at(2.7), width: 1280, height: 720, target: "T", reason: .after, action: 6)),
        .missed(2),
    ]
    let encoder = TimelineRecord.makeEncoder()
    var data = Data()
    for record in records {
        data.append(try encoder.encode(record))
        data.append(0x0A)
    }
    data.append(Data(#"{"type":"event","event":{"seq"#.utf8))   // a host killed mid-line
    try data.write(to: URL(fileURLWithPath: segment + "/timeline.jsonl"))
    return folder
}

@Suite struct TimelineFormatTests {
    @Test func aRecordingReadsBackIntoActions() throws {
        let timeline = try Timeline(directory: try sampleRecording())
        #expect(timeline.sessionId == "format")
        #expect(timeline.skippedLines == 1, "the line cut short")
        #expect(timeline.missedEvents == 2)
        #expect(timeline.events.count == 7)
        #expect(timeline.participants.map(\.description) == ["page", "agent:a", "human:p"])
        let actions = timeline.actions
        #expect(actions.map(\.title) == ["click #go", "fill #q"])
        #expect(actions[0].failed && actions[0].error == "no element matches #go")
        #expect(actions[0].errors.count == 1, "the console error while it ran")
        #expect(actions[0].urlBefore == "https://example.test/")
        #expect(actions[0].before?.file == "segment-000001/shots/000001.jpg")
        #expect(actions[1].participant == .human("p") && actions[1].after?.file == "segment-000001/shots/000002.jpg")
        #expect(timeline.image(actions[1].after!)?.starts(with: [0xFF, 0xD8]) == true)
    }

    @Test func filtersKeepWhatMatches() throws {
        let timeline = try Timeline(directory: try sampleRecording())
        let person = timeline.filtered(participants: [.human("p")])
        #expect(person.events.allSatisfy { $0.cause == .human("p") } && person.events.count == 3)
        #expect(person.screenshots.map(\.action) == [nil, 6], "the person's action's screens and the interval shot")
        #expect(timeline.filtered(kinds: [.console]).events.count == 1)
        let late = timeline.filtered(from: timeline.started.addingTimeInterval(2))
        #expect(late.events.map(\.sequence) == [5, 6, 7])
    }

    /// A folder with one segment made of `lines`.
    private func recording(_ lines: [String]) throws -> String {
        let folder = NSTemporaryDirectory() + "sb-timeline-version-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/segment-000001", withIntermediateDirectories: true)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/segment-000001/timeline.jsonl"))
        return folder
    }

    /// Lines as the previous format (version 1) wrote them: Swift's coding of the details.
    @Test func aRecordingOfVersionOneStillOpens() throws {
        let timeline = try Timeline(directory: try recording([
            #"{"header":{"segment":1,"sessionId":"old","started":"2027-01-15T08:00:00.000Z","version":1},"type":"header"}"#,
            #"{"event":{"cause":{"id":"","kind":"page"},"kind":"navigation","payload":{"navigation":{"_0":{"isMainFrame":true,"url":"https://example.test/"}}},"sequence":1,"target":"T","timestamp":"2027-01-15T08:00:00.100Z"},"type":"event"}"#,
            ##"{"event":{"cause":{"id":"a","kind":"agent"},"kind":"actionStarted","payload":{"action":{"_0":{"name":"click","target":"#go"}}},"sequence":2,"target":"T","timestamp":"2027-01-15T08:00:01.000Z"},"type":"event"}"##,
            ##"{"event":{"cause":{"id":"a","kind":"agent"},"kind":"actionFinished","payload":{"action":{"_0":{"durationMilliseconds":12,"name":"click","target":"#go"}}},"sequence":3,"target":"T","timestamp":"2027-01-15T08:00:01.012Z"},"type":"event"}"##,
        ]))
        #expect(timeline.sessionId == "old" && timeline.skippedLines == 0)
        #expect(timeline.events.map(\.sequence) == [1, 2, 3])
        #expect(timeline.events[0].payload == .navigation(NavigationInfo(url: "https://example.test/", isMainFrame: true)))
        #expect(timeline.actions.map(\.title) == ["click #go"] && timeline.actions[0].urlBefore == "https://example.test/")
    }

    /// A recording of a newer format says which version it is, and that this library cannot read it.
    @Test func aRecordingOfANewerVersionSaysSo() throws {
        let folder = try recording([
            #"{"header":{"segment":1,"sessionId":"new","started":"2027-01-15T08:00:00.000Z","version":3},"type":"header"}"#,
        ])
        #expect {
            try Timeline(directory: folder)
        } throws: { error in
            (error as? TimelineError)?.description.contains("format version 3; this library reads versions 1 to 2") == true
        }
    }

    @Test func aFolderWithoutARecordingIsATypedError() {
        #expect(throws: TimelineError.self) { try Timeline(directory: "/nonexistent/\(UUID())") }
        let empty = NSTemporaryDirectory() + "sb-empty-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: TimelineError.self) { try Timeline(directory: empty) }
    }

    /// Every trace line is JSON, whatever the page wrote; titles name the participant.
    @Test func traceLinesAreJSON() throws {
        let timeline = try Timeline(directory: try sampleRecording())
        let (lines, resources) = PlaywrightTrace.traceLines(timeline)
        var types: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            types.append(object["type"] as? String ?? "?")
            if object["type"] as? String == "console" { #expect(object["text"] as? String == "say \"hi\"\n\\ <b>\u{1}") }
            if object["type"] as? String == "before", object["class"] as? String == "Page" {
                #expect((object["title"] as? String)?.hasPrefix("agent:a ") == true || (object["title"] as? String)?.hasPrefix("human:p ") == true)
            }
        }
        #expect(types.first == "context-options")
        #expect(types.filter { $0 == "before" }.count == 3, "two actions and the take-over")
        #expect(types.filter { $0 == "screencast-frame" }.count == 3)
        #expect(resources.count == 2, "each picture once")
    }

    /// The exports are for their owner only, as the recording is.
    @Test func exportsArePrivate() throws {
        let timeline = try Timeline(directory: try sampleRecording())
        let (report, trace) = try timeline.writeReportAndTrace()
        for path in [report, trace] {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600, "\(path)")
        }
    }

    /// Whatever a page says is text in the report, never markup.
    @Test func theReportEscapesThePage() throws {
        let timeline = try Timeline(directory: try sampleRecording())
        let html = TimelineReport.html(timeline)
        // The page's text is data, never markup: in the JSON block no `<` stands as itself.
        #expect(!html.contains("<b>"))
        #expect(html.contains(#"\u003cb>"#))
        #expect(html.contains(#"value="human:p""#))
        let start = try #require(html.range(of: #"<script id="data" type="application/json">"#))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
        #expect((data["actions"] as? [Any])?.count == 2)
        #expect((data["events"] as? [Any])?.count == timeline.events.count)
        #expect(data["format"] as? Int == 1)
        // Each action names its tab (a lane each): the agent's in T, the person's in U.
        #expect(data["tabs"] as? [String] == ["T", "U"])
        #expect((data["actions"] as? [[Any]])?.map { $0.last as? Int } == [0, 1])
        #expect(timeline.actions.map(\.tab) == ["T", "U"])
    }
}

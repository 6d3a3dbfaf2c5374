import CDPTransport
import EventBuffer
import Foundation
import LiveView
import SharedSession
import Testing
import Timeline
import WebSockets

/// A page of one colour whose button paints it another, with a field to type into.
private func colourPage(_ name: String, _ rgb: (Int, Int, Int), paints next: (Int, Int, Int)) -> String {
    dataURL("""
        <title>\(name)</title><style>html,body{margin:0;height:100%;background:rgb(\(rgb.0),\(rgb.1),\(rgb.2))}
        #paint{position:absolute;left:300px;top:300px;width:200px;height:60px}#field{position:absolute;left:300px;top:400px}</style>
        <button id=paint onclick="document.body.style.background='rgb(\(next.0),\(next.1),\(next.2))'">Paint</button>
        <input id=field aria-label=Field>
        """)
}

private let red = (220, 0, 0), green = (0, 200, 0), blue = (0, 0, 230), yellow = (240, 220, 0), magenta = (200, 0, 200)

/// The colour name of the nearest of the test's colours.
private func colourName(_ rgb: [Double]) -> String {
    let named: [(String, (Int, Int, Int))] = [("red", red), ("green", green), ("blue", blue), ("yellow", yellow), ("magenta", magenta),
                                              ("white", (255, 255, 255))]
    return named.min { a, b in
        func distance(_ c: (Int, Int, Int)) -> Double {
            pow(rgb[0] - Double(c.0), 2) + pow(rgb[1] - Double(c.1), 2) + pow(rgb[2] - Double(c.2), 2)
        }
        return distance(a.1) < distance(b.1)
    }!.0
}

extension Chromium {
@Suite(.serialized) struct TimelinePictureTests {
    /// Fast sequences of actions over pages of different colours, by an agent and then a person: every
    /// picture of an action is of its moment (the colour the page had then: before it started, after
    /// its effect and before the next action), or there is none; nearly all are there.
    /// How the session records: its actions waiting for the picture before them, the same with a person
    /// watching (the screencast runs), or never waiting (as by default: pictures between back-to-back
    /// steps are missing, never wrong).
    enum Mode: String, CaseIterable, CustomStringConvertible {
        case waits, watched, neverWaits
        var description: String { rawValue }
    }

    @Test(arguments: Mode.allCases)
    func everyPictureIsOfItsMoment(mode: Mode) async throws {
        let watched = mode == .watched
        let folder = temporaryFolder("timeline-moments") + "/recording"
        let agent = Participant.agent("fast"), person = Participant.human("pat")
        // What the page shows before and after each step, by the step's order.
        var expected: [(before: String, after: String)] = []
        try await withOwnSession("timeline-moments", configure: {
            $0.recording = RecordingOptions(directory: folder, pictureWait: mode == .neverWaits ? .zero : .seconds(1))
        }) { session in
            var viewer: WebSocketConnection?
            if watched { viewer = try await LiveViewClient.watching(try await session.liveView()).1 }
            defer { viewer?.close(code: 1000, reason: "done") }
            _ = await session.coordinator.tryRequestControl(for: agent)
            for round in 0..<3 {
                let (first, second) = round % 2 == 0 ? (red, green) : (blue, yellow)
                let (firstName, secondName) = round % 2 == 0 ? ("red", "green") : ("blue", "yellow")
                let previous = expected.last?.after ?? "white"
                try await session.navigate(to: colourPage("p\(round)", first, paints: second), as: agent).get()
                expected.append((previous, firstName))
                try await session.fill("#field", "round \(round)", as: agent).get()
                expected.append((firstName, firstName))
                try await session.click("#paint", as: agent).get()
                expected.append((firstName, secondName))
            }
            // A person takes over on a page of its own colour and paints it with raw input, as from the
            // live view.
            try await session.coordinator.takeOver(by: person)
            try await session.navigate(to: colourPage("person", magenta, paints: green), as: person).get()
            expected.append((expected.last!.after, "magenta"))
            for event in ["down", "up"] {
                try await session.run(.mouse(event, x: 400, y: 330, button: "left", by: person), through: .personInput).get()
            }
            expected.append(("magenta", "green"))
            try await session.coordinator.handBack(by: person)
        }
        let timeline = try Timeline(directory: folder)
        let steps = timeline.actions.filter { ["navigate", "fill", "click", "mouse"].contains($0.name) || $0.words != nil }
            .filter { $0.name != "approval" && $0.name != "message" }
        #expect(steps.count == expected.count, "\(steps.map(\.title))")
        let (_, page) = try await TestBrowser.page()
        func colour(_ shot: TimelineScreenshot) async throws -> String {
            let jpeg = try #require(timeline.image(shot))
            // A pixel away from the button and the field.
            let js = """
                new Promise(done => { const i = new Image(); i.onload = () => { const c = document.createElement('canvas');
                c.width = i.width; c.height = i.height; const g = c.getContext('2d'); g.drawImage(i, 0, 0);
                done(Array.from(g.getImageData(Math.floor(i.width * 0.1), Math.floor(i.height * 0.1), 1, 1).data).slice(0, 3)); };
                i.src = 'data:image/jpeg;base64,\(jpeg.base64EncodedString())'; })
                """
            let rgb = try #require(try await evaluate(page, js)?.arrayValue?.compactMap(\.doubleValue))
            return colourName(rgb)
        }
        var pictures = 0, missing: [String] = []
        for (step, want) in zip(steps, expected) {
            if let before = step.before {
                pictures += 1
                #expect(try await colour(before) == want.before, "before \(step.title)")
            } else { missing.append("before \(step.title)") }
            if let after = step.after {
                pictures += 1
                #expect(try await colour(after) == want.after, "after \(step.title)")
                #expect(after.timestamp >= step.started, "after \(step.title) is not older than its start")
            } else { missing.append("after \(step.title)") }
        }
        // Every step has its pictures (the first one's before-shot may be missing: nothing was seen yet),
        // unless the steps did not wait for them.
        if mode != .neverWaits {
            #expect(missing.count <= 1, "no picture: \(missing)")
            #expect(pictures >= 2 * expected.count - 1)
        }
        // The page's document after each step is of its moment too: the colour it was painted, the text
        // typed — even between back-to-back steps (the page reads it before the next step's commands).
        for (index, step) in steps.enumerated() where step.participant == .agent("fast") {
            let after = try #require(step.pageAfter.flatMap { timeline.document($0) }, "the document after \(step.title)")
            if step.name == "fill" { #expect(after.contains("\"__playwright_value_\":\"round "), "\(step.title)") }
            if step.name == "click" {
                let rgb = [("green", green), ("yellow", yellow)].first { $0.0 == expected[index].after }!.1
                #expect(after.contains("rgb(\(rgb.0), \(rgb.1), \(rgb.2))"), "\(step.title): \(after.prefix(300))")
            }
            #expect(step.pageBefore != nil, "the document before \(step.title)")
        }
        // Where the clicks landed, for the marks: the point and the element's box, for agent and person.
        let clicks = steps.filter { $0.name == "click" }
        #expect(!clicks.isEmpty && clicks.allSatisfy { $0.point != nil && $0.box != nil }, "\(clicks.map { ($0.point, $0.box) })")
        let fills = steps.filter { $0.name == "fill" }
        #expect(fills.allSatisfy { $0.box != nil && $0.box!.width > 0 })
        let byPerson = try #require(steps.last)
        #expect(byPerson.participant == .human("pat") && byPerson.point != nil, "\(byPerson.title)")
        try await page.send(Page.Navigate(url: "about:blank"))
    }
}
}

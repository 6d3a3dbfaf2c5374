import CDPTransport
import EventBuffer
import Foundation
import SharedSession
import TestSupport
import Testing
import LiveView
import Timeline
import WebSockets

/// A page whose button turns it red: an action that visibly changes the screen.
let timelinePage = dataURL("""
    <title>Timeline</title><style>html,body{margin:0;height:100%;background:#fff}
    button{position:absolute;left:40px;top:40px;width:300px;height:120px;font-size:32px}</style>
    <button id=b onclick="document.body.style.background='rgb(220,0,0)';console.error('turned red')">Paint</button>
    <input id=pw type=password style="position:absolute;left:40px;top:200px">
    """)

/// A fresh temporary folder.
func temporaryFolder(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "sb-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Records a short session: an agent navigates, paints the page, types a password and fails once; a
/// person takes over, clicks and hands back. `watched`: with a live view viewer all along (the
/// recording takes the screencast's frames), else the recorder captures the screen itself. Returns
/// the recording folder.
func recordSampleSession(_ id: String, watched: Bool = false) async throws -> String {
    let folder = temporaryFolder(id) + "/recording"
    let agent = Participant.agent("painter"), person = Participant.human("ann")
    try await withOwnSession(id, configure: { $0.recording = RecordingOptions(directory: folder, pictureWait: .seconds(1)) }) { session in
        #expect(session.recordingDirectory == folder)
        var viewer: WebSocketConnection?
        if watched {
            let view = try await session.liveView()
            viewer = try await LiveViewClient.watching(view).1
        }
        defer { viewer?.close(code: 1000, reason: "done") }
        _ = await session.coordinator.tryRequestControl(for: agent)
        try await session.navigate(to: timelinePage, as: agent).get()
        try await session.click("#b", as: agent).get()
        try await session.fill("#pw", "hunter2-secret", as: agent).get()
        #expect(await session.click("#missing", as: agent, options: .init(timeout: .milliseconds(300))).error != nil)
        try await session.coordinator.takeOver(by: person)
        try await session.click("#b", as: person).get()
        try await session.coordinator.handBack(by: person)
        // Everything reached the recording, the screens after the last actions included.
        #expect(await eventuallyAsync(within: .seconds(10)) {
            guard let timeline = try? await session.timeline() else { return false }
            return timeline.actions.filter { $0.participant == EventCause(person) }.contains { $0.after != nil }
                && timeline.events.contains { $0.kind == .control && $0.cause == EventCause(person) }
        })
    }
    return folder
}

extension Chromium {
@Suite(.serialized) struct TimelineTests {
    /// Every participant's actions and the page's events are recorded with the screen before and after
    /// each action that can change the page; nothing typed into a password field is written.
    @Test(arguments: [false, true])
    func everyoneIsRecordedWithTheScreenAroundActions(watched: Bool) async throws {
        let folder = try await recordSampleSession("timeline-record", watched: watched)
        let timeline = try Timeline(directory: folder)
        #expect(timeline.sessionId == "timeline-record")
        #expect(timeline.skippedLines == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let participants = Set(timeline.participants.map(\.description))
        #expect(participants.isSuperset(of: ["agent:painter", "human:ann"]), "\(participants)")

        let paint = try #require(timeline.actions.first { $0.participant == .agent("painter") && $0.name == "click" && $0.target == "#b" })
        let before = try #require(paint.before), after = try #require(paint.after)
        #expect(before.file != after.file, "the click changed the screen")
        #expect(timeline.image(before)?.starts(with: [0xFF, 0xD8]) == true)
        #expect(timeline.image(after)?.starts(with: [0xFF, 0xD8]) == true)
        #expect(paint.errors.contains { $0.contains("turned red") }, "the console error it caused: \(paint.errors)")
        #expect(paint.urlBefore.hasPrefix("data:text/html"))

        // Every action that can change the page has the screen after it, and before it but the first.
        for action in timeline.actions {
            #expect(action.after != nil, "\(action.participant) \(action.name) has its after-shot")
        }
        #expect(timeline.actions.filter { $0.before == nil }.count <= 1, "\(timeline.actions.map { ($0.title.prefix(20), $0.before == nil) })")
        let failed = try #require(timeline.actions.first { $0.target == "#missing" })
        #expect(failed.failed)
        let byPerson = timeline.actions.filter { $0.participant == .human("ann") }
        #expect(byPerson.map(\.name) == ["click"])
        #expect(timeline.events.contains { $0.kind == .control && $0.cause == .human("ann") })

        // Filters: by participant, kind and time.
        let onlyAnn = timeline.filtered(participants: [.human("ann")])
        #expect(!onlyAnn.events.isEmpty && onlyAnn.events.allSatisfy { $0.cause == .human("ann") })
        let onlyControl = timeline.filtered(kinds: [.control])
        #expect(!onlyControl.events.isEmpty && onlyControl.events.allSatisfy { $0.kind == .control })
        let late = timeline.filtered(from: paint.started)
        #expect(late.entries.allSatisfy { $0.timestamp >= paint.started })
        #expect(late.events.count < timeline.events.count)

        // The password never reaches the disk, and every line is the published format.
        let schemas = try JSONSchemaSet.published()
        for segment in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let text = try String(contentsOfFile: "\(folder)/\(segment)/timeline.jsonl", encoding: .utf8)
            #expect(!text.contains("hunter2"), "segment \(segment)")
            // Nor do the page's documents (a field that takes a secret has its value left out).
            let pages = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(segment)/pages")
            #expect(!pages.isEmpty)
            for page in pages {
                #expect(!(try String(contentsOfFile: "\(folder)/\(segment)/pages/\(page)", encoding: .utf8)).contains("hunter2"))
            }
            let lines = text.split(separator: "\n")
            #expect(lines.first?.contains(#""version":\#(WireFormat.version)"#) == true, "the header says the version")
            for line in lines {
                let errors = schemas.errors(in: Data(line.utf8), against: "timeline-record.schema.json")
                #expect(errors.isEmpty, "\(line.prefix(300)): \(errors)")
            }
        }
    }

    /// A host killed with SIGKILL leaves a recording that opens, with what happened up to its last second.
    @Test func aKilledHostLeavesATimelineThatOpens() async throws {
        let folder = temporaryFolder("timeline-kill") + "/recording"
        let host = try SessionHost(profile: nil, url: timelinePage, environment: ["SESSION_HOST_RECORDING": folder])
        // The host reloads every 200 ms: wait until a few reloads are on disk, then kill it mid-stream.
        func reloads() -> Int {
            (try? Timeline(directory: folder))?.actions.filter { $0.name == "reload" && $0.ended != nil }.count ?? 0
        }
        #expect(await eventually(within: .seconds(15)) { reloads() >= 3 })
        let killedAt = Date()
        kill(host.process.processIdentifier, SIGKILL)
        host.process.waitUntilExit()
        let timeline = try Timeline(directory: folder)
        #expect(timeline.skippedLines <= 1, "at most the line being written when it died")
        let last = try #require(timeline.events.last)
        #expect(killedAt.timeIntervalSince(last.timestamp) < 1.0, "the last second is on disk (last event \(killedAt.timeIntervalSince(last.timestamp)) s before)")
        for shot in timeline.screenshots.dropLast(2) {
            #expect(timeline.image(shot) != nil, "\(shot.file) is on disk")
        }
        #expect(await eventually(within: .seconds(5)) { !host.browserGroupRemains })
    }

    /// The HTML report opens from its file in a browser and has every part: the film strip, a lane per
    /// participant, each action with its screens, the hand-offs, and filters that work.
    @Test func theReportOpensInABrowserWithEveryPart() async throws {
        let folder = try await recordSampleSession("timeline-report")
        let timeline = try Timeline(directory: folder)
        let report = folder + "/../report.html"
        try TimelineReport.write(timeline, to: report)
        let (_, page) = try await TestBrowser.page()
        _ = try await page.waitForEvent(Page.LoadEventFired.self, timeout: .seconds(15), after: {
            _ = try await page.send(Page.Navigate(url: URL(fileURLWithPath: report).standardizedFileURL.absoluteString))
        })
        func number(_ js: String) async throws -> Int {
            Int(try await evaluate(page, js)?.doubleValue ?? -1)
        }
        #expect(try await evaluate(page, "document.getElementById('session').textContent")?.stringValue == "timeline-report")
        #expect(try await number("document.querySelectorAll('#lanes .lane').length") == timeline.participants.count)
        #expect(try await number("document.querySelectorAll('#lanes .lane.agent').length") == 1)
        #expect(try await number("document.querySelectorAll('#lanes .lane.human').length") == 1)
        #expect(try await number("Number(document.body.dataset.visibleActions)") == timeline.actions.count)
        #expect(try await number("document.querySelectorAll('#action-list .row').length") == timeline.actions.count)
        #expect(try await number("document.querySelectorAll('#action-list .row.failed').length") == 1)
        #expect(try await number("Number(document.body.dataset.visibleEvents)") == timeline.events.count)
        #expect(try await number("Number(document.body.dataset.handoffs)") > 0, "hand-offs marked")
        // The film strip's pictures load as they come into view, and decode.
        #expect(await pageBecomes(page, """
            (() => { const imgs = [...document.querySelectorAll('#filmstrip img')]; return imgs.length > 0 && imgs.every(i => i.src); })()
            """, within: .seconds(10)))
        // The agent's paint click: its pictures before and after, the point and the box it clicked on both.
        let paint = try #require(timeline.actions.firstIndex { $0.participant == .agent("painter") && $0.target == "#b" })
        _ = try await evaluate(page, "document.querySelector('#action-list .row[data-index=\"\(paint)\"]').click(); 1")
        #expect(try await number("document.querySelectorAll('#detail figure.shot img').length") == 2)
        #expect(try await number("document.querySelectorAll('#detail .dot').length") == 2)
        #expect(try await number("document.querySelectorAll('#detail .box').length") == 2)
        #expect(try await number("Promise.all([...document.querySelectorAll('#detail img')].map(i => i.decode().then(() => 0, () => 1))).then(r => r.reduce((a, b) => a + b, 0))") == 0)
        // The dot sits where the click landed: the middle of the button (40 + 300 / 2 of a 1280-pixel viewport).
        #expect(try await evaluate(page, "document.querySelector('#detail .dot').style.left")?.stringValue?.hasPrefix("14.84") == true)
        // Filters: the person only, then errors only.
        let all = try await number("Number(document.body.dataset.visibleActions)")
        _ = try await evaluate(page, """
            for (const box of document.querySelectorAll('input[name=participant]')) box.checked = box.value === 'human:ann';
            document.getElementById('filters').dispatchEvent(new Event('change')); 1
            """)
        #expect(try await number("Number(document.body.dataset.visibleActions)") == 1)
        #expect(try await number("document.querySelectorAll('#lanes .lane:not(.hidden)').length") == 1)
        _ = try await evaluate(page, """
            for (const box of document.querySelectorAll('input[name=participant]')) box.checked = true;
            document.getElementById('kind').value = '1';
            document.getElementById('filters').dispatchEvent(new Event('change')); 1
            """)
        let errors = try await number("Number(document.body.dataset.visibleActions)")
        #expect(errors >= 1 && errors < all)
        _ = try await evaluate(page, "document.getElementById('kind').value = ''; document.getElementById('filters').dispatchEvent(new Event('change')); 1")
        // Search: over actions, URLs and events.
        func search(_ text: String) async throws -> (actions: Int, events: Int) {
            // Typing applies the search after a pause; a change of the form applies it at once.
            _ = try await evaluate(page, """
                (() => { document.getElementById('search').value = \(PersonView.quoted(text));
                document.getElementById('filters').dispatchEvent(new Event('change')); return 1; })()
                """)
            return (try await number("Number(document.body.dataset.visibleActions)"), try await number("Number(document.body.dataset.visibleEvents)"))
        }
        let found = try await search("#b")
        #expect(found.actions == 2, "the agent's and the person's clicks on #b")
        let red = try await search("turned red")
        #expect(red.events >= 1 && red.events < timeline.events.count)
        #expect(red.actions == 2, "the two clicks whose console errors say it")
        _ = try await search("")
        // Jumps: to the next error, then to the next hand-off; each chooses the action of its moment.
        for (button, kind) in [("jump-error", "error"), ("jump-control", "control")] {
            _ = try await evaluate(page, "document.getElementById('\(button)').click(); 1")
            let sequence = try #require(try await evaluate(page, "document.body.dataset.jumpedTo")?.stringValue.flatMap { UInt64($0) })
            let event = try #require(timeline.events.first { $0.sequence == sequence })
            #expect(kind == "error" ? event.isError : event.kind == .control, "\(event.kind)")
            #expect(try await number("document.querySelectorAll('#event-list .row.jumped').length") == 1)
            #expect(try await number("Number(document.getElementById('detail').dataset.index)") >= 0)
        }
        // A picture of it, for the documentation: the paint click chosen.
        _ = try await page.send(Emulation.SetDeviceMetricsOverride(width: 1280, height: 900, deviceScaleFactor: 1, mobile: false))
        _ = try await evaluate(page, "document.querySelector('#action-list .row[data-index=\"\(paint)\"]').click(); 1")
        #expect(try await number("Promise.all([...document.images].map(i => i.decode().then(() => 0, () => 1))).then(r => r.reduce((a, b) => a + b, 0))") == 0)
        let shot = try await page.send(Page.CaptureScreenshot(format: .png))
        let png = try #require(Data(base64Encoded: shot.data))
        #expect(png.count > 10_000)
        if let out = ProcessInfo.processInfo.environment["SHARED_BROWSER_DOC_SCREENSHOTS"] {
            try png.write(to: URL(fileURLWithPath: out + "/timeline-report.png"))
        }
        try await page.send(Page.Navigate(url: "about:blank"))
    }

    /// A recording that can no longer write (its folder removed) says so once, as an `error` event of
    /// the session, and the session goes on.
    @Test func aRecordingThatCannotWriteSaysSo() async throws {
        let folder = temporaryFolder("timeline-gone") + "/recording"
        try await withOwnSession("timeline-gone", configure: { $0.recording = RecordingOptions(directory: folder) }) { session in
            let errors = session.events.subscribe(kinds: [.error])
            try FileManager.default.removeItem(atPath: folder)
            try await session.navigate(to: timelinePage, as: system).get()
            try await session.click("#b", as: system).get()
            let said = try #require(await firstEvent(errors, .error), "an error event")
            #expect(said.summary.contains("timeline recording"), "\(said.summary)")
            #expect(session.recordingFailure?.contains("cannot write") == true)
            try await session.click("#b", as: system).get()
        }
    }

    /// `shared-browser-timeline DIR` writes both files into the folder and says where; a folder with no
    /// recording is a clear error and exit status 64.
    @Test func theCommandLineWritesTheReportAndTheTrace() async throws {
        let folder = try await recordSampleSession("timeline-cli")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("shared-browser-timeline").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build with `swift build --build-tests`")
        let made = try PlaywrightCLI.run(executable: binary, [folder], in: folder)
        #expect(made.status == 0, "\(made.output)")
        #expect(made.output.contains("timeline report: \(folder)/report.html"), "\(made.output)")
        #expect(made.output.contains("timeline trace: \(folder)/trace.zip"), "\(made.output)")
        #expect(FileManager.default.fileExists(atPath: folder + "/report.html") && FileManager.default.fileExists(atPath: folder + "/trace.zip"))
        let html = folder + "/../only.html"
        let one = try PlaywrightCLI.run(executable: binary, [folder, "--html", html], in: folder)
        #expect(one.status == 0 && one.output.contains("timeline report: \(html)") && !one.output.contains("timeline trace:"), "\(one.output)")
        let missing = try PlaywrightCLI.run(executable: binary, ["/nonexistent/recording"], in: folder)
        #expect(missing.status == 64 && missing.output.contains("no recording at /nonexistent/recording"), "\(missing.output)")
    }

    /// `make demo` (the TwoAgents example) records its run and says where the recording, the report
    /// and the trace are.
    @Test func theDemoPrintsWhereItsTimelineIs() async throws {
        let home = temporaryFolder("demo-home")
        let (status, output) = try runExample("TwoAgents", environment: ["XDG_DATA_HOME": home])
        #expect(status == 0, "\(output.suffix(500))")
        func path(_ prefix: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        }
        let recording = try #require(path("timeline recording: "), "\(output.suffix(500))")
        #expect(recording.hasPrefix(home + "/shared-browser/timelines/two-agents-demo/"))
        let timeline = try Timeline(directory: recording)
        #expect(Set(timeline.participants.map(\.description)).isSuperset(of: ["agent:collector", "agent:creator"]))
        // Each step has its picture after it, of its own page: sign-in, dashboard, new project, the
        // project — at least four different pictures, each after-picture's document at the URL the
        // step ended on.
        let steps = timeline.actions.filter { $0.participant.kind == .agent }
        #expect(steps.count >= 10)
        for step in steps {
            #expect(step.after != nil, "\(step.title) has its picture after it")
            #expect(step.pageAfter.map { $0.url == step.urlAfter } == true, "\(step.title): \(step.pageAfter?.url ?? "no page") \(step.urlAfter ?? "")")
        }
        let pictures = Set(steps.compactMap { $0.after.flatMap { timeline.image($0) } })
        #expect(pictures.count >= 4, "\(pictures.count) different pictures")
        let pages = Set(steps.compactMap { $0.pageAfter.map { URL(string: $0.url)?.path ?? "" } })
        #expect(pages.isSuperset(of: ["/login", "/dashboard", "/projects/new"]) && pages.contains { $0.hasPrefix("/projects/") && $0 != "/projects/new" },
                "\(pages)")
        #expect(path("timeline report: ").map { FileManager.default.fileExists(atPath: $0) } == true)
        #expect(path("timeline trace: ").map { FileManager.default.fileExists(atPath: $0) } == true)
    }

    /// The Playwright trace has the actions (named after who took them), the screen and the console,
    /// as Playwright's own trace reader sees them.
    @Test(.enabled(if: PlaywrightCLI.path != nil, PlaywrightCLI.skipReason))
    func theTraceOpensInPlaywright() async throws {
        let folder = try await recordSampleSession("timeline-trace")
        let timeline = try Timeline(directory: folder)
        let trace = folder + "/../trace.zip"
        try PlaywrightTrace.write(timeline, to: trace)
        let work = folder + "/.."
        let opened = try PlaywrightCLI.run(["trace", "open", trace], in: work)
        #expect(opened.status == 0, "\(opened.output)")
        let actions = try PlaywrightCLI.run(["trace", "actions"], in: work)
        #expect(actions.status == 0, "\(actions.output)")
        #expect(actions.output.contains("agent:painter click #b"), "\(actions.output)")
        #expect(actions.output.contains("human:ann click #b"), "\(actions.output)")
        #expect(!actions.output.contains("hunter2"))
        let console = try PlaywrightCLI.run(["trace", "console"], in: work)
        #expect(console.output.contains("turned red"), "\(console.output)")
        // The page itself before, as and after the paint click (its DOM), in Playwright's own words.
        let number = try #require(actions.output.split(separator: "\n").first { $0.contains("agent:painter click #b") }?
            .split(separator: ".").first?.trimmingCharacters(in: .whitespaces))
        let details = try PlaywrightCLI.run(["trace", "action", number], in: work)
        #expect(details.output.contains("available: before, action, after"), "\(details.output)")
        _ = try PlaywrightCLI.run(["trace", "close"], in: work)

        // And in the viewer itself (`playwright show-trace`, served to our browser): the actions are
        // listed and the screen shows in its film strip.
        // A child of `Process` leads a process group of its own: the group is ended whole, the Python
        // wrapper and its Node server.
        let viewer = Process()
        viewer.executableURL = URL(fileURLWithPath: try #require(PlaywrightCLI.path))
        viewer.arguments = ["show-trace", "--host", "127.0.0.1", "--port", "0", trace]
        let output = Pipe()
        viewer.standardOutput = output
        viewer.standardError = output
        try viewer.run()
        defer {
            #expect(getpgid(viewer.processIdentifier) == viewer.processIdentifier, "its own process group")
            kill(-viewer.processIdentifier, SIGKILL)
            viewer.waitUntilExit()
        }
        // Its line `Listening on http://127.0.0.1:PORT`.
        var line = ""
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += String(decoding: byte, as: UTF8.self)
            if line.hasSuffix("\n") {
                if line.contains("http://") { break }
                line = ""
            }
        }
        let address = try #require(line.split(separator: " ").last { $0.hasPrefix("http://") }).trimmingCharacters(in: .whitespacesAndNewlines)
        let (_, page) = try await TestBrowser.page()
        _ = try await page.send(Page.Navigate(url: address))
        #expect(await pageBecomes(page, "document.body && document.body.innerText.includes('agent:painter click #b') "
                                  + "&& document.body.innerText.includes('human:ann click #b')", within: .seconds(20)), "the viewer lists the actions")
        #expect(await pageBecomes(page, "document.querySelectorAll('.film-strip-frame').length > 0", within: .seconds(10)),
                "the viewer shows the screen")
        // Chosen, the paint click shows the page itself: its button, its text searchable, in the
        // viewer's snapshot frame.
        _ = try await evaluate(page, """
            (() => { const row = [...document.querySelectorAll('.action-title, .list-view-entry')].find(e => e.textContent.includes('agent:painter click #b'));
              if (row) row.click(); return !!row; })()
            """)
        #expect(await pageBecomes(page, """
            [...document.querySelectorAll('iframe')].some(f => { try { return f.contentDocument && f.contentDocument.body
              && f.contentDocument.body.innerText.includes('Paint'); } catch (e) { return false; } })
            """, within: .seconds(15)), "the viewer draws the page's document")
        try await page.send(Page.Navigate(url: "about:blank"))
    }
}
}

/// Playwright's command line from PyPI (`Scripts/playwright-venv.sh` installs it on first use).
enum PlaywrightCLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let setUp: (path: String?, reason: String) = {
        let script = root.appendingPathComponent("Scripts/playwright-venv.sh").path
        guard let result = try? run(executable: "/bin/bash", [script], in: root.path) else { return (nil, "cannot run \(script)") }
        let path = result.output.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            return (nil, "Playwright's command line could not be installed from PyPI (\(result.output.suffix(300)))")
        }
        return (path, "")
    }()
    static var path: String? { setUp.path }
    static var skipReason: Comment { Comment(rawValue: "skipped: " + setUp.reason) }

    static func run(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String) {
        try run(executable: path ?? "playwright", arguments, in: directory)
    }

    static func run(executable: String, _ arguments: [String], in directory: String,
                    environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

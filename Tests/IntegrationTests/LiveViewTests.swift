import CDPTransport
import DemoSite
import EventBuffer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import LiveView
import SharedSession
import TestSupport
import Testing
import WebSockets

/// Collects a live view client's messages.
final class LiveViewClient: WebSocketHandler, @unchecked Sendable {
    let texts: AsyncStream<String>
    let frames: AsyncStream<Data>
    private let textSink: AsyncStream<String>.Continuation
    private let frameSink: AsyncStream<Data>.Continuation
    init() {
        (texts, textSink) = AsyncStream.makeStream()
        (frames, frameSink) = AsyncStream.makeStream()
    }
    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        if message.isBinary {
            frameSink.yield(message.data)
            try? connection.send(text: #"{"type":"ack"}"#)
        } else if let text = message.text {
            textSink.yield(text)
        }
    }
    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) {
        textSink.finish()
        frameSink.finish()
    }

    /// A client connected to `view` with its watch token.
    static func watching(_ view: LiveView) async throws -> (LiveViewClient, WebSocketConnection) {
        try await connected(view, grant: .watch)
    }

    /// A client connected to `view` with the token of `grant`.
    static func connected(_ view: LiveView, grant: LiveViewAccess.Grant) async throws -> (LiveViewClient, WebSocketConnection) {
        let client = LiveViewClient()
        let connection = try await WebSocketConnection.connect(
            to: WebSocketURL(host: "127.0.0.1", port: view.port, path: "/ws?token=\(view.access.token(for: grant)!)"),
            handler: client)
        return (client, connection)
    }

    /// The first message from now on that contains every one of `needles`.
    func first(containing needles: String..., within timeout: Duration = .seconds(10)) async -> String? {
        let texts = self.texts
        return await within(timeout) {
            for await text in texts where needles.allSatisfy({ text.contains($0) }) { return text }
            return nil
        }
    }
}

func httpStatus(_ url: String, headers: [String: String] = [:]) async throws -> (Int, [AnyHashable: Any]) {
    var request = URLRequest(url: URL(string: url)!)
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (_, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    return (http.statusCode, http.allHeaderFields)
}


extension Chromium {
@Suite(.serialized) struct LiveViewTests {
    /// Links with tokens, and everything else refused: no token, a wrong or revoked one, a foreign
    /// `Host` (DNS rebinding) or `Origin`; the page comes with a strict Content-Security-Policy.
    @Test func onlyTheLinksOpenTheLiveView() async throws {
        try await withOwnSession("live-view-access") { session in
            let view = try await session.liveView()
            #expect(try await session.liveView() === view, "started once")
            let watch = try #require(view.watchURL)
            #expect(watch.hasPrefix("http://127.0.0.1:\(view.port)/?token="))
            let (ok, headers) = try await httpStatus(watch)
            #expect(ok == 200)
            #expect((headers["Content-Security-Policy"] as? String)?.contains("default-src 'none'") == true)
            #expect(try await httpStatus(view.baseURL + "/").0 == 403)
            #expect(try await httpStatus(view.baseURL + "/?token=nope").0 == 403)
            #expect(try await httpStatus(watch, headers: ["Host": "evil.example:\(view.port)"]).0 == 421)
            #expect(try await httpStatus(watch, headers: ["Origin": "https://evil.example"]).0 == 403)

            let ws = { (token: String, origin: String?) async throws -> WebSocketConnection in
                var options = WebSocketConnection.Options()
                options.origin = origin
                return try await WebSocketConnection.connect(
                    to: WebSocketURL(host: "127.0.0.1", port: view.port, path: "/ws?token=\(token)"), options: options,
                    handler: LiveViewClient())
            }
            await #expect(throws: WebSocketError.self) { _ = try await ws("wrong", nil) }
            await #expect(throws: WebSocketError.self) { _ = try await ws(view.access.token(for: .watch)!, "https://evil.example") }
            let control = try #require(view.access.token(for: .control))
            view.revoke(.control)
            await #expect(throws: WebSocketError.self) { _ = try await ws(control, nil) }
            #expect(view.controlURL == nil)
        }
    }

    /// An agent asks for help; the host is told; a person takes over, acts and hands back; the agent
    /// gets what changed — from `requestHumanHelp`, once in its next result and once in its next
    /// context — and what the person typed into a secret field is not in it.
    @Test func anAgentAsksForHelpAndGetsABriefWhenThePersonHandsBack() async throws {
        let (_, site) = try await TestSession.shared.get()
        let (asked, hook) = AsyncStream<Void>.makeStream()
        try await withOwnSession("help", configure: { $0.onHelpRequested = { _ in hook.yield() } }) { session in
            let agent = Participant.agent("signer")
            #expect(await session.coordinator.tryRequestControl(for: agent))
            try await session.navigate(to: dataURL("<title>Check</title><input id=code autocomplete=one-time-code><input id=note>"),
                                       as: agent).get()
            let alice = HumanObserver(session: session, person: .human("alice"))
            let requests = alice.events(kinds: [.helpRequested])
            let help = Task { try await session.requestHumanHelp(reason: "a one-time code", by: agent, timeout: .seconds(30)) }
            let request = try #require(await firstEvent(requests, .helpRequested))
            #expect(request.cause == .agent("signer"))
            #expect(await within(.seconds(5)) { for await _ in asked { return true }; return false } == true, "the host's hook was called")
            try await alice.takeManualControl()
            let refused = await session.fill("#note", "agent", as: agent)
            #expect(refused.error?.code == .notInControl && refused.error?.message.contains("alice") == true)
            try await session.fill("#code", "424242", as: alice.person).get()
            try await session.fill("#note", "done by hand", as: alice.person).get()
            try await session.navigate(to: site.url("/widgets"), as: alice.person).get()
            try await alice.handBack()
            let brief = try await help.value
            #expect(brief.person == "human:alice")
            #expect(brief.urlBefore.hasPrefix("data:") && brief.urlAfter.hasSuffix("/widgets"))
            #expect(brief.actions.map(\.type) == [.fill, .fill, .navigate])
            #expect(!brief.description.contains("424242"), "a one-time code stays secret")
            #expect(brief.description.contains("done by hand"))
            #expect(await session.coordinator.holder == agent)
            let next = try await session.evaluate("1", as: agent).get()
            #expect(next.notices.contains { $0.contains("alice drove the browser") })
            #expect(try await session.evaluate("1", as: agent).get().notices.isEmpty, "told once")
            let context = await session.agentContext(budget: 3000, for: agent)
            #expect(context.text.contains("alice drove the browser"))
            #expect(!(await session.agentContext(budget: 3000, for: agent)).text.contains("alice drove the browser"))
        }
    }

    @Test func nobodyHelpingInTimeIsATimeout() async throws {
        let clock = ManualClock()
        try await withOwnSession("no-help", configure: { $0.clock = clock }) { session in
            let help = Task { try await session.requestHumanHelp(reason: "a captcha", by: .agent("a"), timeout: .seconds(60)) }
            #expect(await clock.sleepers(atLeast: 2))
            clock.advance(by: .seconds(61))
            await #expect(throws: SessionError.self) { _ = try await help.value }
        }
    }

    /// The HumanObserver example, run as a person would meet it: its control link opened in another
    /// browser, Take over, a click at the centre of the screen, Hand back, a message, Approve; the
    /// example prints each step and exits 0.
    @Test func theHumanObserverExampleIsHelpedThroughTheLiveView() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("HumanObserver")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build with `swift build --build-tests`")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--wait", "60"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.interrupt() } }
        let lines = LockedLines.reading(output)
        #expect(await eventually(within: .seconds(30)) { lines.all.contains { $0.hasPrefix("waiting for help: ") } }, "\(lines.all)")
        let control = try #require(lines.all.first { $0.hasPrefix("live view (control): ") }?.dropFirst("live view (control): ".count))
        let (_, page) = try await TestBrowser.page()
        _ = try await page.send(Page.Navigate(url: String(control)))
        #expect(await pageBecomes(page, "Number(document.body.dataset.frames || 0) > 0", within: .seconds(15)))
        _ = try await evaluate(page, "document.getElementById('take').click(); 1")
        #expect(await pageBecomes(page, "document.getElementById('driver').textContent === 'human:person is driving'"))
        let rect = try #require(try await evaluate(page, "JSON.stringify(document.getElementById('screen').getBoundingClientRect())")?.stringValue)
        let box = try JSONDecoder().decode([String: Double].self, from: Data(rect.utf8))
        let (x, y) = (box["left"]! + box["width"]! / 2, box["top"]! + box["height"]! / 2)
        try await page.send(inOrder: [
            Input.DispatchMouseEvent(type: .mousePressed, x: x, y: y, button: .left, clickCount: 1),
            Input.DispatchMouseEvent(type: .mouseReleased, x: x, y: y, button: .left, clickCount: 1),
        ])
        // The person sees the box ticked in a later frame; hand back once the click has run.
        #expect(await pageBecomes(page, "[...document.querySelectorAll('#events li')].some(li => li.textContent.includes('human:person click '))"))
        _ = try await evaluate(page, "document.getElementById('handback').click(); 1")
        // A word from the person, then the approval of the agent's "Create project".
        #expect(await eventually(within: .seconds(30)) { lines.all.contains { $0.hasPrefix("waiting for a message: ") } }, "\(lines.all)")
        _ = try await evaluate(page, "document.getElementById('message').value = 'Observed project'; document.getElementById('send').click(); 1")
        #expect(await eventually(within: .seconds(30)) { lines.all.contains { $0.hasPrefix("waiting for approval: ") } }, "\(lines.all)")
        #expect(await pageBecomes(page, "document.querySelectorAll('.approval .approve').length === 1"))
        if let out = ProcessInfo.processInfo.environment["SHARED_BROWSER_DOC_SCREENSHOTS"] {
            // A picture of the live view for the documentation: an approval waiting, its target
            // outlined, the person's message, the log in words.
            _ = try await page.send(Emulation.SetDeviceMetricsOverride(width: 1400, height: 860, deviceScaleFactor: 1, mobile: false))
            #expect(await pageBecomes(page, "document.querySelectorAll('#events li').length > 5 && shown.length > 0"))
            let shot = try await page.send(Page.CaptureScreenshot(format: .png))
            try Data(base64Encoded: shot.data)?.write(to: URL(fileURLWithPath: out + "/live-view.png"))
        }
        _ = try await evaluate(page, "document.querySelector('.approval .approve').click(); 1")
        #expect(await eventually(within: .seconds(30)) { !process.isRunning })
        #expect(process.terminationStatus == 0, "\(lines.all)")
        #expect(lines.all.contains("handed back by human:person"), "\(lines.all)")
        #expect(lines.all.contains("message from human:person: Observed project"), "\(lines.all)")
        #expect(lines.all.contains { $0.hasPrefix("waiting for approval: click button \"Create project\"") }, "\(lines.all)")
        #expect(lines.all.contains("approved by human:person"), "\(lines.all)")
        #expect(lines.all.contains("done: Observed project"), "\(lines.all)")
        #expect(lines.all.contains { $0.hasPrefix("- click checkbox \"I am a human\"") }, "the brief tells the click in words: \(lines.all)")
        #expect(lines.all.contains { $0.hasPrefix("done: ") }, "\(lines.all)")
        // It recorded what the agent and the person did.
        let report = try #require(lines.all.first { $0.hasPrefix("timeline report: ") }?.dropFirst("timeline report: ".count))
        let html = try String(contentsOfFile: String(report), encoding: .utf8)
        #expect(html.contains("agent:signer") && html.contains("human:person"))
        // The person's click in words, the message and the approval are in the timeline too.
        // (The report's data is JSON: a quote inside a string stands as \".)
        #expect(html.contains(#"click checkbox \"I am a human\""#), "the click in words")
        #expect(html.contains(#"said \"Observed project\""#), "the message")
        #expect(html.contains("approved agent:signer"), "the approval")
        #expect(lines.all.contains { $0.hasPrefix("timeline trace: ") && $0.hasSuffix("trace.zip") })
        try await page.send(Page.Navigate(url: "about:blank"))
    }

    /// The screencast stops when the last viewer leaves and starts again for the next one, who gets
    /// frames as the page changes (a stop that was never sent left Chromium "already active", and the
    /// next viewer got only the cached frame).
    @Test func theScreencastStartsAgainForTheNextViewer() async throws {
        try await withOwnSession("live-view-again") { session in
            try await session.navigate(to: "data:text/html,<style>div{width:200px;height:200px;background:%2336c;"
                + "animation:m 1s linear infinite alternate}@keyframes m{to{transform:translateX(800px)}}</style><div></div>",
                as: system).get()
            let view = try await session.liveView()
            for round in 0..<2 {
                let (client, connection) = try await LiveViewClient.watching(view)
                let frames = client.frames
                let counted = await within(.seconds(10)) { () -> Int? in
                    var count = 0
                    for await _ in frames {
                        count += 1
                        if count == 10 { return count }
                    }
                    return nil
                }
                #expect(counted == 10, "viewer \(round + 1) got frames")
                connection.close(code: 1000, reason: "done")
                #expect(await eventually(within: .seconds(5)) { view.viewerCount == 0 })
            }
        }
    }

    /// The screen follows the active tab and a relaunched browser.
    @Test func theScreenFollowsTabSwitchesAndARelaunch() async throws {
        let animated = "data:text/html,<title>moving</title><style>div{width:200px;height:200px;background:%2336c;"
            + "animation:m 1s linear infinite alternate}@keyframes m{to{transform:translateX(800px)}}</style><div></div>"
        try await withOwnSession("live-view-follow") { session in
            try await session.navigate(to: dataURL("<p>still</p>"), as: system).get()
            let view = try await session.liveView()
            let (client, connection) = try await LiveViewClient.watching(view)
            defer { connection.close(code: 1000, reason: "done") }
            let frames = client.frames
            let counter = WaitableCounter()
            let counting = Task { for await _ in frames { counter.add() } }
            defer { counting.cancel() }
            // A still page sends a frame or two; the new active tab's animation keeps them coming.
            try await session.openTab(url: animated, as: system).get()
            let producedBefore = view.hub.frameCount
            let switched = await counter.waitFor(20, within: .seconds(10))
            #expect(switched, "frames of the new tab: produced \(view.hub.frameCount - producedBefore)")
            let pid = try #require(session.browserProcessID)
            let restarted = session.events.subscribe(kinds: [.browserRestarted])
            kill(pid, SIGKILL)
            #expect(await firstEvent(restarted, .browserRestarted, within: .seconds(15)) != nil)
            #expect(await counter.waitFor(20, within: .seconds(10)), "frames after the relaunch")
        }
    }

    /// A flood of idle connections to the live view of a process that runs out of file descriptors:
    /// its listener waits until some are freed and goes on (it used to stop for good on the first
    /// EMFILE), so a request after the flood is answered.
    @Test func aLiveViewOutOfDescriptorsServesAgainOnceSomeAreFreed() async throws {
        // A connection cap above the file limit, so that the descriptors run out first.
        let host = try SessionHost(profile: nil, environment: ["SESSION_HOST_LIVE_VIEW": "1", "SESSION_HOST_FILE_LIMIT": "128",
                                                                "SESSION_HOST_LIVE_VIEW_CONNECTIONS": "1000"])
        defer { host.process.terminate() }
        let watch = try #require(host.liveViewURL)
        let port = try #require(URL(string: watch)?.port)
        var flood: [Int32] = []
        defer { flood.forEach { close($0) } }
        for _ in 0..<200 {
            // Not blocking: a full backlog must not hold up the test.
            guard let fd = loopbackSocket(port: port, blocking: false) else { break }
            flood.append(fd)
        }
        // The host holds as many as its limit lets it (state of another process: nothing to wait on).
        let pid = host.process.processIdentifier
        func openFiles() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0 }
        #expect(await eventually(within: .seconds(10)) { openFiles() >= 120 }, "the host ran out of descriptors: \(openFiles())")
        flood.forEach { close($0) }
        flood = []
        var request = URLRequest(url: URL(string: watch)!)
        request.timeoutInterval = 20
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "the live view answers again")
    }

    /// The live view's listener is bounded: one connection over its cap takes the place of the one
    /// that has waited longest without a request; connections that send nothing, send their request a byte at a time (slowloris) or
    /// sit idle after a response are closed at the request deadline; a page load is served after.
    @Test func theLiveViewCapsConnectionsAndClosesSlowOnes() async throws {
        try await withOwnSession("live-view-bounded") { session in
            var options = LiveView.Options()
            options.maxConnections = 8
            options.requestTimeout = .seconds(2)
            let view = try await session.liveView(options)
            let flood = (0..<9).compactMap { _ in loopbackSocket(port: view.port) }
            defer { flood.forEach { close($0) } }
            #expect(flood.count == 9)
            #expect(await eventually(within: .seconds(5)) { view.refusedConnections == 1 }, "one over the cap: \(view.refusedConnections)")
            // Within a second: sooner than the 2 s deadline could close it.
            #expect(peerCloses(flood[0], within: 1), "the first made room for the ninth")
            // A client with a request gets in while eight idle connections hold every place.
            var ask = URLRequest(url: try #require(view.watchURL.flatMap(URL.init(string:))))
            ask.timeoutInterval = 5
            #expect((try await URLSession.shared.data(for: ask).1 as? HTTPURLResponse)?.statusCode == 200)
            for fd in flood.dropFirst() { #expect(peerCloses(fd, within: 5), "a connection that sends nothing is closed") }

            // Slowloris: a request line and then a header byte every 100 ms, never finished.
            let slow = try #require(loopbackSocket(port: view.port))
            defer { close(slow) }
            _ = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".withCString { send(slow, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            let trickle = Task.detached {
                var sent = 0
                while !Task.isCancelled, send(slow, "X", 1, Int32(MSG_NOSIGNAL)) == 1 {
                    sent += 1
                    try? await Task.sleep(for: .milliseconds(100))
                }
                return sent
            }
            #expect(peerCloses(slow, within: 5), "a request sent too slowly is closed")
            trickle.cancel()
            #expect(await trickle.value >= 5, "it went on sending while it was open")

            // Kept alive after a response, then idle: closed too.
            let idle = try #require(loopbackSocket(port: view.port))
            defer { close(idle) }
            _ = "GET /app.css HTTP/1.1\r\nHost: 127.0.0.1:\(view.port)\r\n\r\n".withCString { send(idle, $0, strlen($0), 0) }
            var head = [UInt8](repeating: 0, count: 64)
            #expect(recv(idle, &head, head.count, 0) > 0 && String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(peerCloses(idle, within: 5), "an idle kept-alive connection is closed")

            let watch = try #require(view.watchURL.flatMap(URL.init(string:)))
            let (_, response) = try await URLSession.shared.data(from: watch)
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "the live view serves after all that")
        }
    }

    /// A viewer (watch token) that never reads while the page logs without end: the events for it are
    /// dropped once 1 MiB waits for it (counted, to be said when it catches up), so what the server
    /// holds for it stays bounded and it stays connected; frames wait for its acknowledgement anyway.
    @Test func aViewerThatNeverReadsCostsBoundedMemory() async throws {
        try await withOwnSession("live-view-slow-reader") { session in
            try await session.navigate(to: dataURL("<p>logging</p>"), as: system).get()
            let view = try await session.liveView()
            // A small window: the server's queue fills, not the kernel's buffers.
            let fd = try #require(loopbackSocket(port: view.port, receiveBuffer: 4096))
            defer { close(fd) }
            let token = try #require(view.access.token(for: .watch))
            _ = webSocketHandshake(path: "/ws?token=\(token)", port: view.port).withCString { send(fd, $0, strlen($0), 0) }
            // Read up to the `hello` message (the hub counts the viewer before it says hello), then
            // never again.
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var seen: [UInt8] = []
            var byte: UInt8 = 0
            while !String(decoding: seen, as: UTF8.self).contains(#""type":"hello""#), read(fd, &byte, 1) == 1 { seen.append(byte) }
            #expect(view.viewerCount == 1, "the viewer is connected")
            // A viewer that reads, to know when the hub has handed out every event up to a marker.
            let (reader, readerConnection) = try await LiveViewClient.watching(view)
            defer { readerConnection.close(code: 1000, reason: "done") }
            // About 6 MB of events for a viewer that reads nothing.
            let logged = await session.evaluate("for (let i = 0; i < 12000; i++) console.log('x'.repeat(400) + i); 1", as: system)
            #expect(logged.error == nil)
            _ = await session.evaluate("console.log('flood-over'); 1", as: system)
            #expect(await reader.first(containing: "flood-over", within: .seconds(30)) != nil)
            let held = view.hub.queuedBytes.max() ?? 0
            #expect(held > 0 && held <= (1 << 20) + (64 << 10), "the server holds \(held) bytes for the viewer")
            #expect(view.viewerCount == 2, "dropping its events, not it")
        }
    }

    /// Closing the session stops its live view: nothing listens on the port any more.
    @Test func closingTheSessionStopsTheLiveView() async throws {
        let watch = try await withOwnSession("live-view-close") { session in
            try #require(try await session.liveView().watchURL)
        }
        #expect(await eventuallyAsync(within: .seconds(5)) { (try? await httpStatus(watch)) == nil })
    }

    /// A program with the watch token gets frames, the context and the events, and cannot act.
    @Test func aWatcherSeesFramesContextAndEventsButCannotAct() async throws {
        let (_, site) = try await TestSession.shared.get()
        try await withOwnSession("live-view-watch") { session in
            try await session.navigate(to: site.url("/widgets"), as: system).get()
            let view = try await session.liveView()
            let (client, connection) = try await LiveViewClient.watching(view)
            defer { connection.close(code: 1000, reason: "done") }
            let hello = await client.first(containing: #""type":"hello""#)
            #expect(hello?.contains(#""role":"watch""#) == true)
            let frames = client.frames
            let frame = await within(.seconds(10)) { () -> Data? in
                for await frame in frames { return frame }
                return nil
            }
            #expect(frame?.starts(with: [0xFF, 0xD8]) == true, "a JPEG")
            try await session.navigate(to: site.url("/console"), as: system).get()
            #expect(await client.first(containing: #""type":"browser_context""#, "/console") != nil)
            #expect(await client.first(containing: #""type":"browser_event""#) != nil)
            try connection.send(text: #"{"type":"takeOver"}"#)
            #expect(await client.first(containing: "may only watch") != nil)
            #expect(await session.coordinator.holder == nil)
            // Nor may it drive, write to the agents or answer an approval.
            let messages = session.events.subscribe(kinds: [.message, .actionStarted], bufferSize: 16)
            for text in [#"{"type":"navigate","url":"https://example.com/"}"#, #"{"type":"message","text":"hi"}"#,
                         #"{"type":"approve","id":"approval-1"}"#] {
                try connection.send(text: text)
                #expect(await client.first(containing: "may only watch") != nil, "\(text)")
            }
            messages.cancel()
            var sent: [BrowserEvent] = []
            for await element in messages { if let event = element.event { sent.append(event) } }
            #expect(sent.isEmpty, "nothing ran: \(sent.map(\.summary))")
        }
    }

    /// The control link takes a person's input and nothing else: a script, a navigation, a viewport
    /// or a storage state sent as `input` is refused by the same declaration check as every door, and
    /// never runs; a mouse move goes through.
    @Test func theControlLinkTakesOnlyAPersonsInput() async throws {
        try await withOwnSession("live-view-input-only") { session in
            try await session.navigate(to: dataURL("<title>before</title><p>page</p>"), as: system).get()
            let view = try await session.liveView()
            let (client, connection) = try await LiveViewClient.connected(view, grant: .control)
            defer { connection.close(code: 1000, reason: "done") }
            #expect(await client.first(containing: #""type":"hello""#) != nil)
            try connection.send(text: #"{"type":"takeOver"}"#)
            #expect(await holder(of: session) { $0?.kind == .human })
            let actions = session.events.subscribe(kinds: [.actionStarted, .actionFinished, .actionFailed], bufferSize: 100)
            let refused = [
                #"{"type":"evaluate","params":{"script":"document.title='hacked'"}}"#,
                #"{"type":"navigate","params":{"url":"file:///etc/passwd"}}"#,
                #"{"type":"setViewport","params":{"width":20000,"height":20000}}"#,
                #"{"type":"setStorageState","params":{"storageState":{"cookies":[],"origins":[]}}}"#,
            ]
            for action in refused {
                try connection.send(text: #"{"type":"input","action":"# + action + "}")
                #expect(await client.first(containing: #""type":"error""#, "cannot be sent through a person's input") != nil, "\(action)")
            }
            // A person's input after them runs, in order: the first action event of the person is its.
            try connection.send(text: #"{"type":"input","action":{"type":"mouse","params":{"event":"move","x":5,"y":5}}}"#)
            let seen = await within(.seconds(10)) { () -> [String]? in
                var names: [String] = []
                for await element in actions {
                    guard let event = element.event, event.cause.kind == .human, case .action(let info) = event.payload else { continue }
                    names.append(info.name)
                    if info.name == "mouse", event.kind == .actionFinished { return names }
                }
                return names
            }
            actions.cancel()
            #expect(seen == ["mouse", "mouse"], "the person's mouse move started and finished, and a refused input never started")
            #expect(try await session.evaluate("document.title", as: system).get().value == "before")
        }
    }

    /// A person opens the control link in their own browser (a second Chromium), takes over, clicks a
    /// button of the shared page where they see it and types into a field; the page changes, the
    /// events name the person, an agent is refused meanwhile; then the person hands back.
    @Test func aPersonTakesOverClicksTypesAndHandsBack() async throws {
        try await withOwnSession("live-view-person") { session in
            let agent = Participant.agent("worker")
            try await session.navigate(to: dataURL("""
                <style>body{margin:0} button{position:absolute;left:600px;top:300px;width:200px;height:80px}
                input{position:absolute;left:100px;top:100px}</style>
                <input id=field><button id=b onclick="this.textContent='pressed'">press</button>
                """), as: system).get()
            _ = await session.coordinator.tryRequestControl(for: agent)
            let view = try await session.liveView()
            let (_, page) = try await TestBrowser.page()
            try await load(page, "<p>person</p>")
            _ = try await page.send(Page.Navigate(url: try #require(view.controlURL)))
            // The person's page draws frames.
            #expect(await pageBecomes(page, "Number(document.body.dataset.frames || 0) > 0", within: .seconds(15)))
            #expect(try await evaluate(page, "document.getElementById('driver').textContent")?.stringValue?.contains("agent:worker") == true)
            _ = try await evaluate(page, "document.getElementById('take').click(); 1")
            #expect(await holder(of: session) { $0 == .human("person") })
            // The person's page shows it (and sends input only from then on).
            #expect(await pageBecomes(page, "document.getElementById('driver').textContent === 'human:person is driving'"))
            let refused = await session.click("#b", as: agent)
            #expect(refused.error?.code == .notInControl)
            #expect(refused.error?.message.contains("person") == true)
            // An agent that waits for its turn shows as waiting in the person's page.
            let waiting = Task { await session.click("#b", as: agent, options: .init(waitForControl: .seconds(30))) }
            #expect(await pageBecomes(page, "document.getElementById('waiting').textContent === 'waiting: agent:worker'"))
            // Click where the person sees the button.
            let screen = try await ScreenGeometry.read(page, viewport: (1280, 720))
            let (bx, by) = screen.client(700, 340)!
            try await page.send(inOrder: [
                Input.DispatchMouseEvent(type: .mousePressed, x: bx, y: by, button: .left, clickCount: 1),
                Input.DispatchMouseEvent(type: .mouseReleased, x: bx, y: by, button: .left, clickCount: 1),
            ])
            #expect(await sharedPageBecomes(session, "document.querySelector('#b').textContent === 'pressed'"))
            let (fx, fy) = screen.client(150, 110)!
            try await page.send(inOrder: [
                Input.DispatchMouseEvent(type: .mousePressed, x: fx, y: fy, button: .left, clickCount: 1),
                Input.DispatchMouseEvent(type: .mouseReleased, x: fx, y: fy, button: .left, clickCount: 1),
            ])
            for key in ["h", "i"] {
                try await page.send(Input.DispatchKeyEvent(type: .keyDown, text: key, key: key))
                try await page.send(Input.DispatchKeyEvent(type: .keyUp, key: key))
            }
            // Typing changes the field's value, not the document: checked at each input event.
            #expect(await sharedPageResolves(session, """
                new Promise(r => { const f = document.querySelector('#field'); if (f.value === 'hi') return r(true);
                  f.addEventListener('input', () => f.value === 'hi' && r(true)) })
                """))
            let lastError = try await evaluate(page, "document.body.dataset.lastError || ''")?.stringValue ?? ""
            #expect(lastError.isEmpty, "\(lastError)")
            let byPerson = session.events.recent(50).filter { $0.kind == .actionFinished && $0.cause == .human("person") }
            #expect(byPerson.count >= 4, "the person's input is recorded as theirs")
            _ = try await evaluate(page, "document.getElementById('handback').click(); 1")
            #expect(await holder(of: session) { $0 == agent })
            #expect(await waiting.value.error == nil, "the waiting agent acts once the person hands back")
            try await session.click("#b", as: agent).get()
            try await page.send(Page.Navigate(url: "about:blank"))
        }
    }

    /// What the agent does shows on the person's screen: the canvas in the person's browser turns from
    /// one colour to the next as the agent navigates.
    @Test func thePersonSeesTheAgentNavigate() async throws {
        try await withOwnSession("live-view-follow") { session in
            let agent = Participant.agent("navigator")
            _ = await session.coordinator.tryRequestControl(for: agent)
            func page(_ color: String) -> String { dataURL("<style>html,body{margin:0;height:100%;background:\(color)}</style>") }
            try await session.navigate(to: page("rgb(255,0,0)"), as: agent).get()
            let view = try await session.liveView()
            let (_, person) = try await TestBrowser.page()
            _ = try await person.send(Page.Navigate(url: try #require(view.watchURL)))
            // The centre pixel of the person's canvas, checked at each frame drawn (each sets the body's
            // `data-frames`).
            func shows(_ r: Int, _ g: Int, _ b: Int) -> String {
                "(() => { const s = document.getElementById('screen'); if (!document.body.dataset.frames) return false;"
                    + " const p = s.getContext('2d').getImageData(s.width / 2, s.height / 2, 1, 1).data;"
                    + " return Math.abs(p[0] - \(r)) < 40 && Math.abs(p[1] - \(g)) < 40 && Math.abs(p[2] - \(b)) < 40; })()"
            }
            #expect(await pageBecomes(person, shows(255, 0, 0), within: .seconds(15)), "red first")
            for (name, rgb) in [("rgb(0,0,255)", (0, 0, 255)), ("rgb(0,160,0)", (0, 160, 0))] {
                try await session.navigate(to: page(name), as: agent).get()
                #expect(await pageBecomes(person, shows(rgb.0, rgb.1, rgb.2), within: .seconds(10)), "then \(name)")
            }
            try await person.send(Page.Navigate(url: "about:blank"))
        }
    }

    /// A click lands where the person clicked, whatever the shape of their window (bars left and right,
    /// or above and below) and however the frames are scaled (a viewport beyond the screencast's size
    /// limit); a click on a bar sends nothing.
    @Test(arguments: [(1600, 520), (720, 1000)])
    func clicksLandWhereThePersonClicked(window: (Int, Int)) async throws {
        try await withOwnSession("live-view-geometry") { session in
            // A small animation keeps screencast frames coming (scaled to the screencast's limit).
            try await session.navigate(to: dataURL("""
                <style>html,body{margin:0;height:100%;background:#eee} i{position:fixed;left:0;top:0;width:8px;height:8px;
                background:#36c;animation:m 1s linear infinite alternate}@keyframes m{to{transform:translateX(200px)}}</style><i></i>
                <script>window.clicks = []; addEventListener('mousedown', e => clicks.push([e.clientX, e.clientY]))</script>
                """), as: system).get()
            // A viewport wider than the screencast's 1920-pixel limit: frames come scaled down.
            try await session.setViewport(width: 2400, height: 1350, as: system).get()
            _ = try await session.coordinator.takeOver(by: .human("person"))
            let view = try await session.liveView()
            let (_, person) = try await TestBrowser.page()
            _ = try await person.send(Emulation.SetDeviceMetricsOverride(width: window.0, height: window.1, deviceScaleFactor: 1, mobile: false))
            _ = try await person.send(Page.Navigate(url: try #require(view.controlURL)))
            #expect(await pageBecomes(person, "document.getElementById('handback').disabled === false && !!document.body.dataset.frames",
                                      within: .seconds(15)))
            #expect(await eventuallyAsync(within: .seconds(5)) {
                ((try? await ScreenGeometry.read(person, viewport: (2400, 1350)))?.frameWidth ?? 2400) < 2400
            }, "frames smaller than the viewport")
            let screen = try await ScreenGeometry.read(person, viewport: (2400, 1350))
            #expect(screen.hasBars, "the window's shape leaves bars")
            // A click on a bar: nothing is sent.
            let (barX, barY) = screen.onBar
            try await person.send(inOrder: [
                Input.DispatchMouseEvent(type: .mousePressed, x: barX, y: barY, button: .left, clickCount: 1),
                Input.DispatchMouseEvent(type: .mouseReleased, x: barX, y: barY, button: .left, clickCount: 1),
            ])
            func clicks() async -> [[Double]] {
                let text = (try? await session.evaluate("JSON.stringify(clicks)", as: .system).get().value?.stringValue) ?? "[]"
                return (try? JSONDecoder().decode([[Double]].self, from: Data(text.utf8))) ?? []
            }
            for (index, (x, y)) in [(200.0, 150.0), (2200.0, 1250.0), (1200.0, 675.0)].enumerated() {
                let (cx, cy) = try #require(screen.client(x, y))
                try await person.send(inOrder: [
                    Input.DispatchMouseEvent(type: .mousePressed, x: cx, y: cy, button: .left, clickCount: 1),
                    Input.DispatchMouseEvent(type: .mouseReleased, x: cx, y: cy, button: .left, clickCount: 1),
                ])
                // Waits in the page for the click's mousedown (or finds it there already).
                let arrived = await sharedPageResolves(session, """
                    new Promise(r => { if (clicks.length > \(index)) return r(true);
                      addEventListener('mousedown', () => r(clicks.length > \(index)), { once: true }) })
                    """)
                #expect(arrived, "a click at \(x),\(y) arrived")
                let landed = await clicks()
                // Only the clicks on the screen arrive (not the one on the bar), each where it was aimed:
                // one pixel of the person's screen is two to four of the page here.
                #expect(landed.count == index + 1, "\(landed)")
                if let point = landed.last {
                    #expect(abs(point[0] - x) <= 6 && abs(point[1] - y) <= 6, "clicked at \(x),\(y), landed at \(point)")
                }
            }
            try await person.send(Page.Navigate(url: "about:blank"))
        }
    }
}
}

/// Where a page point shows on the live view's screen in the person's browser: the canvas scales the
/// frame to fit its box, centred, with bars where the shapes differ (CSS `object-fit: contain`).
struct ScreenGeometry {
    var left, top, width, height: Double
    var frameWidth, frameHeight: Double
    var viewport: (width: Double, height: Double)

    static func read(_ page: CDPSession, viewport: (Double, Double)) async throws -> ScreenGeometry {
        let js = "(() => { const s = document.getElementById('screen'), r = s.getBoundingClientRect();"
            + " return JSON.stringify([r.left, r.top, r.width, r.height, s.width, s.height]); })()"
        let text = try #require(try await evaluate(page, js)?.stringValue)
        let v = try JSONDecoder().decode([Double].self, from: Data(text.utf8))
        return ScreenGeometry(left: v[0], top: v[1], width: v[2], height: v[3], frameWidth: v[4], frameHeight: v[5], viewport: viewport)
    }

    private var scale: Double { min(width / frameWidth, height / frameHeight) }
    private var shown: (x: Double, y: Double, width: Double, height: Double) {
        let w = frameWidth * scale, h = frameHeight * scale
        return (left + (width - w) / 2, top + (height - h) / 2, w, h)
    }
    var hasBars: Bool { shown.width < width - 20 || shown.height < height - 20 }
    /// A point on a bar (left of the frame, or above it).
    var onBar: (Double, Double) {
        shown.width < width - 20 ? ((left + shown.x) / 2, top + height / 2) : (left + width / 2, (top + shown.y) / 2)
    }
    /// The client position in the person's page of page point (`x`, `y`).
    func client(_ x: Double, _ y: Double) -> (Double, Double)? {
        guard x >= 0, y >= 0, x <= viewport.width, y <= viewport.height else { return nil }
        return (shown.x + x / viewport.width * shown.width, shown.y + y / viewport.height * shown.height)
    }
}

/// Lines read on another thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }

    /// The lines of a child's output as they come, read on a thread of their own (a blocking read
    /// must not hold a task's thread).
    static func reading(_ output: Pipe) -> LockedLines {
        let lines = LockedLines()
        Thread {
            var line = Data()
            while true {
                let byte = output.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty { break }
                if byte == Data("\n".utf8) { lines.append(String(decoding: line, as: UTF8.self)); line = Data() } else { line += byte }
            }
        }.start()
        return lines
    }
}

/// A count that tasks can wait on: each ``add()`` wakes the waiters whose number it reached.
final class WaitableCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    private var waiters: [(target: Int, continuation: AsyncStream<Void>.Continuation)] = []

    func add() {
        let reached = lock.withLock { () -> [AsyncStream<Void>.Continuation] in
            n += 1
            let due = waiters.filter { $0.target <= n }.map(\.continuation)
            waiters.removeAll { $0.target <= n }
            return due
        }
        for continuation in reached { continuation.finish() }
    }

    var value: Int { lock.withLock { n } }

    /// Whether `more` are added (from now) within `timeout`.
    func waitFor(_ more: Int, within timeout: Duration) async -> Bool {
        let (reached, continuation) = AsyncStream<Void>.makeStream()
        lock.withLock { waiters.append((n + more, continuation)) }
        return await within(timeout) {
            for await _ in reached {}
            return true
        } ?? false
    }
}

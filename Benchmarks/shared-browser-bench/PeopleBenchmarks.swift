import CDPTransport
import EventBuffer
import Foundation
import LiveView
import SharedBrowserSupport
import SharedSession
import WebSockets

/// A control viewer that sends what a person's page would and keeps every text it gets.
private final class PersonSocket: WebSocketHandler, @unchecked Sendable {
    let texts: AsyncStream<String>
    private let sink: AsyncStream<String>.Continuation
    let connection = LockedValue<WebSocketConnection?>(nil)
    init() { (texts, sink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096)) }
    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        if message.isBinary { try? connection.send(text: #"{"type":"ack"}"#) } else if let text = message.text { sink.yield(text) }
    }
    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) { sink.finish() }
    func send(_ text: String) throws { try connection.withLock { $0 }?.send(text: text) }
}

/// What a person does reaches the agents in words, and a person's Approve lets an agent act: the time
/// from a person's click (mouse up sent by the live view's control link) to its `personAction` in the
/// event stream, and from Approve sent to the approved click reaching the page (its `console` event).
func benchPeople(n: Int?) async throws {
    let session = try await temporarySession(id: "bench-people", launch: CDPBrowser.LaunchOptions()) { options in
        options.approvals = [try! ApprovalRule(parsing: "click:Run*")]
    }
    let page = "data:text/html,<style>body{margin:0}button{position:absolute;left:100px;width:300px;height:200px}</style>"
        + "<button id=p style=top:100px>Look</button><button id=b style=top:400px onclick=\"console.log('ran')\">Run now</button>"
    try await session.navigate(to: page, as: .system).get()
    let view = try await session.liveView()
    let person = PersonSocket()
    let connection = try await WebSocketConnection.connect(
        to: WebSocketURL(host: "127.0.0.1", port: view.port, path: "/ws?token=\(view.access.token(for: .control)!)"), handler: person)
    person.connection.withLock { $0 = connection }
    try person.send(#"{"type":"takeOver"}"#)
    while await session.coordinator.holder?.kind != .human { try await Task.sleep(for: .milliseconds(5)) }

    var words: [Duration] = []
    let said = session.events.subscribe(kinds: [.personAction], bufferSize: 1024)
    for _ in 0..<(n ?? 30) {
        try person.send(#"{"type":"input","action":{"type":"mouse","params":{"event":"down","x":250,"y":200,"button":"left","clickCount":1}}}"#)
        let sent = ContinuousClock.now
        try person.send(#"{"type":"input","action":{"type":"mouse","params":{"event":"up","x":250,"y":200,"button":"left","clickCount":1}}}"#)
        for await element in said where element.event?.kind == .personAction {
            words.append(sent.duration(to: .now))
            break
        }
    }
    said.cancel()
    let clickStats = Stats(words)
    emit(["bench": "person_click_to_words", "n": words.count, "median_ms": clickStats.ms(50), "p95_ms": clickStats.ms(95),
          "p99_ms": clickStats.ms(99), "steps": "a person's mouse up sent on the live view's control link until its personAction event (click button \"Look\")"])
    try person.send(#"{"type":"handBack"}"#)

    let agent = Participant.agent("bench")
    try await session.coordinator.requestControl(for: agent, timeout: .seconds(10))
    var approvals: [Duration] = []
    let texts = person.texts
    for _ in 0..<(n ?? 30) {
        let click = Task { await session.click("#b", as: agent) }
        var id = ""
        for await text in texts where text.contains(#""kind":"approvalRequested""#) {
            if let range = text.range(of: #""id":"approval-"#) { id = "approval-" + text[range.upperBound...].prefix { $0.isNumber } }
            break
        }
        let ran = session.events.subscribe(kinds: [.console], bufferSize: 16)
        let sent = ContinuousClock.now
        try person.send(#"{"type":"approve","id":"\#(id)"}"#)
        for await element in ran where element.event?.kind == .console {
            approvals.append(sent.duration(to: .now))
            break
        }
        ran.cancel()
        _ = await click.value
    }
    connection.close(code: 1000, reason: "done")
    await session.close()
    let approveStats = Stats(approvals)
    emit(["bench": "approve_to_action", "n": approvals.count, "median_ms": approveStats.ms(50), "p95_ms": approveStats.ms(95),
          "p99_ms": approveStats.ms(99), "steps": "Approve sent on the live view's control link until the approved click reaches the page (its console event)"])
}

/// The live view as a person gets it: a second, real Chromium opens the control link, and the
/// numbers are what its page draws — frames per second on an animated page, and from a click on its
/// screen (the person's mousedown in that page) to the first frame drawn there that shows the change.
///
/// With `playwright` (a Python with Playwright), the same two measures again with Playwright driving
/// the person's browser (`Benchmarks/peers/liveview_viewer.py`).
func benchLiveViewInBrowser(n: Int?, playwright: String? = nil) async throws {
    let session = try await temporarySession(id: "bench-liveview-browser", launch: CDPBrowser.LaunchOptions())
    let view = try await session.liveView()
    let viewerBrowser = try await CDPBrowser.launch()
    defer { Task { try? await viewerBrowser.close() } }
    let viewer = try await viewerBrowser.newPage()
    _ = try await viewer.send(Page.Enable())
    _ = try await viewer.send(Runtime.Enable())
    _ = try await viewer.send(Emulation.SetDeviceMetricsOverride(width: 1400, height: 900, deviceScaleFactor: 1, mobile: false))
    func js(_ expression: String) async throws -> JSONValue? {
        try await viewer.send(Runtime.Evaluate(expression: expression, returnByValue: true, awaitPromise: true), timeout: .seconds(10)).result.value
    }
    let animated = "data:text/html,<style>div{width:200px;height:200px;background:%2336c;animation:m 1s linear infinite alternate}"
        + "@keyframes m{to{transform:translateX(800px)}}</style><div></div>"
    try await session.navigate(to: animated, as: .system).get()
    _ = try await viewer.send(Page.Navigate(url: view.controlURL!))
    while (try? await js("Number(document.body && document.body.dataset.frames || 0)"))??.doubleValue ?? 0 < 5 {
        try await Task.sleep(for: .milliseconds(50))
    }
    let seconds = 5.0
    let before = try await js("Number(document.body.dataset.frames)")?.doubleValue ?? 0
    try await Task.sleep(for: .seconds(seconds))
    let after = try await js("Number(document.body.dataset.frames)")?.doubleValue ?? 0
    emit(["bench": "liveview_viewer_fps", "fps": ((after - before) / seconds).rounded(), "seconds": seconds,
          "page": "a CSS animation", "viewer": "Chromium drawing the live view page (1400x900)"])
    // A busy page, as a real app is: the same animation with 250 console messages a second (the
    // event log is what the viewer's page also has to keep up with).
    try await session.navigate(to: animated + "<script>setInterval(() => { for (let i = 0; i < 5; i++) console.log('tick ' + i) }, 20)</script>",
                               as: .system).get()
    try await Task.sleep(for: .seconds(1))
    let busyBefore = try await js("Number(document.body.dataset.frames)")?.doubleValue ?? 0
    try await Task.sleep(for: .seconds(seconds))
    let busyAfter = try await js("Number(document.body.dataset.frames)")?.doubleValue ?? 0
    emit(["bench": "liveview_viewer_fps", "fps": ((busyAfter - busyBefore) / seconds).rounded(), "seconds": seconds,
          "page": "a CSS animation and 250 console messages a second", "viewer": "Chromium drawing the live view page (1400x900)"])

    // Click to picture: a still page whose button changes colour when clicked.
    let still = "data:text/html,<style>body{margin:0}button{position:absolute;left:100px;top:100px;width:300px;height:200px;background:blue;border:0}</style>"
        + "<button id=b onclick=\"this.style.background=this.style.background=='red'?'blue':'red'\">press</button>"
    try await session.navigate(to: still, as: .system).get()
    _ = try await js("document.getElementById('take').click(); 1")
    while await session.coordinator.holder?.kind != .human { try await Task.sleep(for: .milliseconds(5)) }
    // In the viewer: note the time of each mousedown, and when a drawn frame first shows the button's
    // colour changed.
    _ = try await js("""
        (() => {
          window.__bench = { down: 0, last: null, waiters: [] };
          addEventListener('mousedown', () => { __bench.down = performance.now(); __bench.last = pixel(); }, true);
          function pixel() { const r = screen.width / (meta ? meta.deviceWidth : screen.width); const d = ctx.getImageData(250 * r, 200 * r, 1, 1).data; return d[0] > d[2] ? 'red' : 'blue'; }
          new MutationObserver(() => {
            if (!__bench.down) return;
            const now = pixel();
            if (now !== __bench.last) { const took = performance.now() - __bench.down; __bench.down = 0; __bench.waiters.splice(0).forEach(w => w(took)); }
          }).observe(document.body, { attributes: true, attributeFilter: ['data-frames'] });
          window.__benchPoint = () => { const r = screen.getBoundingClientRect(); const s = Math.min(r.width / screen.width, r.height / screen.height);
            const w = screen.width * s, h = screen.height * s, dw = meta ? meta.deviceWidth : screen.width, dh = meta ? meta.deviceHeight : screen.height;
            return [r.left + (r.width - w) / 2 + 250 / dw * w, r.top + (r.height - h) / 2 + 200 / dh * h]; };
          return 1;
        })()
        """)
    try await Task.sleep(for: .seconds(1))
    guard case .array(let point)? = try await js("__benchPoint()"), let x = point.first?.doubleValue, let y = point.last?.doubleValue else {
        throw SessionError(.notApplicable, "the viewer has no screen")
    }
    var samples: [Duration] = []
    for _ in 0..<(n ?? 30) {
        try await Task.sleep(for: .milliseconds(300))   // the page is still again
        _ = try await viewer.send(inOrder: [
            Input.DispatchMouseEvent(type: .mousePressed, x: x, y: y, button: .left, clickCount: 1),
            Input.DispatchMouseEvent(type: .mouseReleased, x: x, y: y, button: .left, clickCount: 1),
        ])
        let took = try await js("__bench.down ? new Promise(r => { __bench.waiters.push(r); setTimeout(() => r(-1), 3000); }) : 0")?.doubleValue ?? -1
        if took > 0 { samples.append(.microseconds(Int64(took * 1000))) }
    }
    try await viewerBrowser.close()
    try await session.coordinator.handBack(by: .human("person"))
    let stats = Stats(samples)
    emit(["bench": "liveview_viewer_click_to_picture", "n": samples.count, "median_ms": stats.ms(50), "p95_ms": stats.ms(95),
          "p99_ms": stats.ms(99), "steps": "a person's mousedown on the live view page in Chromium until a frame drawn there shows the change"])
    if let playwright {
        try await measureWithPlaywright(python: playwright, session: session, view: view, animated: animated, still: still, n: n ?? 30)
    }
    await session.close()
}

/// Runs `Benchmarks/peers/liveview_viewer.py` on the control link and passes its lines through.
private func measureWithPlaywright(python: String, session: SharedBrowserSession, view: LiveView, animated: String, still: String,
                                   n: Int) async throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("peers/liveview_viewer.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script, view.controlURL!, "250", "200", "--n", String(n)]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    let lines = AsyncStream<String> { continuation in
        Thread {
            var line = Data()
            while true {
                let byte = output.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty { break }
                if byte == Data("\n".utf8) { continuation.yield(String(decoding: line, as: UTF8.self)); line = Data() } else { line += byte }
            }
            continuation.finish()
        }.start()
    }
    var iterator = lines.makeAsyncIterator()
    func next() async -> String? { await iterator.next() }
    guard await next() != nil else { return }   // ready
    try await session.navigate(to: animated, as: .system).get()
    input.fileHandleForWriting.write(Data("fps\n".utf8))
    if let line = await next() { print(line) }
    try await session.navigate(to: still, as: .system).get()
    input.fileHandleForWriting.write(Data("click\n".utf8))
    if let line = await next() { print(line) }
    input.fileHandleForWriting.write(Data("quit\n".utf8))
    process.waitUntilExit()
    try? await session.coordinator.handBack(by: .human("person"))
}

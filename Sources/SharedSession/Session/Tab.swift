import CDPTransport
import EventBuffer
import Foundation
import SharedBrowserSupport

/// One tab of the session: its CDP session and the task that turns its CDP events into
/// ``BrowserEvent``s.
final class Tab: Sendable {
    let targetId: String
    let page: CDPSession
    /// The session's clock: the tab's deadlines and delays.
    let clock: SessionClock

    struct State {
        var url = "about:blank"
        var title = ""
        var mainFrameId: String?
        var dialog: DialogInfo?
        /// Counts the tab's documents: refs from a snapshot of an earlier document are stale.
        var generation = 1
        /// The refs handed out for the document, to their elements' ids in the session's isolated
        /// world, and the generation they belong to.
        var refs: [String: Int] = [:]
        var refsGeneration = 0
        /// The first ref number of the current document's refs (the numbers go on from page to page
        /// and tab to tab: ``EventSink/nextRef``).
        var refsFirst = 1
        /// The session's isolated world in the current document (``PageWorld``).
        var world: (generation: Int, context: Int)?
        /// Requests of the current document, until they fail; `answered` once a response came; `cause`
        /// credits their response or failure, whenever it comes, to whoever caused the request.
        var requests: [String: (url: String, method: String, answered: Bool, cause: EventCause)] = [:]
        /// A viewport set for this tab alone (``SharedBrowserSession/setViewport(width:height:as:options:)``).
        var viewport: SharedBrowserSession.Viewport?
        /// When ``stopScriptIfBusy()`` last looked.
        var busyCheckedAt: Duration?
    }
    let state = LockedValue(State())
    /// The tab's actions, one at a time.
    let queue = ActionQueue()
    private let flushGate = FlushGate()
    private let pumpTask = LockedValue<Task<Void, Never>?>(nil)

    static let flushMethod = "SharedBrowser.flush"
    static let methods: Set<String> = TabEventMapper.methods.union([flushMethod])

    /// The session's next ref number (``EventSink/nextRef``).
    let nextRef: LockedValue<Int>

    init(targetId: String, page: CDPSession, clock: SessionClock, nextRef: LockedValue<Int> = LockedValue(1)) {
        self.clock = clock
        self.targetId = targetId
        self.page = page
        self.nextRef = nextRef
    }

    /// The document's URL, secret query values redacted (``Redaction``).
    var url: String { Redaction.url(state.withLock { $0.url }) }
    var title: String { state.withLock { $0.title } }
    var dialog: DialogInfo? { state.withLock { $0.dialog } }

    /// Sends a command that runs script in the page. When it times out and the page's main thread is
    /// still busy, the running script is stopped (``stopScriptIfBusy()``), so the tab answers again.
    func script<C: CDPCommand>(_ command: C, timeout: Duration? = nil) async throws -> C.Response {
        do {
            return try await page.send(command, timeout: timeout)
        } catch let error as CDPError where error.code == .timeout {
            await stopScriptIfBusy()
            throw error
        }
    }

    /// Stops the script that keeps the page's main thread busy (`Runtime.terminateExecution`), if one
    /// does: a probe that gets no answer in 250 ms says so. A page that is only waiting (on a promise
    /// that never settles) is left alone, since terminating then would stop the next script instead.
    func stopScriptIfBusy() async {
        // Checked a moment ago (the command that timed out, then its action): once is enough.
        let now = clock.elapsed
        let recent = state.withLock { s -> Bool in
            defer { s.busyCheckedAt = now }
            return s.busyCheckedAt.map { now - $0 < .seconds(1) } ?? false
        }
        if recent { return }
        await CDPDeadline.$current.withValue(nil) {
            do {
                _ = try await page.send(Runtime.Evaluate(expression: "0", returnByValue: true), timeout: .milliseconds(250))
            } catch let error as CDPError where error.code == .timeout {
                _ = try? await page.send(method: "Runtime.terminateExecution", timeout: .seconds(2))
            } catch {}
        }
    }

    /// Subscribes to the tab's events and starts turning them into browser events. Call before
    /// enabling the CDP domains, so nothing is missed.
    func startPump(sink: EventSink, dialogPolicy: SharedBrowserSession.DialogPolicy) {
        let dropped = DropCounter()
        // Room for a burst (16,384 events, about 10 MB at most): a page that floods the console for a
        // moment loses nothing; one that keeps flooding loses the oldest, each counted.
        let stream = page.events(Self.methods, bufferingNewest: 16384, onDrop: dropped.add)
        let task = Task { [self] in
            for await event in stream {
                dropped.report(to: sink, target: targetId, source: "tab")
                await handle(event, sink: sink, dialogPolicy: dialogPolicy)
            }
            dropped.report(to: sink, target: targetId, source: "tab")
            // The session ended (tab closed or browser gone): no marker will come any more.
            flushGate.close()
        }
        pumpTask.withLock { $0 = task }
    }

    func stopPump() { pumpTask.withLock { $0 }?.cancel() }

    /// Returns once every event the tab received so far has been published.
    func flush(id: Int) async {
        await flushGate.wait(id) {
            page.connection.injectEvent(method: Self.flushMethod, params: ["id": .number(Double(id))], sessionId: page.id)
        }
    }

    private func handle(_ event: CDPEvent, sink: EventSink, dialogPolicy: SharedBrowserSession.DialogPolicy) async {
        if event.method == Self.flushMethod {
            if let id = event.params["id"]?.intValue { flushGate.release(id) }
            return
        }
        let context = TabEventMapper.Context(dialogPolicy: dialogPolicy, humanInControl: sink.humanHoldsControl(of: targetId),
                                             cause: sink.cause(for: targetId))
        let effects = state.withLock { TabEventMapper.map(event, state: &$0, context: context) }
        for effect in effects {
            switch effect {
            case .emit(let kind, let payload, let cause):
                sink.emit(kind, target: targetId, payload: payload, cause: cause)
            case .loaded:
                await emitLoaded(sink)
            case .navigatedWithinDocument(let url, let isMain):
                let history = isMain ? await historyFlags() : nil
                sink.emit(.navigation, target: targetId, payload: .navigation(NavigationInfo(
                    url: url, isMainFrame: isMain, canGoBack: history?.back, canGoForward: history?.forward)))
            case .answerDialog(let accept, let delay):
                guard let delay else {
                    _ = try? await page.send(Page.HandleJavaScriptDialog(accept: accept), timeout: .seconds(5))
                    continue
                }
                let page = self.page
                Task {
                    try? await clock.sleep(for: delay)
                    _ = try? await page.send(Page.HandleJavaScriptDialog(accept: accept))
                }
            }
        }
    }

    /// Publishes `pageLoaded` with the document's title and the tab's history (committed by now).
    private func emitLoaded(_ sink: EventSink) async {
        // Both answered by the browser process, never by a renderer that may hang: the tab's events
        // keep flowing whatever the page does.
        async let infoReply = page.connection.browserSession.send(Target.GetTargetInfo(targetId: targetId), timeout: .seconds(5))
        let history = await historyFlags()
        let info = try? await infoReply.targetInfo
        // The browser reports the URL as the title until the document has one.
        let current = info.flatMap { $0.title.isEmpty || $0.url.hasSuffix($0.title) ? nil : $0.title }
        let (url, changed, title) = state.withLock { s -> (String, Bool, String) in
            guard let title = current, title != s.title else { return (s.url, false, s.title) }
            s.title = title
            return (s.url, true, title)
        }
        if changed { sink.emit(.titleChanged, target: targetId, payload: .page(PageInfo(url: url, title: title))) }
        sink.emit(.pageLoaded, target: targetId, payload: .page(PageInfo(
            url: url, title: title.isEmpty ? nil : title, canGoBack: history?.back, canGoForward: history?.forward)))
    }

    private func historyFlags() async -> (back: Bool, forward: Bool)? {
        guard let history = try? await page.send(Page.GetNavigationHistory(), timeout: .seconds(5)) else { return nil }
        return (history.currentIndex > 0, history.currentIndex < history.entries.count - 1)
    }
}

/// Counts the CDP events a pump's stream dropped, and publishes them as one `eventsMissed` marker
/// before the next event that does arrive.
final class DropCounter: Sendable {
    private let count = LockedValue(0)

    @Sendable func add() { count.withLock { $0 += 1 } }

    func report(to sink: EventSink, target: String?, source: String) {
        let missed = count.withLock { n -> Int in
            defer { n = 0 }
            return n
        }
        guard missed > 0 else { return }
        sink.emit(.eventsMissed, target: target, payload: .missed(MissedInfo(count: missed, source: source)), cause: .system)
    }
}

extension Tab {
    /// A JPEG of what the tab shows, at most `maxWidth` pixels wide, with the viewport's size in CSS
    /// pixels; nil when the tab does not answer within 2 s (closed, crashed, a dialog open).
    func picture(maxWidth: Double, quality: Int) async -> (jpeg: Data, width: Double, height: Double)? {
        guard let viewport = try? await page.send(Page.GetLayoutMetrics(), timeout: .seconds(2)) else { return nil }
        let size = viewport.cssVisualViewport
        var clip: Page.Viewport?
        if size.clientWidth > maxWidth {
            clip = Page.Viewport(x: size.pageX, y: size.pageY, width: size.clientWidth, height: size.clientHeight,
                                 scale: maxWidth / size.clientWidth)
        }
        guard let shot = try? await page.send(Page.CaptureScreenshot(format: .jpeg, quality: quality, clip: clip, optimizeForSpeed: true),
                                              timeout: .seconds(2)),
              let jpeg = Data(base64Encoded: shot.data) else { return nil }
        return (jpeg, size.clientWidth, size.clientHeight)
    }
}

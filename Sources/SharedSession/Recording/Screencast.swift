import CDPTransport
import EventBuffer
public import Foundation
import SharedBrowserSupport

/// One frame of the active tab's screen, from the session's screencast.
public struct ScreenFrame: Sendable {
    /// 1, 2, 3, … for the session's life (across tab switches and relaunches).
    public var sequence: Int
    /// The JPEG.
    public var jpeg: Data
    /// What the frame shows, in CSS pixels of the page's viewport (the JPEG's own size may differ:
    /// a device scale, or a viewport beyond the screencast's 1920 × 1080 limit).
    public var deviceWidth: Double
    /// The height it shows, in CSS pixels of the viewport.
    public var deviceHeight: Double
    /// When the browser made the frame (when it arrived, for a browser that does not say).
    public var timestamp: Date
    /// The tab it shows.
    public var target: String
}

/// The session's one screencast of the active tab, shared by everyone who watches the screen (the live
/// view's viewers, the timeline's recorder): started by the first subscriber, stopped after the last,
/// moved when another tab becomes active, after a main-frame navigation (a running screencast does not
/// follow the page to a new renderer), and after a relaunch or reconnect. Each subscriber holds only
/// the newest frame it has not taken yet, so a slow one never holds frames up for another.
final class Screencast: Sendable {
    private struct Subscriber {
        var continuation: AsyncStream<ScreenFrame>.Continuation
        var quality: Int
        /// Wants the screencast running (the live view); else it takes the frames there are (the
        /// recorder).
        var streaming: Bool
    }
    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextId = 0
        var sequence = 0
        var last: ScreenFrame?
        var runner: Task<Void, Never>?
        var closed = false
    }
    private let state = LockedValue(State())
    /// `true`: restart on the same tab; `false`: start, stop or move as needed.
    private let reconfigure: AsyncStream<Bool>.Continuation
    private let reconfigurations: AsyncStream<Bool>

    init() {
        (reconfigurations, reconfigure) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4))
    }

    var last: ScreenFrame? { state.withLock { $0.last } }
    /// Subscribers that keep the screencast running: people watching the live view.
    var subscriberCount: Int { state.withLock { $0.subscribers.values.filter(\.streaming).count } }
    private var quality: Int { state.withLock { $0.subscribers.values.map(\.quality).max() ?? 80 } }

    func subscribe(_ session: SharedBrowserSession, quality: Int, streaming: Bool = true) -> AsyncStream<ScreenFrame> {
        let (stream, continuation) = AsyncStream.makeStream(of: ScreenFrame.self, bufferingPolicy: .bufferingNewest(1))
        let (id, start, restart) = state.withLock { s -> (Int, Bool, Bool) in
            guard !s.closed else { return (-1, false, false) }
            s.nextId += 1
            let streamers = s.subscribers.values.filter(\.streaming)
            let raised = streaming && quality > (streamers.map(\.quality).max() ?? 0) && !streamers.isEmpty
            s.subscribers[s.nextId] = Subscriber(continuation: continuation, quality: max(1, min(100, quality)), streaming: streaming)
            return (s.nextId, streaming && s.runner == nil, raised)
        }
        guard id >= 0 else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            let none = state.withLock { s -> Bool in
                s.subscribers.removeValue(forKey: id)
                return !s.subscribers.values.contains(where: \.streaming)
            }
            if none { reconfigure.yield(false) }
        }
        if start { startRunner(session) }
        if streaming { reconfigure.yield(restart) }
        return stream
    }

    /// Follows the session's events: the screen moves with the active tab.
    func noticed(_ event: BrowserEvent, activeTab: String?) {
        guard subscriberCount > 0 else { return }
        switch event.kind {
        case .tabActivated, .browserRestarted, .reconnected: reconfigure.yield(false)
        case .navigation:
            if case .navigation(let info) = event.payload, info.isMainFrame, event.target == nil || event.target == activeTab {
                reconfigure.yield(true)
            }
        case .pageLoaded where event.target == nil || event.target == activeTab:
            // Once more when the new page has loaded: a screencast started while the old document was
            // being replaced may stay with it and never send the new one's frames.
            reconfigure.yield(true)
        default: break
        }
    }

    func close() {
        let (subscribers, runner) = state.withLock { s -> ([Subscriber], Task<Void, Never>?) in
            s.closed = true
            defer { s.subscribers.removeAll() }
            return (Array(s.subscribers.values), s.runner)
        }
        subscribers.forEach { $0.continuation.finish() }
        reconfigure.finish()
        runner?.cancel()
    }

    private func startRunner(_ session: SharedBrowserSession) {
        let events = session.events.subscribe(kinds: [.tabActivated, .browserRestarted, .reconnected, .navigation, .pageLoaded], bufferSize: 256)
        let follow = Task { [weak self, weak session] in
            for await element in events {
                guard let self, let event = element.event else { continue }
                noticed(event, activeTab: session?.state.activeTab)
            }
        }
        let task = Task { [weak self, weak session] in
            defer { follow.cancel() }
            guard let self else { return }
            var current: (page: CDPSession, task: Task<Void, Never>)?
            for await restart in reconfigurations {
                let tab: Tab? = if subscriberCount > 0, let session { await session.activeTabObject } else { nil }
                let page = tab?.page
                if !restart, let running = current, let page, running.page === page, running.page.closedError == nil { continue }
                current?.task.cancel()
                await current?.task.value
                current = nil
                guard let tab, let page else { continue }
                let quality = quality
                current = (page, Task { await self.stream(tab, quality: quality) })
            }
            current?.task.cancel()
            await current?.task.value
        }
        state.withLock { $0.runner = task }
    }

    /// Streams one tab until cancelled: each frame acked at once (so Chromium keeps sending), kept as
    /// the last frame and handed to every subscriber.
    private func stream(_ tab: Tab, quality: Int) async {
        let page = tab.page
        let frames = page.events(Page.ScreencastFrame.self, bufferingNewest: 2)
        // The tab shown in front, as the active tab is: a tab behind others does not paint.
        _ = try? await page.send(Page.BringToFront(), timeout: .seconds(2))
        do {
            try await page.send(Page.StartScreencast(format: .jpeg, quality: quality, maxWidth: 1920, maxHeight: 1080, everyNthFrame: 1))
        } catch let error as CDPError where error.message.contains("already active") {
            // Left running by an earlier stream of this tab: its frames come all the same.
        } catch {
            return
        }
        // Chromium sends a frame when the page paints: a still page that painted before the screencast
        // started (a navigation's new page, often) sends none. So one screenshot starts it off, unless a
        // frame comes within 100 ms (a screenshot at once may catch the page before its first paint).
        let painted = LockedValue(false)
        let seed = Task { [weak self] in
            try? await tab.clock.sleep(for: .milliseconds(100))
            guard !Task.isCancelled, !painted.withLock({ $0 }) else { return }
            await self?.capture(tab, quality: quality) { !Task.isCancelled && !painted.withLock({ $0 }) }
        }
        defer { seed.cancel() }
        for await frame in frames {
            // Acked first, always: Chromium sends no further frame, on this screencast or the next one on
            // the tab, until the last is acked.
            let ack = Page.ScreencastFrameAck(sessionId: frame.sessionId)
            Task { _ = try? await page.send(ack) }
            if Task.isCancelled { break }
            painted.withLock { $0 = true }
            guard let jpeg = Data(base64Encoded: frame.data) else { continue }
            publish(jpeg, width: frame.metadata.deviceWidth, height: frame.metadata.deviceHeight,
                    made: frame.metadata.timestamp.map { Date(timeIntervalSince1970: $0) }, tab: tab)
        }
        // Sent from a task of its own: this one is cancelled, and a cancelled task's commands are not sent.
        await Task { _ = try? await page.send(Page.StopScreencast(), timeout: .seconds(2)) }.value
    }

    /// One screenshot of `tab`, handed out as a frame (when `stillWanted` says so once it is taken).
    private func capture(_ tab: Tab, quality: Int, stillWanted: @Sendable () -> Bool = { true }) async {
        guard let shot = try? await tab.page.send(Page.CaptureScreenshot(format: .jpeg, quality: quality), timeout: .seconds(2)),
              let metrics = try? await tab.page.send(Page.GetLayoutMetrics(), timeout: .seconds(2)),
              let jpeg = Data(base64Encoded: shot.data), stillWanted() else { return }
        publish(jpeg, width: metrics.cssVisualViewport.clientWidth, height: metrics.cssVisualViewport.clientHeight, made: nil, tab: tab)
    }

    /// Keeps a frame as the last one and hands it to every subscriber.
    private func publish(_ jpeg: Data, width: Double, height: Double, made madeAt: Date?, tab: Tab) {
        let (made, subscribers) = state.withLock { s -> (ScreenFrame, [AsyncStream<ScreenFrame>.Continuation]) in
            s.sequence += 1
            // Frames come in order: a browser clock a little ahead never puts one before the last.
            let arrived = tab.clock.date
            let time = max(min(madeAt ?? arrived, arrived), s.last?.timestamp ?? .distantPast)
            let made = ScreenFrame(sequence: s.sequence, jpeg: jpeg, deviceWidth: width, deviceHeight: height,
                                   timestamp: time, target: tab.targetId)
            s.last = made
            return (made, s.subscribers.values.map(\.continuation))
        }
        for continuation in subscribers { continuation.yield(made) }
    }

}

extension SharedBrowserSession {
    /// The screen of the active tab, as JPEG frames of one screencast shared by every subscriber (the
    /// live view's viewers and the timeline's recorder use it too: there is never a second capture).
    ///
    /// The screencast starts with the first subscriber and stops when the last stream ends; it follows
    /// the active tab, navigations and a relaunched browser. Chromium sends a frame when the page
    /// paints; a page that stays still when the screencast (re)starts is captured once instead. Each
    /// stream holds only the newest frame it has not taken.
    /// - Parameter quality: JPEG quality, 1–100; the screencast uses the highest any subscriber asks.
    public nonisolated func screenFrames(quality: Int = 80) -> AsyncStream<ScreenFrame> {
        screencast.subscribe(self, quality: quality)
    }

    /// The newest frame of the screencast, if one ran.
    public nonisolated var lastScreenFrame: ScreenFrame? { screencast.last }
}

import CDPTransport
import Coordination
import EventBuffer
import Foundation
import SharedBrowserSupport
import SharedSession
import WebSockets

/// The viewers of one live view, the one screencast that feeds them, and what they are told.
final class ViewerHub: Sendable {
    /// What went to viewers, and what was dropped for those behind.
    struct Counters: Sendable {
        var framesSent = 0
        /// Frames replaced by a newer one before the viewer drew the last (latest wins).
        var framesDropped = 0
        var eventsDropped = 0
    }
    let counters = LockedValue(Counters())

    let session: SharedBrowserSession
    let person: Participant
    let quality: Int

    private struct State {
        var viewers: [ObjectIdentifier: Viewer] = [:]
        var frames = 0
        /// Takes the session's screen frames while anyone watches.
        var watching: Task<Void, Never>?
        /// Takes a small picture of every tab now and then while anyone watches.
        var thumbnails: Task<Void, Never>?
        var stopped = false
        var tasks: [Task<Void, Never>] = []
        /// The help an agent asked for and nobody has given yet (a `help` message), for new viewers too.
        var help: String?
        /// Called once when the session closes (stops the server).
        var onSessionClosed: (@Sendable () async -> Void)?
    }
    private let state = LockedValue(State())

    init(session: SharedBrowserSession, person: Participant, quality: Int) {
        self.session = session
        self.person = person
        self.quality = max(1, min(100, quality))
    }

    var count: Int { state.withLock { $0.viewers.count } }

    /// How many frames the live view has taken from the screencast (for tests and diagnostics).
    var frameCount: Int { state.withLock { $0.frames } }

    func start(onSessionClosed: @escaping @Sendable () async -> Void) {
        state.withLock { $0.onSessionClosed = onSessionClosed }
        let events = session.events.subscribe(bufferSize: 4096)
        let forward = Task { [self] in
            for await element in events {
                guard let event = element.event else { continue }
                // Encoded only when someone watches: with nobody there, events cost nothing here.
                if count > 0 { broadcastEvent(Self.message(for: event)) }
                switch event.kind {
                case .tabActivated, .browserRestarted, .reconnected, .targetCreated, .targetClosed, .titleChanged, .pageLoaded:
                    await sendTabs()
                case .control:
                    await sendControl()
                    // Who holds each tab is in the tab strip.
                    await sendTabs()
                    if case .control(let info) = event.payload, info.change == "handedBack" {
                        state.withLock { $0.help = nil }
                        broadcast(#"{"type":"help","reason":null}"#)
                    }
                case .helpRequested:
                    if case .message(let reason) = event.payload {
                        let tab = event.target.map(Self.json) ?? "null"
                        let help = #"{"type":"help","reason":\#(Self.json(reason)),"from":\#(Self.json(event.cause.description)),"tab":\#(tab)}"#
                        state.withLock { $0.help = help }
                        broadcast(help)
                    }
                default:
                    break
                }
            }
            // The session closed: so does the live view, after telling its viewers.
            let closed = state.withLock { $0.onSessionClosed }
            broadcast(#"{"type":"closed","reason":"the session has ended"}"#)
            let viewers = stop(reason: "the session has ended")
            // The closing handshakes go out before the server stops (a second at most).
            await withTaskGroup(of: Void.self) { group in
                for viewer in viewers { group.addTask { await viewer.closed(within: .seconds(1)) } }
            }
            await closed?()
        }
        let context = Task { [self] in
            for await browserState in session.stateUpdates() where count > 0 { broadcast(Self.contextMessage(browserState)) }
        }
        state.withLock { $0.tasks = [forward, context] }
    }

    /// Stops: every viewer is closed with 1001 (going away) and `reason`, which the page shows as its
    /// end (it does not try to reconnect).
    @discardableResult
    func stop(reason: String = "the live view has stopped") -> [Viewer] {
        let (viewers, tasks) = state.withLock { s -> ([Viewer], [Task<Void, Never>]) in
            s.stopped = true
            defer { s.viewers.removeAll(); s.tasks.removeAll(); s.watching = nil }
            return (Array(s.viewers.values), s.tasks + [s.watching].compactMap { $0 })
        }
        tasks.forEach { $0.cancel() }
        viewers.forEach { $0.close(code: 1001, reason: reason) }
        return viewers
    }

    // MARK: Viewers

    func newViewer(grant: LiveViewAccess.Grant) -> Viewer? {
        let viewer = Viewer(hub: self, grant: grant)
        let accepted = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.viewers[ObjectIdentifier(viewer)] = viewer
            return true
        }
        return accepted ? viewer : nil
    }

    /// A viewer's socket opened: greet it, give it the last frame at once, and start the screencast if
    /// it is the first.
    func opened(_ viewer: Viewer) {
        let frame = session.lastScreenFrame
        Task { [self] in
            let holder = await session.coordinator.holder
            let queue = await session.coordinator.queue
            viewer.send(text: #"{"type":"hello","role":"\#(viewer.grant.rawValue)","participant":"\#(EventCause(person).description)","control":\#(Self.controlJSON(holder, queue))}"#)
            viewer.send(text: Self.contextMessage(session.state))
            // The recent history, so the log does not start empty, and a request for help still open.
            for event in session.events.recent(50) { viewer.sendEvent(Self.message(for: event)) }
            if let help = state.withLock({ $0.help }) { viewer.send(text: help) }
            let pending = await session.pendingApprovals
            if !pending.isEmpty, let data = try? Self.encoder.encode(pending) {
                viewer.send(text: #"{"type":"approvals","pending":\#(String(decoding: data, as: UTF8.self))}"#)
            }
            await sendTabs(to: [viewer])
        }
        if let frame { viewer.offer(frame) }
        startWatching()
    }

    func closed(_ viewer: Viewer) {
        let watching = state.withLock { s -> [Task<Void, Never>] in
            s.viewers.removeValue(forKey: ObjectIdentifier(viewer))
            guard s.viewers.isEmpty else { return [] }
            defer { s.watching = nil; s.thumbnails = nil }
            return [s.watching, s.thumbnails].compactMap { $0 }
        }
        // The last viewer left: the screencast stops unless someone else watches the screen.
        watching.forEach { $0.cancel() }
    }

    /// How often each tab's small picture is taken while anyone watches.
    static let thumbnailInterval = Duration.seconds(2)

    /// Takes the session's screen frames (its one screencast) while anyone watches.
    private func startWatching() {
        state.withLock { s in
            guard !s.stopped, s.watching == nil, !s.viewers.isEmpty else { return }
            let frames = session.screenFrames(quality: quality)
            s.watching = Task { [self] in
                for await frame in frames {
                    let viewers = state.withLock { s -> [Viewer] in
                        s.frames += 1
                        return Array(s.viewers.values)
                    }
                    for viewer in viewers { viewer.offer(frame) }
                }
            }
            // Every tab's picture, small, so people see each lane at work and choose which to watch.
            let session = self.session
            s.thumbnails = Task { [self] in
                while !Task.isCancelled {
                    // The tab shown is left out (its frames are the screen; the page copies them).
                    let pictures = await session.tabThumbnails(maxWidth: 240, quality: 45)
                    let items = pictures.sorted { $0.key < $1.key }.map { id, jpeg in
                        #"\#(Self.json(id)):"data:image/jpeg;base64,\#(jpeg.base64EncodedString())""#
                    }.joined(separator: ",")
                    broadcast(#"{"type":"thumbnails","tabs":{\#(items)}}"#)
                    do { try await Task.sleep(for: Self.thumbnailInterval) } catch { return }
                }
            }
        }
    }

    func disconnect(_ grant: LiveViewAccess.Grant) {
        let viewers = state.withLock { s in s.viewers.values.filter { $0.grant == grant } }
        viewers.forEach { $0.close() }
    }

    private func broadcast(_ text: String) {
        let viewers = state.withLock { Array($0.viewers.values) }
        for viewer in viewers { viewer.send(text: text) }
    }

    /// An event to every viewer; one that is behind drops it (counted: ``Viewer/sendEvent(_:)``).
    private func broadcastEvent(_ text: String) {
        let viewers = state.withLock { Array($0.viewers.values) }
        for viewer in viewers { viewer.sendEvent(text) }
    }

    /// The bytes waiting for each viewer (for tests and metrics).
    var queuedBytes: [Int] {
        state.withLock { Array($0.viewers.values) }.map(\.queuedBytes)
    }

    private func sendTabs(to only: [Viewer]? = nil) async {
        let tabs = await session.tabs()
        let lanes = await session.coordinator.lanes
        func optional(_ value: String?) -> String { value.map(Self.json) ?? "null" }
        let list = tabs.map { tab in
            let queue = (lanes.first { $0.tab == tab.id }?.queue ?? []).map { Self.json(EventCause($0).description) }.joined(separator: ",")
            return #"{"id":\#(Self.json(tab.id)),"url":\#(Self.json(tab.url)),"title":\#(Self.json(tab.title)),"isActive":\#(tab.isActive),"#
                + #""holder":\#(optional(tab.holder.map { EventCause($0).description })),"queue":[\#(queue)],"#
                + #""owner":\#(optional(tab.owner.map { EventCause($0).description })),"purpose":\#(optional(tab.purpose))}"#
        }.joined(separator: ",")
        let text = #"{"type":"tabs","tabs":[\#(list)]}"#
        for viewer in only ?? state.withLock({ Array($0.viewers.values) }) { viewer.send(text: text) }
    }

    private func sendControl() async {
        let holder = await session.coordinator.holder
        let queue = await session.coordinator.queue
        broadcast(#"{"type":"control",\#(Self.controlJSON(holder, queue).dropFirst().dropLast())}"#)
    }

    // MARK: What a viewer asks

    /// The kinds an `input` message carries.
    static let rawInput: Set<BrowserAction.ActionType> = [.mouse, .wheel, .key, .insertText]

    func received(_ text: String, from viewer: Viewer) {
        // A frame's acknowledgement, the message that comes most, is known without decoding JSON.
        if text == #"{"type":"ack"}"# {
            viewer.acknowledged()
            return
        }
        struct Message: Decodable {
            struct Action: Decodable {
                var type: BrowserAction.ActionType
                var params: ActionParams?
            }
            var type: String
            var action: Action?
            var url: String?
            var tab: String?
            var text: String?
            var id: String?
            var reason: String?
        }
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(text.utf8)) else {
            viewer.send(text: #"{"type":"error","message":"not a message of the live view protocol"}"#)
            return
        }
        let known: Set<String> = ["takeOver", "handBack", "input", "navigate", "back", "forward", "reload", "switchTab", "message",
                                  "approve", "deny"]
        if message.type == "ack" {
            viewer.acknowledged()
            return
        }
        guard known.contains(message.type) else {
            viewer.send(text: #"{"type":"error","message":"unknown message type"}"#)
            return
        }
        guard viewer.grant == .control else {
            viewer.send(text: #"{"type":"error","message":"this link may only watch"}"#)
            return
        }
        let source = EventCause(person)
        switch message.type {
        case "input":
            guard let action = message.action else { return }
            // `input` is raw input only; the address bar, history buttons and tabs have messages of
            // their own.
            guard Self.rawInput.contains(action.type) else {
                let text = "a \(action.type) action cannot be sent through a person's input as input"
                viewer.send(text: #"{"type":"error","message":\#(Self.json(text))}"#)
                return
            }
            viewer.enqueue(BrowserAction(action.type, action.params ?? ActionParams(), source: source))
        // The address bar, the history buttons and the tab strip: actions of the person, in order
        // with their input.
        case "navigate":
            viewer.enqueue(BrowserAction(.navigate, ActionParams(url: message.url ?? ""), source: source))
        case "back": viewer.enqueue(BrowserAction(.back, source: source))
        case "forward": viewer.enqueue(BrowserAction(.forward, source: source))
        case "reload": viewer.enqueue(BrowserAction(.reload, source: source))
        case "switchTab":
            viewer.enqueue(BrowserAction(.switchTab, ActionParams(tab: message.tab ?? ""), source: source))
        default:
            Task { [self] in
                do {
                    switch message.type {
                    // One tab (the others go on), or with no tab the whole browser.
                    case "takeOver":
                        if let tab = message.tab, !(await session.tabs().contains { $0.id == tab }) {
                            throw SessionError(.noSuchTab, "no tab \(tab)")
                        }
                        try await session.coordinator.takeOver(by: person, tab: message.tab)
                    // Every lane the person holds.
                    case "handBack":
                        let held = await session.coordinator.lanes.filter { $0.holder == person }
                        if held.isEmpty { try await session.coordinator.handBack(by: person) }
                        for lane in held { try await session.coordinator.handBack(by: person, tab: lane.tab) }
                    case "message": try await session.say(message.text ?? "", as: person)
                    default:
                        try await session.answerApproval(message.id ?? "", approve: message.type == "approve", reason: message.reason,
                                                         by: person)
                    }
                } catch {
                    viewer.send(text: #"{"type":"error","message":\#(Self.json((error as? SessionError)?.message ?? "\(error)"))}"#)
                }
            }
        }
    }

    /// Runs a control viewer's input in order, each sent without waiting for the browser's reply (the
    /// next goes out at once); a run of mouse moves shrinks to its last one.
    func run(_ actions: [BrowserAction], for viewer: Viewer) async {
        var pending = actions
        pending = pending.enumerated().filter { index, action in
            guard action.type == .mouse, action.params.event == "move", index + 1 < pending.count else { return true }
            let next = pending[index + 1]
            return !(next.type == .mouse && next.params.event == "move")
        }.map(\.element)
        let options = SharedBrowserSession.ActionOptions(timeout: .seconds(5), pageSummary: false) { [weak viewer] error in
            viewer?.send(text: #"{"type":"error","message":\#(Self.json(error.message))}"#)
        }
        for action in pending {
            let result = await session.run(action, through: .personInput, options: options)
            // Told to the viewer that sent it (the event log has it too).
            if let error = result.error { viewer.send(text: #"{"type":"error","message":\#(Self.json(error.message))}"#) }
        }
    }

    // MARK: Messages

    static func json(_ string: String) -> String {
        (try? String(decoding: encoder.encode(string), as: UTF8.self)) ?? "\"\""
    }

    static func controlJSON(_ holder: Participant?, _ queue: [Participant]) -> String {
        let holderText = holder.map { json(EventCause($0).description) } ?? "null"
        let queueText = queue.map { json(EventCause($0).description) }.joined(separator: ",")
        return #"{"holder":\#(holderText),"queue":[\#(queueText)]}"#
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    /// `{"type":"browser_event","data":{…the BrowserEvent…},"summary":"…","error":"…"}` (`error` for error events).
    static func message(for event: BrowserEvent) -> String {
        let data = (try? String(decoding: encoder.encode(event), as: UTF8.self)) ?? "{}"
        let error = event.isError ? #","error":\#(json(event.summary))"# : ""
        return #"{"type":"browser_event","data":\#(data),"summary":\#(json(event.summary))\#(error)}"#
    }

    /// `{"type":"browser_context","data":{session_id, url, title, loading, can_go_back, …}}`.
    static func contextMessage(_ state: BrowserState) -> String {
        let data = (try? String(decoding: encoder.encode(BrowserContextMessage(state)), as: UTF8.self)) ?? "{}"
        return #"{"type":"browser_context","data":\#(data)}"#
    }
}

/// One person's (or program's) connection to the live view.
final class Viewer: WebSocketHandler, @unchecked Sendable {
    // `@unchecked`: the mutable state is in `state`.
    let grant: LiveViewAccess.Grant
    private let hub: ViewerHub
    private struct State {
        var connection: WebSocketConnection?
        /// A frame is on its way and not yet drawn: the next one waits here, and a newer one replaces it.
        var inFlight = false
        var pending: ScreenFrame?
        var inputs: [BrowserAction] = []
        var running = false
        /// Events dropped while the viewer was behind, not yet told.
        var missedEvents = 0
        /// Closed, or no longer waited for (``closed(within:)``).
        var isClosed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Events for a viewer with more than this waiting for it are dropped, counted, and the count is
    /// sent (`{"type":"events_missed","count":n}`) before the next event it gets.
    static let eventBacklog = 1 << 20
    private let state = LockedValue(State())

    init(hub: ViewerHub, grant: LiveViewAccess.Grant) {
        self.hub = hub
        self.grant = grant
    }

    func send(text: String) {
        guard let connection = state.withLock({ $0.connection }) else { return }
        try? connection.send(text: text)
    }

    /// Sends an event, or drops it (counted) while the viewer is behind.
    func sendEvent(_ text: String) {
        guard let connection = state.withLock({ $0.connection }) else { return }
        if connection.queuedBytes > Self.eventBacklog {
            state.withLock { $0.missedEvents += 1 }
            hub.counters.withLock { $0.eventsDropped += 1 }
            return
        }
        let missed = state.withLock { s in
            defer { s.missedEvents = 0 }
            return s.missedEvents
        }
        if missed > 0 { try? connection.send(text: #"{"type":"events_missed","count":\#(missed)}"#) }
        try? connection.send(text: text)
    }

    /// The bytes waiting for the viewer.
    var queuedBytes: Int { state.withLock { $0.connection }?.queuedBytes ?? 0 }

    /// Latest frame wins: sent now if the viewer drew the last one, else kept (replacing an older one)
    /// until it says it did.
    func offer(_ frame: ScreenFrame) {
        let sendNow = state.withLock { s -> Bool in
            guard s.connection != nil else { return false }
            if s.inFlight {
                if s.pending != nil { hub.counters.withLock { $0.framesDropped += 1 } }
                s.pending = frame
                return false
            }
            s.inFlight = true
            return true
        }
        if sendNow { transmit(frame) }
    }

    func acknowledged() {
        let next = state.withLock { s -> ScreenFrame? in
            defer { s.pending = nil }
            if s.pending == nil { s.inFlight = false }
            return s.pending
        }
        if let next { transmit(next) }
    }

    private func transmit(_ frame: ScreenFrame) {
        guard let connection = state.withLock({ $0.connection }) else { return }
        try? connection.send(text: #"{"type":"frame","seq":\#(frame.sequence),"deviceWidth":\#(frame.deviceWidth),"deviceHeight":\#(frame.deviceHeight)}"#)
        try? connection.send(frame.jpeg, binary: true)
        hub.counters.withLock { $0.framesSent += 1 }
    }

    func enqueue(_ action: BrowserAction) {
        let start = state.withLock { s -> Bool in
            s.inputs.append(action)
            defer { s.running = true }
            return !s.running
        }
        guard start else { return }
        Task { [self] in
            while true {
                let batch = state.withLock { s -> [BrowserAction] in
                    defer { s.inputs.removeAll() }
                    if s.inputs.isEmpty { s.running = false }
                    return s.inputs
                }
                if batch.isEmpty { return }
                await hub.run(batch, for: self)
            }
        }
    }

    func close(code: UInt16 = 1000, reason: String = "the live view closed this viewer") {
        state.withLock { $0.connection }?.close(code: code, reason: reason)
    }

    // MARK: WebSocketHandler

    func webSocketDidOpen(_ connection: WebSocketConnection) {
        state.withLock { $0.connection = connection }
        hub.opened(self)
    }

    func webSocket(_ connection: WebSocketConnection, didReceive message: WebSocketMessage) {
        guard let text = message.text else { return }
        hub.received(text, from: self)
    }

    func webSocket(_ connection: WebSocketConnection, didCloseWith info: WebSocketCloseInfo) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.connection = nil
            s.isClosed = true
            defer { s.closeWaiters.removeAll() }
            return s.closeWaiters
        }
        waiters.forEach { $0.resume() }
        hub.closed(self)
    }

    /// Returns once the connection has closed, or after `limit`.
    func closed(within limit: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            let waiters = self?.state.withLock { s -> [CheckedContinuation<Void, Never>] in
                // Waiting is over, for a waiter that comes later too.
                s.isClosed = true
                defer { s.closeWaiters.removeAll() }
                return s.closeWaiters
            } ?? []
            waiters.forEach { $0.resume() }
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.isClosed || s.connection == nil { return true }
                s.closeWaiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }
}

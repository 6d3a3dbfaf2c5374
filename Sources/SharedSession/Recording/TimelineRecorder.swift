import EventBuffer
import Foundation
import SharedBrowserSupport

/// Appends a session's events and screenshots to its recording folder as they happen, off the
/// agents' path: it reads the event stream and the shared screencast on its own tasks, and writes on
/// its own queue. A host killed at any moment leaves every line written up to the last quarter second.
final class TimelineRecorder: Sendable {
    let directory: String
    private let options: RecordingOptions
    private let sessionId: String
    private let started: Date
    /// The session's clock: the recorder's intervals and times.
    private let clock: SessionClock

    /// A screenshot to choose once the frames up to `limit` have all come: the newest made by then.
    private struct Pending {
        var action: UInt64
        var reason: TimelineScreenshot.Reason
        var limit: Date
        /// For an after-shot: when the action ended. With no frame between then and `limit` (nobody
        /// watches, so the screen is captured once the page settles), the first frame after it stands in.
        var ended: Date?
        /// For a before-shot: when the tab last navigated, if by `limit`. A frame older than that shows
        /// the page before: the first frame of the new page stands in (its first paint may have come
        /// before the screencast followed it).
        var navigated: Date?
    }
    private struct State {
        var segment = 0
        var segmentBytes = 0
        var totalBytes = 0
        var segments: [(number: Int, bytes: Int)] = []
        var handle: FileHandle?
        var buffer = Data()
        var lastFlush = Date.distantPast
        var shotNumber = 0
        /// Recent frames (newest last), to pick the one that was on screen at a given moment.
        var frames: [ScreenFrame] = []
        /// The newest frame ever received (kept when `frames` is trimmed).
        var newest: ScreenFrame?
        /// Frame sequence → its file, for frames already written.
        var written: [Int: String] = [:]
        var lastIntervalShot = Date.distantPast
        /// The page may have changed since the last capture (used while no screencast runs).
        var dirty = true
        var lastActivity = Date.distantPast
        var lastCapture = Date.distantPast
        var capturing = false
        var lastRecordedFrame = 0
        var pending: [Pending] = []
        /// When each tab's main frame last navigated.
        var navigated: [String: Date] = [:]
        var finished = false
        var failure: String?
    }
    private let state = LockedValue(State())
    private let tasks = LockedValue<[Task<Void, Never>]>([])
    private let queue = DispatchQueue(label: "SharedSession.TimelineRecorder")
    private let encoder = TimelineRecord.makeEncoder()

    /// Actions that only read: no screenshots around them.
    static let reads: Set<String> = ["snapshot", "pageContent", "pageText", "screenshot", "waitForSelector", "waitForText",
                                     "waitForURL", "waitForNavigation"]

    init(directory: String, options: RecordingOptions, sessionId: String, clock: SessionClock) throws {
        self.directory = directory
        self.clock = clock
        started = clock.date
        self.options = options
        self.sessionId = sessionId
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        try state.withLock { try openSegment(&$0) }
    }

    /// The default folder of a session's recording.
    static func defaultDirectory(sessionId: String, profile: String?) -> String {
        let stamp = Date().formatted(.iso8601.year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false)
            .timeSeparator(.omitted)).replacingOccurrences(of: "T", with: "-").replacingOccurrences(of: "Z", with: "")
        if let profile { return profile + "/Timelines/" + stamp }
        let sessions = SharedBrowserSession.defaultProfileDirectory(for: sessionId)
        let base = (sessions as NSString).deletingLastPathComponent
        let name = (sessions as NSString).lastPathComponent
        return (base as NSString).deletingLastPathComponent + "/timelines/" + name + "/" + stamp
    }

    /// Starts reading the session's events (and its screen, with screenshots on).
    func start(_ session: SharedBrowserSession) {
        let sink = session.sink
        onFailure.withLock { $0 = { message in sink.emit(.error, target: nil, payload: .message(message), cause: .system) } }
        let events = session.events.subscribe(bufferSize: 1 << 16, from: 1)
        var started = [Task { [self] in
            for await element in events {
                switch element {
                case .event(let event): record(event)
                case .missed(let count): append(.missed(count))
                }
            }
            finish()
        }]
        if options.screenshots {
            // The frames of the screencast when one runs (someone watches); else the recorder's own
            // captures, through the same screencast object.
            let frames = session.screencast.subscribe(session, quality: options.screenshotQuality, streaming: false)
            started.append(Task { [self] in
                for await frame in frames { received(frame) }
            })
        }
        let interval = options.screenshotInterval
        let quality = options.screenshotQuality
        started.append(Task { [self, weak session] in
            // Flushes what is written, settles the screenshots after actions, keeps the interval's
            // screenshots while the page changes, and captures the screen when nobody watches.
            while !Task.isCancelled, !isFinished {
                try? await clock.sleep(for: .milliseconds(100))
                tick(interval: interval)
                if let session, captureDue(interval: interval) {
                    Task {
                        await session.screencast.captureIfIdle(session, quality: quality)
                        self.state.withLock { $0.capturing = false }
                    }
                }
            }
        })
        tasks.withLock { $0 = started }
    }

    private var isFinished: Bool { state.withLock { $0.finished } }

    /// Why the recording stopped writing, if it did (a full disk, a folder removed).
    var failure: String? { state.withLock { $0.failure } }

    /// Told once when writing fails (a full disk, a folder removed): an `error` event of the session.
    private let onFailure = LockedValue<(@Sendable (String) -> Void)?>(nil)

    private func failed(_ message: String) {
        let first = state.withLock { s -> Bool in
            defer { if s.failure == nil { s.failure = message } }
            return s.failure == nil
        }
        if first { onFailure.withLock { $0 }?("the timeline recording stopped keeping up: \(message)") }
    }

    /// Writes what is buffered, then stops (the session closed).
    func stop() async {
        let running = tasks.withLock { $0 }
        // The event task ends by itself when the hub closes; the others are stopped.
        await running.first?.value
        running.forEach { $0.cancel() }
        finish()
    }

    /// Writes what is buffered now (for readers of a running recording).
    func flush() {
        let data = state.withLock { s -> (FileHandle?, Data) in
            defer { s.buffer.removeAll(keepingCapacity: true); s.lastFlush = clock.date }
            return (s.handle, s.buffer)
        }
        write(data.1, to: data.0)
        queue.sync {}
    }

    // MARK: Events

    func record(_ event: BrowserEvent) {
        append(.event(event))
        if event.kind == .navigation, case .navigation(let info) = event.payload, info.isMainFrame, let tab = event.target {
            state.withLock { $0.navigated[tab] = event.timestamp }
        }
        if Self.changesScreen(event) {
            state.withLock { s in
                s.dirty = true
                s.lastActivity = clock.date
            }
        }
        guard options.screenshots, case .action(let info) = event.payload else { return }
        let changes = !Self.reads.contains(info.name) && !(info.name == "mouse" && info.action?.params.event == "move")
        guard changes else { return }
        switch event.kind {
        case .actionStarted:
            // The screen when it started is its before-shot. An action before it that still waits for
            // the page's answer gets the newest frame made up to 50 ms into this one (the earlier
            // action's paint may come just after a fast agent's next step; this one's cannot come so soon).
            state.withLock { s in
                let cut = event.timestamp.addingTimeInterval(0.05)
                for index in s.pending.indices where s.pending[index].limit > cut { s.pending[index].limit = cut }
                s.pending.append(Pending(action: event.sequence, reason: .before, limit: event.timestamp,
                                         navigated: event.target.flatMap { s.navigated[$0] }))
            }
            settle(now: clock.date, all: false)
        case .actionFinished, .actionFailed:
            guard let startedSequence = startedSequence(of: event) else { return }
            // The page's answer to an action shows within 300 ms (or by the next action).
            state.withLock {
                $0.pending.append(Pending(action: startedSequence, reason: .after, limit: event.timestamp.addingTimeInterval(0.3),
                                          ended: event.timestamp))
            }
        default: break
        }
    }

    /// Whether an event may come with a change of the screen (what makes the recorder capture it
    /// while no screencast runs).
    static func changesScreen(_ event: BrowserEvent) -> Bool {
        switch event.kind {
        case .actionFinished, .actionFailed:
            guard case .action(let info) = event.payload else { return false }
            return !reads.contains(info.name)
        case .navigation, .pageLoaded, .dialogOpened, .dialogClosed, .tabActivated, .browserRestarted, .reconnected, .targetCrashed:
            return true
        default:
            return false
        }
    }

    /// Actions under way, by participant, name and tab → their `actionStarted` sequence number.
    private let openActions = LockedValue<[String: UInt64]>([:])

    private static func actionKey(_ event: BrowserEvent, _ info: ActionInfo) -> String {
        "\(event.cause)|\(info.name)|\(event.target ?? "")"
    }

    /// The `actionStarted` event of a finished action.
    private func startedSequence(of event: BrowserEvent) -> UInt64? {
        guard case .action(let info) = event.payload else { return nil }
        return openActions.withLock { $0.removeValue(forKey: Self.actionKey(event, info)) }
    }

    // MARK: Screenshots

    func received(_ frame: ScreenFrame) {
        state.withLock { s in
            s.frames.append(frame)
            s.newest = frame
            // Two seconds of frames at most (what pending screenshots may still choose from).
            let keepFrom = frame.timestamp.addingTimeInterval(-2)
            if s.frames.count > 240 || (s.frames.first.map { $0.timestamp < keepFrom } ?? false) {
                s.frames.removeAll { $0.timestamp < keepFrom && $0.sequence != frame.sequence }
                if s.frames.count > 240 { s.frames.removeFirst(s.frames.count - 240) }
            }
        }
        settle(now: clock.date, all: false)
    }

    /// While no screencast runs, the screen is captured once the page settles after a change (150 ms
    /// without activity), and at least once an interval while it keeps changing; never during a
    /// capture. Marks the capture as started.
    private func captureDue(interval: Duration) -> Bool {
        guard options.screenshots else { return false }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let now = clock.date
        return state.withLock { s in
            guard s.dirty, !s.capturing, !s.finished,
                  now.timeIntervalSince(s.lastActivity) >= 0.15 || now.timeIntervalSince(s.lastCapture) >= seconds else { return false }
            s.dirty = false
            s.capturing = true
            s.lastCapture = now
            return true
        }
    }

    private func tick(interval: Duration) {
        let now = clock.date
        settle(now: now, all: false)
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let due = state.withLock { s -> ScreenFrame? in
            guard let newest = s.frames.last, newest.sequence != s.lastRecordedFrame,
                  now.timeIntervalSince(s.lastIntervalShot) >= seconds else { return nil }
            s.lastIntervalShot = now
            return newest
        }
        if let due { writeShot(due, reason: .interval, action: nil) }
        let flush = state.withLock { s -> (FileHandle?, Data)? in
            guard !s.buffer.isEmpty, now.timeIntervalSince(s.lastFlush) >= 0.2 else { return nil }
            defer { s.buffer.removeAll(keepingCapacity: true); s.lastFlush = now }
            return (s.handle, s.buffer)
        }
        if let flush { write(flush.1, to: flush.0) }
    }

    /// Chooses the screenshots whose frames have all come: a frame made after the limit has arrived
    /// (frames come in order), or half a second passed without one (the page stayed still), or the
    /// recording ends (`all`). Each gets the newest frame made by its limit.
    private func settle(now: Date, all: Bool) {
        let ready = state.withLock { s -> [(Pending, ScreenFrame)] in
            var ready: [(Pending, ScreenFrame)] = []
            s.pending.removeAll { pending in
                let timedOut = now.timeIntervalSince(pending.limit) > 0.5
                let passed = (s.newest.map { $0.timestamp > pending.limit } ?? false) || timedOut
                guard all || passed else { return false }
                var chosen = s.frames.last(where: { $0.timestamp <= pending.limit }) ?? s.frames.first ?? s.newest
                if pending.reason == .before, let frame = chosen, frame.timestamp > pending.limit.addingTimeInterval(0.05) {
                    // Nothing was on record when it started: no before-shot rather than a later screen.
                    chosen = nil
                }
                if let ended = pending.ended, !(chosen.map { $0.timestamp >= ended } ?? false),
                   let first = s.frames.first(where: { $0.timestamp > ended && $0.timestamp < ended.addingTimeInterval(2) }) {
                    // No frame between its end and the limit: the screen captured once the page settled.
                    chosen = first
                }
                if let navigated = pending.navigated, let frame = chosen, frame.timestamp < navigated {
                    // The page before the navigation: the new page's first frame stands in if it was made
                    // about when the action started; if the screen was not caught in time, there is no
                    // before-shot rather than a wrong one.
                    if let first = s.frames.first(where: { $0.timestamp >= navigated }) {
                        chosen = first.timestamp <= pending.limit.addingTimeInterval(0.05) ? first : nil
                    } else if !all && !timedOut {
                        return false
                    } else {
                        chosen = nil
                    }
                }
                if let chosen { ready.append((pending, chosen)) }
                return true
            }
            return ready
        }
        for (pending, frame) in ready { writeShot(frame, reason: pending.reason, action: pending.action) }
    }

    private func writeShot(_ frame: ScreenFrame, reason: TimelineScreenshot.Reason, action: UInt64?) {
        let (file, data) = state.withLock { s -> (String, Data?) in
            s.lastRecordedFrame = max(s.lastRecordedFrame, frame.sequence)
            if let file = s.written[frame.sequence] { return (file, nil) }
            s.shotNumber += 1
            let file = String(format: "segment-%06d/shots/%06d.jpg", s.segment, s.shotNumber)
            s.written[frame.sequence] = file
            if s.written.count > 64 { s.written = s.written.filter { $0.key > frame.sequence - 32 } }
            return (file, frame.jpeg)
        }
        if let data {
            let path = directory + "/" + file
            queue.async { [self] in
                if !FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) {
                    failed("cannot write \(path)")
                }
            }
            account(data.count)
        }
        append(.screenshot(TimelineScreenshot(file: file, timestamp: frame.timestamp, width: frame.deviceWidth,
                                              height: frame.deviceHeight, target: frame.target, reason: reason, action: action)))
    }

    // MARK: Writing

    private func append(_ record: TimelineRecord) {
        guard var line = try? encoder.encode(record) else { return }
        line.append(0x0A)
        if case .event(let event) = record, event.kind == .actionStarted, case .action(let info) = event.payload {
            openActions.withLock { $0[Self.actionKey(event, info)] = event.sequence }
        }
        let flush = state.withLock { s -> (FileHandle?, Data)? in
            guard !s.finished else { return nil }
            s.buffer.append(line)
            guard s.buffer.count >= 64 << 10 else { return nil }
            defer { s.buffer.removeAll(keepingCapacity: true); s.lastFlush = clock.date }
            return (s.handle, s.buffer)
        }
        account(line.count)
        if let flush { write(flush.1, to: flush.0) }
    }

    private func write(_ data: Data, to handle: FileHandle?) {
        guard !data.isEmpty, let handle else { return }
        queue.async { [self] in
            do { try handle.write(contentsOf: data) } catch {
                failed("cannot append to the timeline: \(error)")
            }
        }
    }

    /// The bytes the recording's kept segments hold.
    var bytesOnDisk: Int { state.withLock { $0.totalBytes } }

    /// Counts bytes written; starts a new segment when this one is full, and removes the oldest when
    /// the recording is over its cap.
    private func account(_ bytes: Int) {
        let segmentCap = max(1 << 20, options.maxBytes / 8)
        let (roll, drop) = state.withLock { s -> (Bool, [Int]) in
            s.segmentBytes += bytes
            s.totalBytes += bytes
            guard s.segmentBytes >= segmentCap else { return (false, []) }
            var drop: [Int] = []
            var total = s.totalBytes
            var kept = s.segments
            while total > options.maxBytes - segmentCap, kept.count > 1 {
                let oldest = kept.removeFirst()
                drop.append(oldest.number)
                total -= oldest.bytes
            }
            return (true, drop)
        }
        guard roll else { return }
        let flush = state.withLock { s -> (FileHandle?, Data) in
            defer { s.buffer.removeAll(keepingCapacity: true) }
            return (s.handle, s.buffer)
        }
        write(flush.1, to: flush.0)
        state.withLock { s in
            let old = s.handle
            queue.async { try? old?.close() }
            try? openSegment(&s)
            for number in drop {
                if let index = s.segments.firstIndex(where: { $0.number == number }) {
                    s.totalBytes -= s.segments[index].bytes
                    s.segments.remove(at: index)
                }
            }
        }
        let directory = directory
        for number in drop {
            queue.async { try? FileManager.default.removeItem(atPath: directory + String(format: "/segment-%06d", number)) }
        }
    }

    private func openSegment(_ s: inout State) throws {
        if s.segment > 0, let index = s.segments.firstIndex(where: { $0.number == s.segment }) {
            s.segments[index].bytes = s.segmentBytes
        }
        s.segment += 1
        s.segmentBytes = 0
        let folder = directory + String(format: "/segment-%06d", s.segment)
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/shots", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = folder + "/timeline.jsonl"
        guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw SessionError(.launchFailed, "cannot create the timeline file \(path)")
        }
        s.handle = handle
        s.segments.append((s.segment, 0))
        var header = try encoder.encode(TimelineRecord.header(TimelineHeader(sessionId: sessionId, started: started, segment: s.segment)))
        header.append(0x0A)
        s.buffer.append(header)
        s.segmentBytes += header.count
        s.totalBytes += header.count
    }

    private func finish() {
        guard !isFinished else { return }
        settle(now: clock.date, all: true)
        let (handle, data) = state.withLock { s -> (FileHandle?, Data) in
            guard !s.finished else { return (nil, Data()) }
            s.finished = true
            defer { s.buffer.removeAll() }
            return (s.handle, s.buffer)
        }
        guard let handle else { return }
        write(data, to: handle)
        queue.sync { try? handle.close() }
    }
}

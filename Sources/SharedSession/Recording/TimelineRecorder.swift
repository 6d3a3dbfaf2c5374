import EventBuffer
import Foundation
import SharedBrowserSupport

/// Appends a session's events, pictures and documents to its recording folder as they happen, off the
/// agents' path: it reads the event stream (and the live view's screencast while one runs) on its own
/// tasks, captures the screen and reads the page beside the actions it is told of, and writes on its
/// own queue. A host killed at any moment leaves every line written up to the last quarter second.
final class TimelineRecorder: Sendable {
    let directory: String
    private let options: RecordingOptions
    private let sessionId: String
    private let started: Date
    /// The session's clock: the recorder's intervals and times.
    private let clock: SessionClock

    /// A tab's last picture taken after an action (what the next action's before-shot may be).
    private struct Picture {
        var frame: ScreenFrame
        /// The tab's document then (``Tab/State/generation``): a picture of an earlier document is not
        /// the screen before an action in a later one.
        var generation: Int
        /// The tab's count of actions started then: one started since may have changed the screen.
        var epoch: Int
    }
    /// A tab's screen capture after an action: one at a time; a newer action's waits its turn.
    private struct Capturing {
        var running = false
        var wanted: (action: UInt64, epoch: Int)?
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
        /// The newest frame of the screencast (for the interval's screenshots).
        var newest: ScreenFrame?
        /// Frame sequence → its file, for the frames written last.
        var written: [(sequence: Int, file: String)] = []
        var lastIntervalShot = Date.distantPast
        var lastRecordedFrame = 0
        /// Each tab's count of actions started that can change the page: a capture after an action
        /// is its after-shot only if no other action started on the tab before the capture came back.
        var epochs: [String: Int] = [:]
        var pictures: [String: Picture] = [:]
        /// Each tab's document as read after its last action, and the document's generation.
        var pages: [String: (page: TimelinePage, generation: Int)] = [:]
        var pageNumber = 0
        var capturing: [String: Capturing] = [:]
        var finished = false
        var failure: String?
    }
    private let state = LockedValue(State())
    private let tasks = LockedValue<[Task<Void, Never>]>([])
    private let queue = DispatchQueue(label: "SharedSession.TimelineRecorder")
    private let encoder = TimelineRecord.makeEncoder()

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
            // The frames of the screencast while one runs (someone watches): the film strip's pictures
            // and a before-shot newer than the last after-shot. The recorder does not run it itself: a
            // running screencast made every action 20–30% slower (see Performance.md).
            let frames = session.screencast.subscribe(session, quality: options.screenshotQuality, streaming: false)
            started.append(Task { [self] in
                for await frame in frames { received(frame) }
            })
        }
        let interval = options.screenshotInterval
        started.append(Task { [self] in
            // Flushes what is written, and keeps the interval's screenshots while the screencast runs.
            while !Task.isCancelled, !isFinished {
                try? await clock.sleep(for: .milliseconds(100))
                tick(interval: interval)
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

    /// Before the session closes its browser: waits for the captures under way (the last action's
    /// after-shot among them).
    func lastPictures() async {
        while let (number, running) = captures.withLock({ $0.first.map { ($0.key, $0.value.task) } }) {
            await running.value
            _ = captures.withLock { $0.removeValue(forKey: number) }
        }
    }

    /// Captures under way, by number.
    private let captures = LockedValue<[Int: (tab: Tab, task: Task<Void, Never>)]>([:])
    private let captureCounter = LockedValue(0)

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
    }

    /// Whether an action gets pictures (and documents) before and after it: one that can change what
    /// its page shows.
    func pictures(_ action: BrowserAction) -> Bool {
        options.screenshots && action.changesWhatIsShown
    }

    /// Told as an action that ``pictures(_:policy:)`` starts (its `actionStarted` just published, before
    /// it acts): its before-shot is the after-shot of the action before it on the tab, if that one has
    /// one and nothing else started since, in the same document.
    func actionStarted(_ sequence: UInt64, tab: Tab) {
        let generation = tab.state.withLock { $0.generation }
        let before = state.withLock { s -> ScreenFrame? in
            defer { s.epochs[tab.targetId, default: 0] += 1 }
            guard let picture = s.pictures[tab.targetId], picture.generation == generation,
                  picture.epoch == s.epochs[tab.targetId, default: 0] else { return nil }
            return picture.frame
        }
        if let before { writeShot(before, reason: .before, action: sequence) }
        guard options.pageSnapshots else { return }
        if var page = state.withLock({ s in s.pages[tab.targetId].flatMap { $0.generation == generation ? $0.page : nil } }) {
            page.reason = .before
            page.action = sequence
            append(.page(page))
        } else {
            // The first action in this document: its page is read now, before the action's own
            // commands (the page answers them in order).
            readPage(.before, of: sequence, tab: tab, epoch: state.withLock { $0.epochs[tab.targetId, default: 0] })
        }
    }

    /// Reads the tab's document for an action, off the action's path; kept only if no other action
    /// started on the tab before it was asked for.
    private func readPage(_ reason: TimelineScreenshot.Reason, of sequence: UInt64, tab: Tab, epoch: Int) {
        let number = captureCounter.withLock { $0 += 1; return $0 }
        // Listed before it can end: a task that ended before it was listed would stay listed.
        captures.withLock { running in running[number] = (tab, Task { [self] in
            defer { _ = captures.withLock { $0.removeValue(forKey: number) } }
            let generation = tab.state.withLock { $0.generation }
            let state = state
            guard let snapshot = await PageSnapshot.read(tab, stillWanted: {
                state.withLock { $0.epochs[tab.targetId, default: 0] == epoch && !$0.finished }
            }) else { return }
            let now = clock.date
            let file = state.withLock { s -> String in
                s.pageNumber += 1
                return String(format: "segment-%06d/pages/%06d.json", s.segment, s.pageNumber)
            }
            let data = Data(snapshot.html.utf8)
            let path = directory + "/" + file
            queue.async { [self] in
                if !FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) {
                    failed("cannot write \(path)")
                }
            }
            account(data.count)
            let page = TimelinePage(file: file, timestamp: now, target: tab.targetId, url: Redaction.url(snapshot.url),
                                    doctype: snapshot.doctype, width: snapshot.width, height: snapshot.height, reason: reason,
                                    action: sequence, nodes: snapshot.nodes, truncated: snapshot.truncated)
            if reason == .after { state.withLock { $0.pages[tab.targetId] = (page, generation) } }
            append(.page(page))
        }) }
    }

    /// Told as such an action's effects are done (its body returned or failed; its navigation, if any,
    /// settled): the tab's screen is captured, beside the rest of the action. The capture is its
    /// after-shot if it came back before another action started on the tab (so it shows this action's
    /// effects and no other's); else there is none. The next action waits for it
    /// (``RecordingOptions/pictureWait``).
    func actionEnded(_ sequence: UInt64, tab: Tab) {
        if options.pageSnapshots {
            // Its document as its effects left it: read before any later command of the page's.
            readPage(.after, of: sequence, tab: tab, epoch: state.withLock { $0.epochs[tab.targetId, default: 0] })
        }
        // One capture at a time per tab: a newer action's waits for the running one to come back.
        let start = state.withLock { s -> Int? in
            let epoch = s.epochs[tab.targetId, default: 0]
            var capturing = s.capturing[tab.targetId] ?? Capturing()
            defer { s.capturing[tab.targetId] = capturing }
            if capturing.running {
                capturing.wanted = (sequence, epoch)
                return nil
            }
            capturing.running = true
            return epoch
        }
        if let epoch = start { capture(after: sequence, epoch: epoch, tab: tab) }
    }

    /// The widest an action's picture is, in pixels.
    static let pictureWidth = 800.0

    /// Before an action that gets pictures starts on `tab`: waits up to `limit` for the capture after
    /// the action before it, so that picture is of that action's effects alone.
    func waitForPicture(on tab: Tab, upTo limit: Duration) async {
        let running = captures.withLock { $0.values.filter { $0.tab === tab }.map(\.task) }
        guard limit > .zero, !running.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in running { await task.value } }
            group.addTask { [clock] in try? await clock.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func capture(after sequence: UInt64, epoch: Int, tab: Tab) {
        let number = captureCounter.withLock { $0 += 1; return $0 }
        let quality = options.screenshotQuality
        // Listed before it can end (see `readPage`).
        captures.withLock { running in running[number] = (tab, Task { [self] in
            let generation = tab.state.withLock { $0.generation }
            // At most `pictureWidth` wide: as sharp as the report shows it, at a third of the bytes of a
            // full 1280-pixel one (the capture takes as long either way).
            let shot = await tab.picture(maxWidth: Self.pictureWidth, quality: quality)
            let now = clock.date
            let next = state.withLock { s -> (action: UInt64, epoch: Int)? in
                defer { s.capturing[tab.targetId]?.wanted = nil }
                guard let wanted = s.capturing[tab.targetId]?.wanted else {
                    s.capturing[tab.targetId]?.running = false
                    return nil
                }
                return wanted
            }
            if let shot {
                let frame = ScreenFrame(sequence: -number, jpeg: shot.jpeg, deviceWidth: shot.width,
                                        deviceHeight: shot.height, timestamp: now, target: tab.targetId)
                let valid = state.withLock { s -> Bool in
                    guard s.epochs[tab.targetId, default: 0] == epoch, !s.finished else { return false }
                    s.pictures[tab.targetId] = Picture(frame: frame, generation: generation, epoch: epoch)
                    return true
                }
                if valid { writeShot(frame, reason: .after, action: sequence) }
            }
            _ = captures.withLock { $0.removeValue(forKey: number) }
            if let next { capture(after: next.action, epoch: next.epoch, tab: tab) }
        }) }
    }

    // MARK: Screenshots

    func received(_ frame: ScreenFrame) {
        state.withLock { $0.newest = frame }
    }

    private func tick(interval: Duration) {
        let now = clock.date
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let due = state.withLock { s -> ScreenFrame? in
            guard let newest = s.newest, newest.sequence != s.lastRecordedFrame,
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

    private func writeShot(_ frame: ScreenFrame, reason: TimelineScreenshot.Reason, action: UInt64?) {
        let (file, data) = state.withLock { s -> (String, Data?) in
            s.lastRecordedFrame = max(s.lastRecordedFrame, frame.sequence)
            if let file = s.written.last(where: { $0.sequence == frame.sequence })?.file { return (file, nil) }
            s.shotNumber += 1
            let file = String(format: "segment-%06d/shots/%06d.jpg", s.segment, s.shotNumber)
            s.written.append((frame.sequence, file))
            if s.written.count > 64 { s.written.removeFirst(s.written.count - 64) }
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
        try fm.createDirectory(atPath: folder + "/pages", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
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

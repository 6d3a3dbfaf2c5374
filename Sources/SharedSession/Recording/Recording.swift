public import EventBuffer
public import Foundation
import SharedBrowserSupport

/// How a session records its timeline: every event, and screenshots of the active tab, appended to a
/// folder as they happen. Off unless ``SharedBrowserSession/Options/recording`` is set.
public struct RecordingOptions: Sendable {
    /// The folder of the recording; nil uses `Timelines/<date>-<time>` in the session's persistent
    /// profile, or `$XDG_DATA_HOME/shared-browser/timelines/<id>/<date>-<time>` without one. Created
    /// with mode 0700.
    public var directory: String?
    /// Screenshots before and after each action that can change the page, and one each interval
    /// while the page changes. Default true.
    public var screenshots = true
    /// How often the screen is recorded while the page changes (nothing while it stays still).
    /// Default 1 s.
    public var screenshotInterval: Duration = .seconds(1)
    /// JPEG quality of the screenshots (the live view's, when it asks for more, wins: there is one
    /// screencast). Default 60.
    public var screenshotQuality = 60
    /// The most the recording may take on disk; beyond it the oldest segments are removed. Default
    /// 500 MiB.
    public var maxBytes = 500 << 20

    /// Recording settings; `directory` nil records in the profile's `Timelines/` folder (without a
    /// profile, under `shared-browser/timelines/<id>/` in the data folder), one folder per start.
    public init(directory: String? = nil, screenshots: Bool = true, screenshotInterval: Duration = .seconds(1),
                screenshotQuality: Int = 60, maxBytes: Int = 500 << 20) {
        self.directory = directory
        self.screenshots = screenshots
        self.screenshotInterval = screenshotInterval
        self.screenshotQuality = screenshotQuality
        self.maxBytes = maxBytes
    }
}

/// One line of a recording's `timeline.jsonl`: `{"type":"header"|"event"|"screenshot"|"missed", …}`.
///
/// A recording folder holds segments `segment-000001/`, `segment-000002/`, …, each with a
/// `timeline.jsonl` (these records, one per line, appended as they happen) and a `shots/` folder of
/// JPEGs. A line cut short by a killed host is skipped by readers.
public enum TimelineRecord: Sendable, Codable {
    /// The first line of each segment.
    case header(TimelineHeader)
    /// An event of the session, as published (secrets already redacted).
    case event(BrowserEvent)
    /// A screenshot written to the segment's `shots/` folder.
    case screenshot(TimelineScreenshot)
    /// Events the recorder could not keep up with (counted, never silently lost).
    case missed(Int)

    private enum CodingKeys: String, CodingKey { case type, header, event, screenshot, count }

    /// Decodes a line of a recording (its `type` says which record).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "header": self = .header(try c.decode(TimelineHeader.self, forKey: .header))
        case "event": self = .event(try c.decode(BrowserEvent.self, forKey: .event))
        case "screenshot": self = .screenshot(try c.decode(TimelineScreenshot.self, forKey: .screenshot))
        case "missed": self = .missed(try c.decode(Int.self, forKey: .count))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown record type \(other)")
        }
    }

    /// Encodes the record as one JSON line with its `type`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .header(let header):
            try c.encode("header", forKey: .type)
            try c.encode(header, forKey: .header)
        case .event(let event):
            try c.encode("event", forKey: .type)
            try c.encode(event, forKey: .event)
        case .screenshot(let shot):
            try c.encode("screenshot", forKey: .type)
            try c.encode(shot, forKey: .screenshot)
        case .missed(let count):
            try c.encode("missed", forKey: .type)
            try c.encode(count, forKey: .count)
        }
    }

    /// The encoder and decoder of the format (dates as ISO 8601 UTC with milliseconds,
    /// `2026-11-28T10:15:00.123Z`).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(TimelineDate.format(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    /// The decoder that reads recording lines (ISO 8601 times, with or without fractions of a second).
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = TimelineDate.parse(text) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
        }
        return decoder
    }
}

/// The format's dates, written and read without a formatter (a recording has many).
enum TimelineDate {
    static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…]Z`; nil for anything else.
    static func parse(_ text: String) -> Date? {
        var utf8 = text.utf8.makeIterator()
        func number(_ digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let byte = utf8.next(), byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        func expect(_ character: UInt8) -> Bool { utf8.next() == character }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2), expect(84),
              let hour = number(2), expect(58), let minute = number(2), expect(58), let second = number(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var fraction = 0.0, scale = 0.1
        var next = utf8.next()
        if next == 46 {
            next = utf8.next()
            while let byte = next, byte >= 48, byte <= 57 {
                fraction += Double(byte - 48) * scale
                scale /= 10
                next = utf8.next()
            }
        }
        guard next == 90, utf8.next() == nil else { return nil }
        // Days from 1970-01-01 in the proleptic Gregorian calendar.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let whole = Double(days * 86_400 + hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: whole + fraction)
    }
}

/// What a segment says about its recording.
public struct TimelineHeader: Sendable, Codable, Hashable {
    /// The format's version (1).
    public var version: Int
    /// The recorded session's id.
    public var sessionId: String
    /// When the recording started.
    public var started: Date
    /// The segment's number (1, 2, …).
    public var segment: Int
    /// A header of segment `segment` of the recording of `sessionId`.
    public init(version: Int = 1, sessionId: String, started: Date, segment: Int) {
        self.version = version
        self.sessionId = sessionId
        self.started = started
        self.segment = segment
    }
}

/// A screenshot of the active tab in a recording.
public struct TimelineScreenshot: Sendable, Codable, Hashable {
    /// Why it was taken.
    public enum Reason: String, Sendable, Codable, Hashable {
        /// The screen when an action started.
        case before
        /// The screen once an action's effect showed (or the next action began).
        case after
        /// The screen while the page changes, at most once per interval.
        case interval
    }
    /// The JPEG, relative to the recording folder (`segment-000001/shots/000042.jpg`). One file may
    /// serve several records (the frame after one action is the frame before the next).
    public var file: String
    /// When the screen looked like this.
    public var timestamp: Date
    /// What it shows, in CSS pixels of the viewport.
    public var width: Double
    /// The height it shows, in CSS pixels of the viewport.
    public var height: Double
    /// The tab.
    public var target: String
    /// Why it was taken.
    public var reason: Reason
    /// For `before` and `after`: the sequence number of the action's `actionStarted` event.
    public var action: UInt64?

    /// A screenshot record.
    public init(file: String, timestamp: Date, width: Double, height: Double, target: String, reason: Reason, action: UInt64? = nil) {
        self.file = file
        self.timestamp = timestamp
        self.width = width
        self.height = height
        self.target = target
        self.reason = reason
        self.action = action
    }
}

/// Appends a session's events and screenshots to its recording folder as they happen, off the
/// agents' path: it reads the event stream and the shared screencast on its own tasks, and writes on
/// its own queue. A host killed at any moment leaves every line written up to the last quarter second.
final class TimelineRecorder: Sendable {
    let directory: String
    private let options: RecordingOptions
    private let sessionId: String
    private let started = Date()

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
        var lastFlush = Date()
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

    init(directory: String, options: RecordingOptions, sessionId: String) throws {
        self.directory = directory
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
                try? await Task.sleep(for: .milliseconds(100))
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
            defer { s.buffer.removeAll(keepingCapacity: true); s.lastFlush = Date() }
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
                s.lastActivity = Date()
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
            settle(now: Date(), all: false)
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
        settle(now: Date(), all: false)
    }

    /// While no screencast runs, the screen is captured once the page settles after a change (150 ms
    /// without activity), and at least once an interval while it keeps changing; never during a
    /// capture. Marks the capture as started.
    private func captureDue(interval: Duration) -> Bool {
        guard options.screenshots else { return false }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let now = Date()
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
        let now = Date()
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
            defer { s.buffer.removeAll(keepingCapacity: true); s.lastFlush = Date() }
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
        settle(now: Date(), all: true)
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

public import EventBuffer
public import Foundation
public import SharedSession

/// A recorded session, read back: every event by every participant and the screenshots, in order,
/// as values to filter and to export (``TimelineReport``, ``PlaywrightTrace``).
///
/// ```swift
/// var options = SharedBrowserSession.Options(id: "shop")
/// options.recording = RecordingOptions()
/// let session = try await SharedBrowserSession.start(options)
/// // … agents and people act …
/// let timeline = try await session.timeline()
/// for action in timeline.actions where action.failed { print(action.participant, action.title, action.error ?? "") }
/// try TimelineReport.write(timeline, to: "report.html")
/// ```
///
/// A recording is read from its folder (``init(directory:)``), also while the session still runs or
/// after its host was killed: a line cut short is skipped and counted in ``skippedLines``.
public struct Timeline: Sendable {
    /// One thing in the timeline: an event, or a screenshot.
    public enum Entry: Sendable, Hashable {
        /// An event of the session.
        case event(BrowserEvent)
        /// A screenshot of the active tab.
        case screenshot(TimelineScreenshot)

        /// When it happened.
        public var timestamp: Date {
            switch self {
            case .event(let event): event.timestamp
            case .screenshot(let shot): shot.timestamp
            }
        }
    }

    /// The recording folder (screenshot files are relative to it).
    public let directory: String
    /// The recorded session's id.
    public private(set) var sessionId: String
    /// When the recording started.
    public private(set) var started: Date
    /// Every entry, in the order recorded.
    public private(set) var entries: [Entry]
    /// Events the recorder missed (counted by the hub, never silently lost).
    public private(set) var missedEvents: Int
    /// Lines that could not be read (a line cut short when the host was killed).
    public private(set) var skippedLines: Int
    /// The page's document before and after actions (`TimelinePage`), in the order recorded.
    public private(set) var pages: [TimelinePage]

    /// Reads a recording folder.
    /// Recordings of format version 1 and 2 (`WireFormat`) open.
    /// - Throws: ``TimelineError`` when the folder holds no recording, or one of a newer format.
    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else {
            throw TimelineError("no recording at \(directory): the folder cannot be read")
        }
        let segments = names.filter { $0.hasPrefix("segment-") }.sorted()
        guard !segments.isEmpty else { throw TimelineError("no recording at \(directory): it has no segment-* folder") }
        var lines: [Data] = []
        for segment in segments {
            guard let data = fm.contents(atPath: "\(directory)/\(segment)/timeline.jsonl") else { continue }
            lines += data.split(separator: 0x0A, omittingEmptySubsequences: true)
        }
        let records = Self.decode(lines)
        var entries: [Entry] = []
        entries.reserveCapacity(records.count)
        var sessionId = "", started: Date?, missed = 0, skipped = 0
        var pages: [TimelinePage] = []
        for record in records {
            guard let record else {
                skipped += 1
                continue
            }
            switch record {
            case .header(let header):
                guard header.version <= WireFormat.version else {
                    throw TimelineError("the recording at \(directory) is format version \(header.version); this library reads versions 1 to \(WireFormat.version)")
                }
                if started == nil { started = header.started }
                sessionId = header.sessionId
            case .event(let event): entries.append(.event(event))
            case .screenshot(let shot): entries.append(.screenshot(shot))
            case .missed(let count): missed += count
            case .page(let page): pages.append(page)
            }
        }
        guard let started else { throw TimelineError("no recording at \(directory): no segment has a header line") }
        self.sessionId = sessionId
        self.started = started
        self.entries = entries
        self.missedEvents = missed
        self.skippedLines = skipped
        self.pages = pages
    }

    /// Decodes lines on every core, in order; nil for a line that does not decode.
    private static func decode(_ lines: [Data]) -> [TimelineRecord?] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount * 2, lines.count / 2000))
        let size = (lines.count + chunks - 1) / max(1, chunks)
        let results = ChunkResults(Array(repeating: [TimelineRecord?](), count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let decoder = TimelineRecord.makeDecoder()
            let range = (chunk * size)..<min(lines.count, (chunk + 1) * size)
            let decoded = range.map { try? decoder.decode(TimelineRecord.self, from: lines[$0]) }
            results.set(chunk, decoded)
        }
        return results.values.flatMap { $0 }
    }

    /// The events, in sequence order.
    public var events: [BrowserEvent] {
        entries.compactMap { if case .event(let event) = $0 { event } else { nil } }
    }

    /// The screenshots, in time order.
    public var screenshots: [TimelineScreenshot] {
        entries.compactMap { if case .screenshot(let shot) = $0 { shot } else { nil } }
    }

    /// When the last entry happened.
    public var ended: Date { entries.last?.timestamp ?? started }

    /// Everyone who caused something, in order of first appearance (agents, people, the system, the page).
    public var participants: [EventCause] {
        var seen: [EventCause] = []
        for event in events where !seen.contains(event.cause) { seen.append(event.cause) }
        return seen
    }

    /// The timeline with only the entries that match: events of these participants and kinds, in
    /// this time range (screenshots follow the time range, and the actions of the participants kept).
    public func filtered(participants: Set<EventCause>? = nil, kinds: Set<BrowserEvent.Kind>? = nil,
                         from start: Date? = nil, to end: Date? = nil) -> Timeline {
        var copy = self
        let keptActions = Set(actions.filter { participants?.contains($0.participant) ?? true }.map(\.sequence))
        copy.pages = pages.filter { page in
            !(start.map { page.timestamp < $0 } ?? false) && !(end.map { page.timestamp > $0 } ?? false)
                && (participants == nil || keptActions.contains(page.action))
        }
        copy.entries = entries.filter { entry in
            if let start, entry.timestamp < start { return false }
            if let end, entry.timestamp > end { return false }
            switch entry {
            case .event(let event):
                return (participants?.contains(event.cause) ?? true) && (kinds?.contains(event.kind) ?? true)
            case .screenshot(let shot):
                guard participants != nil, let action = shot.action else { return true }
                return keptActions.contains(action)
            }
        }
        return copy
    }

    /// The document of a page record (the JSON of its document element), read from the recording
    /// folder.
    public func document(_ page: TimelinePage) -> String? {
        FileManager.default.contents(atPath: "\(directory)/\(page.file)").map { String(decoding: $0, as: UTF8.self) }
    }

    /// The JPEG of a screenshot, read from the recording folder.
    public func image(_ shot: TimelineScreenshot) -> Data? {
        FileManager.default.contents(atPath: "\(directory)/\(shot.file)")
    }

    /// The actions, each with who took it, what happened and the screen before and after.
    public var actions: [TimelineAction] {
        var actions: [TimelineAction] = []
        var open: [String: Int] = [:]
        /// A person's raw input actions not yet folded into words, by the sequence of their
        /// `actionFinished` or `actionFailed`.
        var finished: [UInt64: Int] = [:]
        var url: [String: String] = [:]
        var lastURL = ""
        // An action's pictures, wherever their lines are (a before-shot is written as the action starts,
        // often before its event's line).
        var pictures: [UInt64: (before: TimelineScreenshot?, after: TimelineScreenshot?)] = [:]
        for case .screenshot(let shot) in entries {
            guard let sequence = shot.action else { continue }
            if shot.reason == .before { pictures[sequence, default: (nil, nil)].before = shot }
            if shot.reason == .after { pictures[sequence, default: (nil, nil)].after = shot }
        }
        var documents: [UInt64: (before: TimelinePage?, after: TimelinePage?)] = [:]
        for page in pages {
            if page.reason == .before { documents[page.action, default: (nil, nil)].before = page }
            if page.reason == .after { documents[page.action, default: (nil, nil)].after = page }
        }
        for entry in entries {
            switch entry {
            case .event(let event):
                let tab = event.target ?? ""
                if case .navigation(let info) = event.payload, info.isMainFrame, info.errorText == nil {
                    url[tab] = info.url
                    lastURL = info.url
                }
                if case .person(let info) = event.payload, event.kind == .personAction, info.firstInput == nil {
                    // A person's action that was not raw input (a click by selector, a navigation): its
                    // words name the action already listed.
                    if let index = actions.lastIndex(where: { $0.participant == event.cause && $0.name == info.verb && $0.words == nil }) {
                        actions[index].words = info.words
                    }
                    continue
                }
                if let said = Self.spoken(event) {
                    var entry = TimelineAction(sequence: event.sequence, participant: event.cause, name: said.name, target: nil,
                                               action: nil, tab: tab, started: event.timestamp, urlBefore: url[tab] ?? lastURL)
                    entry.words = said.words
                    entry.ended = event.timestamp
                    entry.urlAfter = url[tab] ?? lastURL
                    if case .person(let info) = event.payload {
                        entry.point = info.point
                        entry.box = info.box
                    }
                    if case .person(let info) = event.payload, let first = info.firstInput, let last = info.lastInput {
                        // The raw input it was resolved from folds into it: its first screen before, its last after.
                        let folded = finished.filter { $0.key >= first && $0.key <= last }.sorted { $0.key < $1.key }.map(\.value)
                            .filter { actions[$0].participant == event.cause }
                        finished = finished.filter { $0.key > last }
                        if let start = folded.first {
                            entry.started = actions[start].started
                            entry.before = actions[start].before
                            entry.urlBefore = actions[start].urlBefore
                            entry.after = folded.last.flatMap { actions[$0].after }
                            entry.pageBefore = actions[start].pageBefore
                            entry.pageAfter = folded.last.flatMap { actions[$0].pageAfter }
                            entry.inputs = folded.map { actions[$0].sequence }
                            entry.durationMilliseconds = event.timestamp.timeIntervalSince(actions[start].started) * 1000
                        }
                    }
                    actions.append(entry)
                    continue
                }
                guard case .action(let info) = event.payload else {
                    if event.isError { for index in open.values where actions[index].tab == tab || event.target == nil {
                        actions[index].errors.append(event.summary)
                    } }
                    continue
                }
                let key = "\(event.cause)|\(info.name)|\(tab)"
                switch event.kind {
                case .actionStarted:
                    open[key] = actions.count
                    var action = TimelineAction(sequence: event.sequence, participant: event.cause, name: info.name,
                                                target: info.target, action: info.action, tab: tab, started: event.timestamp,
                                                urlBefore: url[tab] ?? lastURL)
                    action.before = pictures[event.sequence]?.before
                    action.after = pictures[event.sequence]?.after
                    action.pageBefore = documents[event.sequence]?.before
                    action.pageAfter = documents[event.sequence]?.after
                    actions.append(action)
                case .actionFinished, .actionFailed:
                    guard let index = open.removeValue(forKey: key) else { continue }
                    if event.cause.kind == .human, Self.rawInput.contains(info.name) { finished[event.sequence] = index }
                    actions[index].ended = event.timestamp
                    actions[index].error = info.error
                    actions[index].durationMilliseconds = info.durationMilliseconds
                    if let value = info.action { actions[index].action = value }
                    actions[index].urlAfter = url[tab] ?? lastURL
                    actions[index].point = info.point
                    actions[index].box = info.box
                default: break
                }
            case .screenshot: continue
            }
        }
        // Raw input told in words is in its words' entry (``TimelineAction/inputs``); a person's mouse
        // moves and key releases, which do nothing of their own, stay in the events only.
        let folded = Set(actions.flatMap(\.inputs))
        return actions.filter { entry in
            guard !folded.contains(entry.sequence) else { return false }
            guard entry.participant.kind == .human, Self.rawInput.contains(entry.name), let params = entry.action?.params else { return true }
            return !(entry.name == "mouse" && params.event == "move") && !(entry.name == "key" && params.event == "up")
        }
    }

    /// A person's raw input kinds.
    static let rawInput: Set<String> = ["mouse", "key", "wheel", "insertText"]

    /// Entries that are not actions run: a person's action in words, a message, an approval's answer.
    static func spoken(_ event: BrowserEvent) -> (name: String, words: String)? {
        switch event.payload {
        case .person(let info) where event.kind == .personAction: return (info.verb, info.words)
        case .message(let text) where event.kind == .message: return ("message", "said \"\(text)\"")
        case .approval(let info) where event.kind == .approvalAnswered:
            let decision = info.decision ?? "answered"
            return ("approval", "\(decision) \(info.agent)'s \(info.words)" + (info.reason.map { " (\($0))" } ?? ""))
        default: return nil
        }
    }
}

extension Timeline {
    /// Writes the HTML report (`report.html`) and the Playwright trace (`trace.zip`) into the
    /// recording folder and returns their paths.
    /// - Throws: ``TimelineError`` when a file cannot be written.
    ///
    /// The two are written at the same time, on two cores.
    @discardableResult
    public func writeReportAndTrace() throws -> (report: String, trace: String) {
        let report = directory + "/report.html", trace = directory + "/trace.zip"
        let failures = ChunkErrors()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            do {
                if index == 0 { try TimelineReport.write(self, to: report) } else { try PlaywrightTrace.write(self, to: trace) }
            } catch {
                failures.add(error)
            }
        }
        if let first = failures.first { throw first }
        return (report, trace)
    }
}

/// Per-chunk results written from several threads, each to its own slot.
private final class ChunkResults: @unchecked Sendable {
    // `@unchecked`: `values` is written under `lock`, and read after every writer finished.
    private let lock = NSLock()
    private(set) var values: [[TimelineRecord?]]
    init(_ values: [[TimelineRecord?]]) { self.values = values }
    func set(_ index: Int, _ value: [TimelineRecord?]) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}

/// Errors from work on several threads.
private final class ChunkErrors: @unchecked Sendable {
    // `@unchecked`: `errors` is only touched under `lock`.
    private let lock = NSLock()
    private var errors: [any Error] = []
    func add(_ error: any Error) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }
    var first: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return errors.first
    }
}

/// One action in a timeline.
public struct TimelineAction: Sendable, Hashable {
    /// The sequence number of its `actionStarted` event.
    public var sequence: UInt64
    /// Who took it.
    public var participant: EventCause
    /// The action's name (`click`, `navigate`, `mouse`, …).
    public var name: String
    /// Its element or URL, if it has one.
    public var target: String?
    /// The action as data, secrets masked.
    public var action: BrowserAction?
    /// The tab it ran in.
    public var tab: String
    /// When it started.
    public var started: Date
    /// When it ended; nil when the recording ends first.
    public var ended: Date?
    /// What went wrong; nil when it succeeded.
    public var error: String?
    /// How long it took, in milliseconds; nil when the recording ends first.
    public var durationMilliseconds: Double?
    /// The active tab's URL when it started.
    public var urlBefore: String
    /// The URL when it ended.
    public var urlAfter: String?
    /// Errors while it ran (page errors, console errors, failed requests).
    public var errors: [String] = []
    /// The screen when it started.
    public var before: TimelineScreenshot?
    /// The screen after it (see `TimelineScreenshot/Reason/after`).
    public var after: TimelineScreenshot?
    /// What it did, in words, when known: `click button "Search"` (a person's input resolved to its
    /// element, or an agent's action with the element it reached), `said "…"` for a message,
    /// `approved agent:writer's click button "Create"` for an approval.
    public var words: String?
    /// For a person's action in words: the sequence numbers of the raw input actions (mouse, keys,
    /// wheel) it was resolved from, which the list leaves out.
    public var inputs: [UInt64] = []
    /// Where a click or tap landed, in CSS pixels of the viewport (marked on its pictures).
    public var point: ViewportPoint?
    /// The box of the element it acted on (clicked, typed into), in CSS pixels of the viewport.
    public var box: ElementBox?
    /// The page's document when it started (``Timeline/document(_:)`` reads it).
    public var pageBefore: TimelinePage?
    /// The page's document once its effects were done.
    public var pageAfter: TimelinePage?

    /// Whether it failed.
    public var failed: Bool { error != nil }
    /// Whether it is recorded with pictures before and after it: an action that can change the page
    /// (its declaration says so; a person's mouse moves and key releases aside), or a person's action in
    /// words. Reads, messages and approvals have none.
    public var isPictured: Bool {
        guard let action else { return words != nil && participant.kind == .human && name != "message" && name != "approval" }
        return action.changesWhatIsShown
    }
    /// One line: its ``words`` when known (`click button "Search"`), else `click #submit`.
    public var title: String { words ?? target.map { "\(name) \($0)" } ?? name }
}

/// A recording that cannot be read or written.
public struct TimelineError: Error, CustomStringConvertible, Sendable {
    /// What cannot be read or written, and where.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

extension SharedBrowserSession {
    /// The session's recording so far (the design's `get_timeline()`), optionally filtered.
    /// - Throws: ``TimelineError`` when the session does not record (`SharedBrowserSession/Options/recording`).
    public nonisolated func timeline(participants: Set<EventCause>? = nil, kinds: Set<BrowserEvent.Kind>? = nil,
                                     from start: Date? = nil, to end: Date? = nil) async throws -> Timeline {
        guard let directory = recordingDirectory else {
            throw TimelineError("the session records no timeline: set Options.recording when it starts")
        }
        flushRecording()
        let timeline = try Timeline(directory: directory)
        if participants == nil, kinds == nil, start == nil, end == nil { return timeline }
        return timeline.filtered(participants: participants, kinds: kinds, from: start, to: end)
    }
}

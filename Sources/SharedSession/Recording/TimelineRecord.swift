public import EventBuffer
public import Foundation

/// How a session records its timeline: every event, and screenshots of the active tab, appended to a
/// folder as they happen. Off unless ``SharedBrowserSession/Options/recording`` is set.
public struct RecordingOptions: Sendable {
    /// The folder of the recording; nil uses `Timelines/<date>-<time>` in the session's persistent
    /// profile, or `$XDG_DATA_HOME/shared-browser/timelines/<id>/<date>-<time>` without one. Created
    /// with mode 0700.
    public var directory: String?
    /// Screenshots before and after each action that can change the page (see ``pictureWait``), and,
    /// while a person watches the live view, one each interval while the page changes. Default true.
    public var screenshots = true
    /// How often the screen is recorded while a person watches the live view and the page changes
    /// (frames of its screencast; nothing while the page stays still, nor while nobody watches).
    /// Default 1 s.
    public var screenshotInterval: Duration = .seconds(1)
    /// JPEG quality of an action's pictures (at most 800 pixels wide), and of the live view's frames
    /// kept each interval (there the live view's, when it asks for more, wins: there is one
    /// screencast). Default 60.
    public var screenshotQuality = 60
    /// The most the recording may take on disk; beyond it the oldest segments are removed. Default
    /// 500 MiB.
    public var maxBytes = 500 << 20
    /// How long an action waits, before it starts, for the picture after the action before it on its
    /// tab. The screen is captured as each action's effects are done (beside the rest of the action),
    /// and the capture is that action's "after" picture only if it comes back before the next action
    /// on the tab starts: else it could show the next one's effects, and the action has no picture.
    /// A capture takes one or two frames of the page (17–35 ms), so an agent that thinks between
    /// steps always gets its pictures, and a script that acts back to back gets none between such
    /// steps — unless it sets a wait here, which costs it up to a capture per step. Default `.zero`.
    public var pictureWait: Duration = .zero
    /// The page's document before and after each action that gets pictures (``TimelinePage``): what
    /// the Playwright trace shows as each step's page, with its text. Read in the page's own order, so
    /// each is of its moment even between back-to-back steps. Default true.
    public var pageSnapshots = true

    /// Recording settings; `directory` nil records in the profile's `Timelines/` folder (without a
    /// profile, under `shared-browser/timelines/<id>/` in the data folder), one folder per start.
    public init(directory: String? = nil, screenshots: Bool = true, screenshotInterval: Duration = .seconds(1),
                screenshotQuality: Int = 60, maxBytes: Int = 500 << 20, pictureWait: Duration = .zero, pageSnapshots: Bool = true) {
        self.pictureWait = pictureWait
        self.pageSnapshots = pageSnapshots
        self.directory = directory
        self.screenshots = screenshots
        self.screenshotInterval = screenshotInterval
        self.screenshotQuality = screenshotQuality
        self.maxBytes = maxBytes
    }
}

/// One line of a recording's `timeline.jsonl`: `{"type":"header"|"event"|"screenshot"|"page"|"missed", …}`.
///
/// A recording folder holds segments `segment-000001/`, `segment-000002/`, …, each with a
/// `timeline.jsonl` (these records, one per line, appended as they happen), a `shots/` folder of
/// JPEGs and a `pages/` folder of documents (``TimelinePage``). A line cut short by a killed host is skipped by readers.
public enum TimelineRecord: Sendable, Codable {
    /// The first line of each segment.
    case header(TimelineHeader)
    /// An event of the session, as published (secrets already redacted).
    case event(BrowserEvent)
    /// A screenshot written to the segment's `shots/` folder.
    case screenshot(TimelineScreenshot)
    /// Events the recorder could not keep up with (counted, never silently lost).
    case missed(Int)
    /// The page's document before or after an action, written to the segment's `pages/` folder.
    case page(TimelinePage)

    private enum CodingKeys: String, CodingKey { case type, header, event, screenshot, count, page }

    /// Decodes a line of a recording (its `type` says which record).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "header": self = .header(try c.decode(TimelineHeader.self, forKey: .header))
        case "event": self = .event(try c.decode(BrowserEvent.self, forKey: .event))
        case "screenshot": self = .screenshot(try c.decode(TimelineScreenshot.self, forKey: .screenshot))
        case "missed": self = .missed(try c.decode(Int.self, forKey: .count))
        case "page": self = .page(try c.decode(TimelinePage.self, forKey: .page))
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
        case .page(let page):
            try c.encode("page", forKey: .type)
            try c.encode(page, forKey: .page)
        }
    }

    /// The encoder and decoder of the format (dates as ISO 8601 UTC with milliseconds,
    /// `2026-11-28T10:15:00.123Z`).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(WireFormat.formatTime(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    /// The decoder that reads recording lines (ISO 8601 times, with or without fractions of a second).
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = WireFormat.parseTime(text) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
        }
        return decoder
    }
}

/// What a segment says about its recording.
public struct TimelineHeader: Sendable, Codable, Hashable {
    /// The format's version: `WireFormat/version` (2) when written by this library; recordings of
    /// version 1 (events in Swift's own coding) are still read.
    public var version: Int
    /// The recorded session's id.
    public var sessionId: String
    /// When the recording started.
    public var started: Date
    /// The segment's number (1, 2, …).
    public var segment: Int
    /// A header of segment `segment` of the recording of `sessionId`.
    public init(version: Int = WireFormat.version, sessionId: String, started: Date, segment: Int) {
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
        /// The screen before an action: the after-shot of the action just before it on the tab, in the
        /// same document, with nothing else started in between.
        case before
        /// The screen captured as an action's effects were done, kept only if it came back before the
        /// next action on the tab started (``RecordingOptions/pictureWait``).
        case after
        /// A frame of the live view's screencast while the page changes, at most once per interval.
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

/// The page's document before or after an action in a recording: its elements, text and field values
/// as JSON in the segment's `pages/` folder, in the form of Playwright's trace snapshots (an element
/// `["TAG", {attributes}, child, …]`, a text node a string; a field's value in the attribute
/// `__playwright_value_`, never for a field that takes a secret). Scripts and event handlers are left
/// out; same-origin style sheets are inlined.
public struct TimelinePage: Sendable, Codable, Hashable {
    /// The JSON of the document element, relative to the recording folder
    /// (`segment-000001/pages/000042.json`). One file may serve several records (the page after one
    /// action is the page before the next).
    public var file: String
    /// When the document was read.
    public var timestamp: Date
    /// The tab.
    public var target: String
    /// The document's URL (secrets in it masked).
    public var url: String
    /// Its doctype's name (`html`), or nil without one.
    public var doctype: String?
    /// The viewport's width, in CSS pixels.
    public var width: Double
    /// The viewport's height, in CSS pixels.
    public var height: Double
    /// `before` or `after` the action.
    public var reason: TimelineScreenshot.Reason
    /// The sequence number of the action's `actionStarted` event.
    public var action: UInt64
    /// How many elements and text nodes it holds.
    public var nodes: Int
    /// Whether the document had more nodes than were kept.
    public var truncated: Bool

    /// A page record.
    public init(file: String, timestamp: Date, target: String, url: String, doctype: String?, width: Double, height: Double,
                reason: TimelineScreenshot.Reason, action: UInt64, nodes: Int, truncated: Bool) {
        self.file = file
        self.timestamp = timestamp
        self.target = target
        self.url = url
        self.doctype = doctype
        self.width = width
        self.height = height
        self.reason = reason
        self.action = action
        self.nodes = nodes
        self.truncated = truncated
    }
}

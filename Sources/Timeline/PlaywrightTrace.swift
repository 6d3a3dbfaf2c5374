import EventBuffer
import Foundation
import SharedSession
import ZIPFoundation

/// Writes a timeline as a Playwright trace (`trace.zip`), to open with the viewer people know:
/// `playwright show-trace trace.zip`, or `playwright trace actions` on the command line.
///
/// The trace is format version 8, which the viewer of Playwright 1.65 reads (it upgrades older
/// versions as it loads them):
/// - `trace.trace`: JSON lines — `context-options` (version 8, the viewport), then in time order a
///   `before` / `log` / `after` triple per action (the title names the participant: `agent:collector
///   click #submit`; control changes, crashes and relaunches appear as zero-length actions of class
///   `Session`), an `input` with the point and box an action acted on, `frame-snapshot`s of the
///   page's document before, as and after each action (`TimelinePage`), a `screencast-frame` per
///   screenshot, and a `console` entry per console message and page error (`error`);
/// - `trace.network`: empty (requests are not exported);
/// - `resources/<name>.jpeg`: the screenshots, named in the frames' `sha1` field.
public enum PlaywrightTrace {
    /// The trace format version written.
    public static let version = 8

    /// Writes `timeline` to a zip file at `path` (replacing one there).
    /// - Throws: ``TimelineError`` when the file cannot be written.
    public static func write(_ timeline: Timeline, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.removeItem(at: url)
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .create) } catch {
            throw TimelineError("cannot create \(path): \(error)")
        }
        let (lines, resources) = traceLines(timeline)
        do {
            try add(Data(lines.joined(separator: "\n").utf8 + [0x0A]), as: "trace.trace", to: archive, compressed: true)
            try add(Data(), as: "trace.network", to: archive, compressed: false)
            for (name, file) in resources {
                guard let jpeg = FileManager.default.contents(atPath: "\(timeline.directory)/\(file)") else { continue }
                try add(jpeg, as: "resources/\(name)", to: archive, compressed: false)
            }
        } catch {
            throw TimelineError("cannot write \(path): \(error)")
        }
        // It holds the session's screens: for its owner only, as the recording is.
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    private static func add(_ data: Data, as name: String, to archive: Archive, compressed: Bool) throws {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count),
                             compressionMethod: compressed ? .deflate : .none, bufferSize: 1 << 20) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    /// The lines of `trace.trace` and the resources they name (name → file in the recording).
    static func traceLines(_ timeline: Timeline) -> ([String], [(String, String)]) {
        let origin = timeline.started
        func ms(_ date: Date) -> JSON { .number((date.timeIntervalSince(origin) * 1000).rounded()) }
        let shots = timeline.screenshots
        let viewport = shots.first.map { (Int($0.width), Int($0.height)) } ?? (1280, 720)
        var lines: [String] = [JSON.object([
            ("version", .int(version)), ("type", "context-options"), ("origin", "library"), ("browserName", "chromium"),
            ("platform", "linux"), ("wallTime", .number((origin.timeIntervalSince1970 * 1000).rounded())), ("monotonicTime", .int(0)),
            ("title", .string("SharedBrowser session \(timeline.sessionId)")), ("sdkLanguage", "javascript"), ("contextId", "context@1"),
            ("options", .object([("viewport", .object([("width", .int(viewport.0)), ("height", .int(viewport.1))])),
                                 ("deviceScaleFactor", .int(1)), ("isMobile", .bool(false))])),
        ]).text]
        // Each action's lines at its start; frames, console and session changes as they happened.
        var timed: [(Double, Int, String)] = []
        func add(_ date: Date, _ fields: [(String, JSON)]) {
            timed.append((date.timeIntervalSince(origin), timed.count, JSON.object(fields).text))
        }
        let paramsEncoder = JSONEncoder()
        paramsEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for action in timeline.actions {
            let callId = JSON.string("call@\(action.sequence)")
            let end = action.ended ?? action.started
            let params = action.action.flatMap { try? paramsEncoder.encode($0.params) }.map { JSON.raw(String(decoding: $0, as: UTF8.self)) }
            add(action.started, [("type", "before"), ("callId", callId), ("startTime", ms(action.started)), ("class", "Page"),
                                 ("method", .string(action.name)), ("title", .string("\(action.participant) \(action.title)")),
                                 ("params", params ?? .object([])), ("pageId", .string(pageId(action.tab)))])
            add(action.started, [("type", "log"), ("callId", callId), ("time", ms(action.started)),
                                 ("message", .string("by \(action.participant) at \(action.urlBefore)"))])
            // Where it acted: the viewer marks the point and the box on the page.
            var input: [(String, JSON)] = [("type", "input"), ("callId", callId)]
            if let point = action.point { input.append(("point", .object([("x", .number(point.x)), ("y", .number(point.y))]))) }
            if let box = action.box {
                input.append(("box", .object([("x", .number(box.x)), ("y", .number(box.y)), ("width", .number(box.width)),
                                              ("height", .number(box.height))])))
            }
            if input.count > 2 { add(action.started, input) }
            // The page itself before (and as it acted) and after.
            for (phase, page) in [("before", action.pageBefore), ("action", action.pageBefore), ("after", action.pageAfter)] {
                guard let page, let html = timeline.document(page) else { continue }
                let frame = JSON.string("frame@" + (page.target.isEmpty ? "browser" : page.target))
                add(page.timestamp, [("type", "frame-snapshot"), ("snapshot", .object([
                    ("callId", callId), ("phase", .string(phase)), ("pageId", .string(pageId(page.target))), ("frameId", frame),
                    ("frameUrl", .string(page.url)), ("doctype", page.doctype.map { .string($0) } ?? .null), ("html", .raw(html)),
                    ("viewport", .object([("width", .int(Int(page.width))), ("height", .int(Int(page.height)))])),
                    ("timestamp", ms(page.timestamp)), ("wallTime", .number((page.timestamp.timeIntervalSince1970 * 1000).rounded())),
                    ("collectionTime", .int(0)), ("resourceOverrides", .array([])), ("isMainFrame", .bool(true)),
                ]))])
            }
            for error in action.errors { add(end, [("type", "log"), ("callId", callId), ("time", ms(end)), ("message", .string(error))]) }
            if action.after == nil, action.isPictured {
                // The film strip's frames are of other moments: said, not left to be taken for this one's.
                add(end, [("type", "log"), ("callId", callId), ("time", ms(end)),
                          ("message", "no picture of the screen after it (the next action began before the screen was captured)")])
            }
            var after: [(String, JSON)] = [("type", "after"), ("callId", callId), ("endTime", ms(end))]
            if let error = action.error { after.append(("error", .object([("message", .string(error)), ("name", "Error")]))) }
            add(end, after)
        }
        var resources: [(String, String)] = []
        var named: [String: String] = [:]
        for shot in shots {
            let name: String
            if let existing = named[shot.file] { name = existing } else {
                name = shot.file.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ".jpg", with: ".jpeg")
                named[shot.file] = name
                resources.append((name, shot.file))
            }
            add(shot.timestamp, [("type", "screencast-frame"), ("pageId", .string(pageId(shot.target))), ("sha1", .string(name)),
                                 ("width", .int(Int(shot.width))), ("height", .int(Int(shot.height))), ("timestamp", ms(shot.timestamp))])
        }
        let noLocation = JSON.object([("url", ""), ("lineNumber", .int(0)), ("columnNumber", .int(0))])
        for event in timeline.events {
            let page = JSON.string(pageId(event.target ?? ""))
            switch event.payload {
            case .console(let info):
                add(event.timestamp, [("type", "console"), ("time", ms(event.timestamp)), ("pageId", page), ("messageType", .string(info.level)),
                                      ("text", .string(info.text)),
                                      ("location", .object([("url", .string(info.location ?? "")), ("lineNumber", .int(0)), ("columnNumber", .int(0))]))])
            case .pageError(let info):
                add(event.timestamp, [("type", "console"), ("time", ms(event.timestamp)), ("pageId", page), ("messageType", "error"),
                                      ("text", .string("Uncaught " + info.message)), ("location", noLocation)])
            case .control, .recovery:
                let callId = JSON.string("event@\(event.sequence)")
                add(event.timestamp, [("type", "before"), ("callId", callId), ("startTime", ms(event.timestamp)), ("class", "Session"),
                                      ("method", .string(event.kind.rawValue)), ("title", .string(event.summary)), ("params", .object([])),
                                      ("pageId", page)])
                add(event.timestamp, [("type", "after"), ("callId", callId), ("endTime", ms(event.timestamp))])
            default: break
            }
        }
        timed.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        lines += timed.map(\.2)
        return (lines, resources)
    }

    /// Just enough JSON to write trace lines fast (JSONSerialization is slow on Linux).
    enum JSON: ExpressibleByStringLiteral {
        case string(String)
        case number(Double)
        case int(Int)
        case bool(Bool)
        case object([(String, JSON)])
        case array([JSON])
        case null
        /// Already JSON.
        case raw(String)

        init(stringLiteral value: String) { self = .string(value) }

        var text: String {
            var out = ""
            write(to: &out)
            return out
        }

        func write(to out: inout String) {
            switch self {
            case .string(let value): Self.quote(value, to: &out)
            case .number(let value): out += value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "null"
            case .int(let value): out += String(value)
            case .bool(let value): out += value ? "true" : "false"
            case .raw(let value): out += value
            case .null: out += "null"
            case .array(let values):
                out += "["
                for (index, value) in values.enumerated() {
                    if index > 0 { out += "," }
                    value.write(to: &out)
                }
                out += "]"
            case .object(let fields):
                out += "{"
                for (index, (key, value)) in fields.enumerated() {
                    if index > 0 { out += "," }
                    Self.quote(key, to: &out)
                    out += ":"
                    value.write(to: &out)
                }
                out += "}"
            }
        }

        static func quote(_ value: String, to out: inout String) {
            out += "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            out += "\""
        }
    }

    private static func pageId(_ tab: String) -> String { "page@" + (tab.isEmpty ? "browser" : tab) }

}

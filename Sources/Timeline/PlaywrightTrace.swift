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
///   `Session`), a `screencast-frame` per screenshot, and a `console` entry per console message
///   and page error (`error`);
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
    }

    private static func add(_ data: Data, as name: String, to archive: Archive, compressed: Bool) throws {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count),
                             compressionMethod: compressed ? .deflate : .none) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    /// The lines of `trace.trace` and the resources they name (name → file in the recording).
    static func traceLines(_ timeline: Timeline) -> ([String], [(String, String)]) {
        let origin = timeline.started
        func ms(_ date: Date) -> Double { (date.timeIntervalSince(origin) * 1000).rounded() }
        let shots = timeline.screenshots
        let viewport = shots.first.map { (Int($0.width), Int($0.height)) } ?? (1280, 720)
        var lines: [String] = [json([
            "version": version, "type": "context-options", "origin": "library", "browserName": "chromium",
            "platform": "linux", "wallTime": (origin.timeIntervalSince1970 * 1000).rounded(), "monotonicTime": 0,
            "title": "SharedBrowser session \(timeline.sessionId)", "sdkLanguage": "javascript", "contextId": "context@1",
            "options": ["viewport": ["width": viewport.0, "height": viewport.1], "deviceScaleFactor": 1, "isMobile": false],
        ])]
        // Each action's lines at its start; frames, console and session changes as they happened.
        var timed: [(Double, Int, String)] = []
        var order = 0
        func add(_ time: Double, _ object: [String: Any]) {
            order += 1
            timed.append((time, order, json(object)))
        }
        for action in timeline.actions {
            let callId = "call@\(action.sequence)"
            let start = ms(action.started)
            let end = action.ended.map(ms) ?? start
            var params: [String: Any] = [:]
            if let value = action.action, let data = try? JSONEncoder().encode(value.params),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] { params = object }
            add(start, ["type": "before", "callId": callId, "startTime": start, "class": "Page", "method": action.name,
                        "title": "\(action.participant) \(action.title)", "params": params, "pageId": pageId(action.tab)])
            add(start, ["type": "log", "callId": callId, "time": start,
                        "message": "by \(action.participant) at \(action.urlBefore)"])
            for error in action.errors { add(end, ["type": "log", "callId": callId, "time": end, "message": error]) }
            var after: [String: Any] = ["type": "after", "callId": callId, "endTime": end]
            if let error = action.error { after["error"] = ["message": error, "name": "Error"] }
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
            add(ms(shot.timestamp), ["type": "screencast-frame", "pageId": pageId(shot.target), "sha1": name,
                                     "width": Int(shot.width), "height": Int(shot.height), "timestamp": ms(shot.timestamp)])
        }
        for event in timeline.events {
            let time = ms(event.timestamp)
            switch event.payload {
            case .console(let info):
                add(time, ["type": "console", "time": time, "pageId": pageId(event.target ?? ""), "messageType": info.level,
                           "text": info.text, "location": ["url": info.location ?? "", "lineNumber": 0, "columnNumber": 0]])
            case .pageError(let info):
                add(time, ["type": "console", "time": time, "pageId": pageId(event.target ?? ""), "messageType": "error",
                           "text": "Uncaught " + info.message, "location": ["url": "", "lineNumber": 0, "columnNumber": 0]])
            case .control, .recovery:
                let callId = "event@\(event.sequence)"
                add(time, ["type": "before", "callId": callId, "startTime": time, "class": "Session", "method": event.kind.rawValue,
                           "title": event.summary, "params": [:] as [String: Any], "pageId": pageId(event.target ?? "")])
                add(time, ["type": "after", "callId": callId, "endTime": time])
            default: break
            }
        }
        timed.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        lines += timed.map(\.2)
        return (lines, resources)
    }

    private static func pageId(_ tab: String) -> String { "page@" + (tab.isEmpty ? "browser" : tab) }

    private static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
import LiveView
import Logging
import SharedSession

/// The server's loggers. Logs go to stderr as JSON lines (``JSONLogHandler``), at `notice` and above
/// unless `SHARED_BROWSER_LOG_LEVEL` says otherwise.
enum ServerLog {
    /// Refused connections and clients, and limits hit.
    static let limits = Logger(label: "shared-browser-mcp.limits")

    /// Sends every logger of the process to stderr as JSON lines.
    static func bootstrap() {
        let level = ProcessInfo.processInfo.environment["SHARED_BROWSER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// One JSON object per line on stderr: `time`, `level`, `label`, `message` and the metadata's fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .notice
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        fields["time"] = Date().formatted(.iso8601)
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        if let error = event.error { fields["error"] = "\(error)" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard var data = try? encoder.encode(fields) else { return }
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(data)
    }
}

/// The server's state in the Prometheus text format (version 0.0.4), for `GET /metrics`.
enum MetricsText {
    /// What the HTTP door counted.
    struct Door: Sendable {
        var connections = 0
        var clients = 0
        /// Refusals by reason (`too_many_connections`, `too_many_clients`, `unauthorized`, ...).
        var refused: [String: Int] = [:]
    }

    static func render(door: Door, sessions: [(id: String, session: SharedBrowserSession, liveView: LiveView?)]) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += "\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(sample.value)\n" }
        }
        func label(_ pairs: KeyValuePairs<String, String>) -> String {
            pairs.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
        }
        metric("sharedbrowser_sessions", "gauge", "Shared sessions open.", [("", "\(sessions.count)")])
        metric("sharedbrowser_mcp_clients", "gauge", "MCP clients connected over HTTP.", [("", "\(door.clients)")])
        metric("sharedbrowser_http_connections", "gauge", "HTTP connections open to the MCP endpoint.", [("", "\(door.connections)")])
        var refused = door.refused.sorted { $0.key < $1.key }.map { (label(["door": "mcp", "reason": $0.key]), "\($0.value)") }
        for entry in sessions {
            if let view = entry.liveView {
                refused.append((label(["door": "live_view", "reason": "connection_limits", "session": entry.id]), "\(view.refusedConnections)"))
            }
        }
        metric("sharedbrowser_connections_refused_total", "counter", "Connections and requests turned away, by door and reason.", refused)
        metric("sharedbrowser_live_view_viewers", "gauge", "People and programs watching a session's live view.",
               sessions.compactMap { entry in entry.liveView.map { (label(["session": entry.id]), "\($0.viewerCount)") } })
        metric("sharedbrowser_live_view_frames_sent_total", "counter", "Screen frames sent to viewers.",
               sessions.compactMap { entry in entry.liveView.map { (label(["session": entry.id]), "\($0.framesSent)") } })
        metric("sharedbrowser_live_view_frames_dropped_total", "counter", "Frames replaced by a newer one before a slow viewer drew the last.",
               sessions.compactMap { entry in entry.liveView.map { (label(["session": entry.id]), "\($0.framesDropped)") } })
        metric("sharedbrowser_live_view_events_dropped_total", "counter", "Events not sent to a viewer over 1 MiB behind.",
               sessions.compactMap { entry in entry.liveView.map { (label(["session": entry.id]), "\($0.eventsDropped)") } })
        var counts: [(String, String)] = [], sums: [(String, String)] = [], buckets: [(String, String)] = []
        var bytes: [(String, String)] = []
        for entry in sessions {
            let statistics = entry.session.statistics
            bytes.append((label(["session": entry.id]), "\(statistics.recordingBytes)"))
            for (key, tally) in statistics.actions.sorted(by: { ($0.key.kind, $0.key.outcome) < ($1.key.kind, $1.key.outcome) }) {
                let base = label(["session": entry.id, "kind": key.kind, "outcome": key.outcome])
                counts.append((base, "\(tally.count)"))
                sums.append((base, String(format: "%.6f", tally.totalSeconds)))
                for (index, bound) in SessionStatistics.bucketBounds.enumerated() {
                    buckets.append((base + ",le=\"\(bound)\"", "\(tally.buckets[index])"))
                }
                buckets.append((base + ",le=\"+Inf\"", "\(tally.count)"))
            }
        }
        metric("sharedbrowser_actions_total", "counter", "Actions by session, kind and outcome (ok or the error code).", counts)
        out += "# HELP sharedbrowser_action_duration_seconds How long actions took.\n# TYPE sharedbrowser_action_duration_seconds histogram\n"
        for (labels, value) in buckets { out += "sharedbrowser_action_duration_seconds_bucket{\(labels)} \(value)\n" }
        for (labels, value) in sums { out += "sharedbrowser_action_duration_seconds_sum{\(labels)} \(value)\n" }
        for (labels, value) in counts { out += "sharedbrowser_action_duration_seconds_count{\(labels)} \(value)\n" }
        metric("sharedbrowser_recording_bytes", "gauge", "Bytes a session's recording holds on disk.", bytes)
        return out
    }

    /// A label value with `\`, `"` and line breaks escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

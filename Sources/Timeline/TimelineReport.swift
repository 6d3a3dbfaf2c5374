import EventBuffer
import Foundation
import SharedSession

/// Writes a timeline as one self-contained HTML file a person opens in any browser, without a server:
/// a film strip of the screen, one lane per participant (each agent, each person, the system, the
/// page) with its actions on a time axis, control hand-offs and crashes marked across the lanes, every
/// action with its screen before and after, its URL and its errors, and every event; filters by
/// participant and by kind. The screenshots are inside the file; nothing is loaded from elsewhere (a
/// Content-Security-Policy allows only the file's own script, style and images).
public enum TimelineReport {
    /// The most film-strip pictures (evenly chosen from the screenshots).
    public static let filmStripLimit = 240

    /// Writes the report to `path`.
    /// - Throws: ``TimelineError`` when the file cannot be written.
    public static func write(_ timeline: Timeline, to path: String) throws {
        let html = Data(self.html(timeline).utf8)
        guard FileManager.default.createFile(atPath: path, contents: html, attributes: [.posixPermissions: 0o600]) else {
            throw TimelineError("cannot write \(path)")
        }
    }

    /// The report's HTML.
    public static func html(_ timeline: Timeline) -> String {
        let start = timeline.started
        let span = max(0.001, timeline.ended.timeIntervalSince(start))
        func percent(_ date: Date) -> String { String(format: "%.3f", max(0, min(100, date.timeIntervalSince(start) / span * 100))) }
        func clock(_ date: Date) -> String { String(format: "+%.1f s", date.timeIntervalSince(start)) }
        let actions = timeline.actions
        let events = timeline.events
        let participants = timeline.participants

        // Screenshots: each file once, referenced by id.
        var shotIds: [String: Int] = [:]
        var shotData: [String] = []
        func shotId(_ shot: TimelineScreenshot) -> Int? {
            if let id = shotIds[shot.file] { return id }
            guard let jpeg = timeline.image(shot) else { return nil }
            let id = shotData.count
            shotIds[shot.file] = id
            shotData.append(jpeg.base64EncodedString())
            return id
        }
        func img(_ shot: TimelineScreenshot?, _ label: String) -> String {
            guard let shot, let id = shotId(shot) else { return #"<figure class="shot none"><figcaption>\#(label): no screenshot</figcaption></figure>"# }
            return #"<figure class="shot"><img data-shot="\#(id)" alt="\#(label)" width="\#(Int(shot.width))" height="\#(Int(shot.height))"><figcaption>\#(label) · \#(clock(shot.timestamp))</figcaption></figure>"#
        }

        var out = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Timeline of \(escape(timeline.sessionId))</title>
        <style>\(css)</style>
        </head>
        <body>
        <header>
        <h1>Timeline of session <span id="session">\(escape(timeline.sessionId))</span></h1>
        <p id="summary">\(escape(start.formatted(.iso8601))) · \(String(format: "%.1f", span)) s · \(actions.count) actions · \(participants.count) participants\
        \(timeline.missedEvents > 0 ? " · \(timeline.missedEvents) events missed" : "")</p>
        <form id="filters"><fieldset><legend>Participants</legend>
        """
        for participant in participants {
            let name = escape(participant.description)
            out += #"<label><input type="checkbox" name="participant" value="\#(name)" checked> \#(name)</label> "#
        }
        out += """
        </fieldset><label>Kind <select id="kind"><option value="">everything</option><option value="action">actions</option>\
        <option value="error">errors</option><option value="control">control</option><option value="navigation">navigation</option>\
        <option value="console">console</option><option value="network">network</option><option value="lifecycle">crashes and recovery</option>\
        </select></label></form>
        </header>
        <section id="filmstrip" aria-label="Film strip">
        """
        let shots = timeline.screenshots
        var seenFiles = Set<String>()
        let distinct = shots.filter { seenFiles.insert($0.file).inserted }
        let stride = max(1, Int((Double(distinct.count) / Double(filmStripLimit)).rounded(.up)))
        for (index, shot) in distinct.enumerated() where index % stride == 0 {
            guard let id = shotId(shot) else { continue }
            out += #"<figure class="frame" style="left:\#(percent(shot.timestamp))%"><img data-shot="\#(id)" alt="screen at \#(clock(shot.timestamp))"><figcaption>\#(clock(shot.timestamp))</figcaption></figure>"#
        }
        out += #"</section>\#n<section id="lanes" aria-label="Lanes">"#
        // Hand-offs and crashes across every lane.
        var marks = ""
        for event in events {
            let kind: String
            switch event.kind {
            case .control: kind = "control"
            case .browserCrashed, .browserRestarted, .disconnected, .reconnected, .targetCrashed: kind = "lifecycle"
            default: continue
            }
            marks += #"<span class="mark \#(kind)" style="left:\#(percent(event.timestamp))%" title="\#(escape(event.summary)) at \#(clock(event.timestamp))"></span>"#
        }
        for participant in participants {
            let name = escape(participant.description)
            out += #"<div class="lane \#(participant.kind.rawValue)" data-participant="\#(name)"><span class="lane-name">\#(name)</span><div class="track">\#(marks)"#
            for action in actions where action.participant == participant {
                let end = action.ended ?? action.started
                let width = max(0.15, end.timeIntervalSince(action.started) / span * 100)
                out += ##"<a class="act\##(action.failed ? " failed" : "")" href="#a\##(action.sequence)" style="left:\##(percent(action.started))%;width:\##(String(format: "%.3f", width))%" title="\##(escape(action.title)) at \##(clock(action.started))"></a>"##
            }
            out += "</div></div>\n"
        }
        out += #"</section>\#n<section id="actions" aria-label="Actions"><h2>Actions</h2>\#n"#
        for action in actions {
            let name = escape(action.participant.description)
            let url = action.urlAfter.flatMap { $0 != action.urlBefore ? "\(short(action.urlBefore)) → \(short($0))" : nil } ?? short(action.urlBefore)
            out += #"<article class="action\#(action.failed ? " failed" : "")" id="a\#(action.sequence)" data-participant="\#(name)" data-kind="action\#(action.failed || !action.errors.isEmpty ? " error" : "")">"#
            out += #"<h3><span class="time">\#(clock(action.started))</span> <span class="who \#(action.participant.kind.rawValue)">\#(name)</span> \#(short(action.title))"#
            if let ms = action.durationMilliseconds { out += #" <span class="duration">\#(Int(ms)) ms</span>"# }
            out += "</h3>"
            if let error = action.error { out += #"<p class="error">\#(escape(error))</p>"# }
            out += #"<p class="url">\#(url)</p>"#
            if !action.errors.isEmpty {
                out += #"<ul class="errors">"# + action.errors.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
            }
            if action.before != nil || action.after != nil {
                out += #"<div class="shots">\#(img(action.before, "before"))\#(img(action.after, "after"))</div>"#
            }
            out += "</article>\n"
        }
        out += #"</section>\#n<section id="events" aria-label="Events"><h2>Events</h2><table><thead><tr><th>#</th><th>time</th><th>who</th><th>kind</th><th>what</th></tr></thead><tbody>\#n"#
        for event in events {
            let name = escape(event.cause.description)
            let kind = Self.kindClass(event)
            out += #"<tr data-participant="\#(name)" data-kind="\#(kind)"\#(event.isError ? #" class="error""# : "")><td>\#(event.sequence)</td><td>\#(clock(event.timestamp))</td><td>\#(name)</td><td>\#(event.kind.rawValue)</td><td>\#(short(event.summary))</td></tr>\#n"#
        }
        out += "</tbody></table></section>\n"
        out += #"<script id="shots" type="application/json">["# + shotData.map { "\"\($0)\"" }.joined(separator: ",") + "]</script>\n"
        out += "<script>\(script)</script>\n</body>\n</html>\n"
        return out
    }

    /// The filter group of an event: action, error, control, navigation, console, network, lifecycle.
    static func kindClass(_ event: BrowserEvent) -> String {
        var kinds: [String] = []
        switch event.kind {
        case .actionStarted, .actionFinished, .actionFailed: kinds.append("action")
        case .control: kinds.append("control")
        case .navigation, .pageLoaded, .titleChanged, .tabActivated, .targetCreated, .targetClosed: kinds.append("navigation")
        case .console, .pageError: kinds.append("console")
        case .request, .response, .requestFailed, .downloadStarted, .downloadProgress, .downloadFinished: kinds.append("network")
        case .browserCrashed, .browserRestarted, .disconnected, .reconnected, .targetCrashed, .eventsMissed: kinds.append("lifecycle")
        default: kinds.append("other")
        }
        if event.isError { kinds.append("error") }
        return kinds.joined(separator: " ")
    }

    /// Escaped, and cut to 160 characters (a `data:` URL can be very long), the whole text in a tooltip.
    static func short(_ text: String) -> String {
        guard text.count > 160 else { return escape(text) }
        return #"<span title="\#(escape(text))">\#(escape(String(text.prefix(160))))…</span>"#
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let css = """
    *{box-sizing:border-box}body{margin:0;font:14px system-ui,sans-serif;color:#222;background:#fafafa}
    header{padding:12px 16px;background:#1f2933;color:#eee}h1{font-size:18px;margin:0 0 4px}#summary{margin:0 0 8px;color:#bbb}
    #filters{display:flex;gap:16px;align-items:center;flex-wrap:wrap}fieldset{border:1px solid #555;padding:4px 8px}
    #filmstrip{position:relative;height:110px;margin:8px 16px 0 176px;border-bottom:1px solid #ccc}
    .frame{position:absolute;top:0;margin:0;transform:translateX(-50%)}.frame img{height:72px;border:1px solid #999;background:#fff}
    .frame figcaption{font-size:10px;color:#666;text-align:center}
    #lanes{margin:8px 16px}.lane{display:flex;align-items:center;height:28px;border-bottom:1px solid #eee}
    .lane-name{flex:0 0 160px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
    .lane.agent .lane-name{color:#a46b00}.lane.human .lane-name{color:#1d7a1d}.lane.system .lane-name{color:#555}.lane.page .lane-name{color:#36c}
    .track{position:relative;flex:1;height:100%}.act{position:absolute;top:7px;height:14px;min-width:3px;background:#36c;border-radius:2px}
    .act.failed{background:#c33}.mark{position:absolute;top:0;bottom:0;width:2px}.mark.control{background:#2a2}.mark.lifecycle{background:#c33;width:3px}
    #actions,#events{margin:16px}.action{background:#fff;border:1px solid #ddd;border-left:4px solid #36c;padding:8px 12px;margin:8px 0}
    .action.failed{border-left-color:#c33}.action h3{font-size:14px;margin:0 0 4px}.time,.duration{color:#777;font-weight:400}
    .who.agent{color:#a46b00}.who.human{color:#1d7a1d}.error{color:#c33}.url{color:#36c;margin:2px 0;overflow-wrap:anywhere}
    .errors{color:#c33;margin:4px 0}.shots{display:flex;gap:12px}.shot{margin:0}.shot img{max-width:420px;height:auto;border:1px solid #ccc}
    .shot figcaption{font-size:11px;color:#666}table{border-collapse:collapse;width:100%;background:#fff;font-size:12px}
    td,th{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;vertical-align:top}tr.error td{color:#c33}.hidden{display:none!important}
    """

    static let script = """
    'use strict';
    const shots = JSON.parse(document.getElementById('shots').textContent);
    for (const img of document.querySelectorAll('img[data-shot]')) img.src = 'data:image/jpeg;base64,' + shots[Number(img.dataset.shot)];
    function apply() {
      const people = new Set([...document.querySelectorAll('input[name=participant]:checked')].map(i => i.value));
      const kind = document.getElementById('kind').value;
      for (const el of document.querySelectorAll('[data-participant]')) {
        const byWho = people.has(el.dataset.participant);
        const byKind = !kind || !el.dataset.kind || el.dataset.kind.split(' ').includes(kind);
        el.classList.toggle('hidden', !(byWho && (el.classList.contains('lane') || byKind)));
      }
      document.body.dataset.visibleActions = String(document.querySelectorAll('#actions .action:not(.hidden)').length);
      document.body.dataset.visibleEvents = String(document.querySelectorAll('#events tbody tr:not(.hidden)').length);
    }
    document.getElementById('filters').addEventListener('change', apply);
    apply();
    """
}

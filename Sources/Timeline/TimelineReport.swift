import EventBuffer
import Foundation
import SharedSession

/// Writes a timeline as one self-contained HTML file a person opens in any browser, without a server:
/// a film strip of the screen, one lane per participant (each agent, each person, the system, the
/// page) with its actions on a time axis, control hand-offs and crashes marked across the lanes, the
/// actions and the events as lists, and the chosen action with its screen before and after, where it
/// clicked or typed marked on both. A search goes over actions, URLs, messages and events; buttons
/// jump to the next error, control hand-off, approval and help request; filters by participant and
/// by kind. The screenshots are inside the file; nothing is loaded from elsewhere (a
/// Content-Security-Policy allows only the file's own script, style and images).
///
/// It holds an hour of a busy session: the lists are drawn as they are scrolled (only the rows in
/// view exist), the lanes are drawn on canvases, and each picture is decoded only when it comes into
/// view. The data is one JSON block (`<script id="data" type="application/json">`), each picture one
/// `<script type="text/plain" id="shot-N">` of base64.
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

    typealias JSON = PlaywrightTrace.JSON

    /// What an event is, for the filters and the jumps: one bit each.
    enum Flag: Int {
        case error = 1, control = 2, approval = 4, help = 8, message = 16, lifecycle = 32, action = 64, navigation = 128,
             console = 256, network = 512
    }

    /// The report's HTML.
    public static func html(_ timeline: Timeline) -> String {
        let start = timeline.started
        let span = max(0.001, timeline.ended.timeIntervalSince(start))
        func seconds(_ date: Date) -> JSON { .number((date.timeIntervalSince(start) * 1000).rounded() / 1000) }
        let actions = timeline.actions
        let events = timeline.events
        var participants = timeline.participants
        for action in actions where !participants.contains(action.participant) { participants.append(action.participant) }
        var who: [EventCause: Int] = [:]
        for (index, participant) in participants.enumerated() { who[participant] = index }

        // Screenshots: each file once, referenced by its number.
        var shotNumbers: [String: Int] = [:]
        var shotTexts: [String] = []
        func shotNumber(_ shot: TimelineScreenshot) -> Int? {
            if let number = shotNumbers[shot.file] { return number }
            guard let jpeg = timeline.image(shot) else { return nil }
            shotNumbers[shot.file] = shotTexts.count
            shotTexts.append(jpeg.base64EncodedString())
            return shotTexts.count - 1
        }
        func picture(_ shot: TimelineScreenshot?) -> JSON {
            guard let shot, let number = shotNumber(shot) else { return .null }
            return .array([.int(number), seconds(shot.timestamp), .int(Int(shot.width)), .int(Int(shot.height))])
        }

        // The tabs actions ran in, numbered in the order they first appear (a lane per tab).
        var tabNumbers: [String: Int] = [:]
        var tabIDs: [String] = []
        func tabNumber(_ tab: String) -> Int {
            if let number = tabNumbers[tab] { return number }
            tabNumbers[tab] = tabIDs.count
            tabIDs.append(tab)
            return tabIDs.count - 1
        }
        var actionRows: [JSON] = []
        actionRows.reserveCapacity(actions.count)
        for action in actions {
            let kind: String = switch action.name {
            case "message": "message"
            case "approval": "approval"
            default: !action.isPictured ? "read" : action.words != nil && action.participant.kind == .human ? "person" : "action"
            }
            let duration: JSON = action.durationMilliseconds.map { .number($0.rounded()) } ?? .null
            let urlAfter: JSON = action.urlAfter.flatMap { $0 != action.urlBefore ? JSON.string(String($0.prefix(400))) : nil } ?? .null
            let error: JSON = action.error.map { .string($0) } ?? .null
            let errors: [JSON] = action.errors.prefix(20).map { .string(String($0.prefix(300))) }
            let point: JSON = action.point.map { .array([.number($0.x), .number($0.y)]) } ?? .null
            var box: JSON = .null
            if let b = action.box { box = .array([.number(b.x), .number(b.y), .number(b.width), .number(b.height)]) }
            let row: [JSON] = [
                seconds(action.started), duration, .int(who[action.participant] ?? 0), .string(String(action.title.prefix(400))),
                .string(String(action.urlBefore.prefix(400))), urlAfter, error, .array(errors), picture(action.before), picture(action.after),
                point, box, .string(kind), .int(Int(action.sequence)), .int(tabNumber(action.tab)),
            ]
            actionRows.append(.array(row))
        }
        var eventRows: [JSON] = []
        eventRows.reserveCapacity(events.count)
        for event in events {
            eventRows.append(.array([.int(Int(event.sequence)), seconds(event.timestamp), .int(who[event.cause] ?? 0),
                                     .string(event.kind.rawValue), .string(String(event.summary.prefix(300))), .int(flags(event))]))
        }
        let shots = timeline.screenshots
        var seenFiles = Set<String>()
        let distinct = shots.filter { seenFiles.insert($0.file).inserted }
        let stride = max(1, Int((Double(distinct.count) / Double(filmStripLimit)).rounded(.up)))
        var film: [JSON] = []
        for (index, shot) in distinct.enumerated() where index % stride == 0 {
            guard let number = shotNumber(shot) else { continue }
            film.append(.array([seconds(shot.timestamp), .int(number)]))
        }
        let data = JSON.object([
            ("format", .int(1)), ("session", .string(timeline.sessionId)), ("started", .string(WireFormat.formatTime(start))),
            ("span", .number(span)), ("missed", .int(timeline.missedEvents)),
            ("participants", .array(participants.map { .array([.string($0.description), .string($0.kind.rawValue)]) })),
            ("actions", .array(actionRows)), ("events", .array(eventRows)), ("film", .array(film)),
            ("tabs", .array(tabIDs.map { .string($0) })),
        ])

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
        <form id="filters"><fieldset id="participants"><legend>Participants</legend>
        """
        for participant in participants {
            let name = escape(participant.description)
            out += #"<label><input type="checkbox" name="participant" value="\#(name)" checked> \#(name)</label> "#
        }
        out += """
        </fieldset><label>Kind <select id="kind"><option value="">everything</option><option value="64">actions</option>\
        <option value="1">errors</option><option value="2">control</option><option value="128">navigation</option>\
        <option value="256">console</option><option value="512">network</option><option value="32">crashes and recovery</option>\
        <option value="20">messages and approvals</option></select></label>
        <label>Search <input id="search" type="search" placeholder="actions, URLs, messages, events" autocomplete="off"></label>
        <span class="jumps">Next: <button type="button" id="jump-error" data-flag="1">error</button>\
        <button type="button" id="jump-control" data-flag="2">hand-off</button>\
        <button type="button" id="jump-approval" data-flag="4">approval</button>\
        <button type="button" id="jump-help" data-flag="8">help request</button></span>
        </form>
        </header>
        <section id="filmstrip" aria-label="Film strip"></section>
        <section id="lanes" aria-label="Lanes"></section>
        <div id="split">
        <section id="actions" aria-label="Actions"><h2>Actions <span id="action-count"></span></h2><div id="action-list" class="vlist" tabindex="0"><div class="spacer"></div></div></section>
        <section id="detail" aria-label="The chosen action" aria-live="polite"><p class="hint">Choose an action to see the screen before and after it.</p></section>
        </div>
        <section id="events" aria-label="Events"><h2>Events <span id="event-count"></span></h2>\
        <div class="row head"><span>#</span><span>time</span><span>who</span><span>kind</span><span>what</span></div>\
        <div id="event-list" class="vlist" tabindex="0"><div class="spacer"></div></div></section>

        """
        out += #"<script id="data" type="application/json">"#
        out += scriptSafe(data.text)
        out += "</script>\n"
        for (number, text) in shotTexts.enumerated() {
            out += #"<script type="text/plain" id="shot-\#(number)">\#(text)</script>"#
            out += "\n"
        }
        out += "<script>\(script)</script>\n</body>\n</html>\n"
        return out
    }

    /// An event's ``Flag``s.
    static func flags(_ event: BrowserEvent) -> Int {
        var flags = 0
        switch event.kind {
        case .actionStarted, .actionFinished, .actionFailed, .personAction: flags |= Flag.action.rawValue
        case .control: flags |= Flag.control.rawValue
        case .approvalRequested, .approvalAnswered: flags |= Flag.approval.rawValue
        case .helpRequested: flags |= Flag.help.rawValue
        case .message: flags |= Flag.message.rawValue
        case .navigation, .pageLoaded, .titleChanged, .tabActivated, .targetCreated, .targetClosed: flags |= Flag.navigation.rawValue
        case .console, .pageError: flags |= Flag.console.rawValue
        case .request, .response, .requestFailed, .downloadStarted, .downloadProgress, .downloadFinished: flags |= Flag.network.rawValue
        case .browserCrashed, .browserRestarted, .disconnected, .reconnected, .targetCrashed, .eventsMissed: flags |= Flag.lifecycle.rawValue
        default: break
        }
        if event.isError { flags |= Flag.error.rawValue }
        return flags
    }

    /// JSON that may stand inside a `<script>` element: no `</script>` or `<!--` can end or change it.
    static func scriptSafe(_ json: String) -> String {
        json.replacingOccurrences(of: "<", with: "\\u003c")
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
    #search{width:260px}.jumps button{margin-left:4px}
    #filmstrip{position:relative;height:110px;margin:8px 16px 0 176px;border-bottom:1px solid #ccc}
    .frame{position:absolute;top:0;margin:0;transform:translateX(-50%);cursor:pointer}.frame img{height:72px;min-width:40px;border:1px solid #999;background:#fff}
    .frame figcaption{font-size:10px;color:#666;text-align:center}
    #lanes{margin:8px 16px}.lane{display:flex;align-items:center;height:28px;border-bottom:1px solid #eee}
    .lane-name{flex:0 0 160px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
    .lane.agent .lane-name{color:#a46b00}.lane.human .lane-name{color:#1d7a1d}.lane.system .lane-name{color:#555}.lane.page .lane-name{color:#36c}
    .lane canvas{flex:1;height:28px;width:100%;cursor:pointer}
    #split{display:flex;gap:16px;margin:16px;align-items:flex-start}#actions{flex:1 1 45%;min-width:0}#detail{flex:1 1 55%;min-width:0;position:sticky;top:0}
    h2{font-size:15px;margin:0 0 6px}h2 span{color:#777;font-weight:400}
    .vlist{position:relative;overflow:auto;background:#fff;border:1px solid #ddd;contain:strict}#action-list{height:60vh}#event-list{height:50vh}
    .spacer{width:1px}.row{position:absolute;left:0;right:0;display:flex;gap:8px;align-items:center;white-space:nowrap;overflow:hidden;padding:0 8px;border-bottom:1px solid #f0f0f0}
    #action-list .row{height:28px;cursor:pointer}#event-list .row{height:22px;font-size:12px}.row.head{position:static;font-size:12px;font-weight:600;background:#eee;border:1px solid #ddd;border-bottom:0}
    .row span{overflow:hidden;text-overflow:ellipsis}.row .time{flex:0 0 70px;color:#777}.row .seq{flex:0 0 60px;color:#999}.row .who{flex:0 0 130px}
    .row .kind{flex:0 0 120px;color:#555}.row .title,.row .what{flex:1}.row .tab{flex:0 0 44px;color:#777;font-size:12px}.row .duration{flex:0 0 60px;color:#777;text-align:right}
    .row.failed .title,.row.error .what{color:#c33}.row.failed{border-left:4px solid #c33}.row.selected{background:#e6efff}.row.jumped{background:#fff3c4}
    .who.agent{color:#a46b00}.who.human{color:#1d7a1d}.who.system{color:#555}.who.page{color:#36c}
    #detail{background:#fff;border:1px solid #ddd;border-left:4px solid #36c;padding:8px 12px}#detail.failed{border-left-color:#c33}
    #detail h3{font-size:14px;margin:0 0 4px}.error{color:#c33}.url{color:#36c;margin:2px 0;overflow-wrap:anywhere}.tab{color:#777;font-size:12px;margin:2px 0}.errors{color:#c33;margin:4px 0}
    .shots{display:flex;gap:12px;flex-wrap:wrap}.shot{margin:0;flex:1 1 280px;max-width:640px}.screen{position:relative}.screen img{width:100%;height:auto;display:block;border:1px solid #ccc}
    .shot.none .screen{display:flex;align-items:center;justify-content:center;height:120px;border:1px dashed #bbb;color:#777;background:#f4f4f4}
    .shot figcaption{font-size:11px;color:#666}.dot{position:absolute;width:14px;height:14px;margin:-7px 0 0 -7px;border-radius:50%;background:rgba(255,0,0,.8);box-shadow:0 0 0 3px rgba(255,255,255,.8)}
    .box{position:absolute;border:2px solid rgba(255,0,0,.85);background:rgba(255,0,0,.08)}.hint{color:#777}.hidden{display:none!important}
    #events{margin:16px}
    """

    static let script = """
    'use strict';
    const data = JSON.parse(document.getElementById('data').textContent);
    const people = data.participants;
    const shotCache = new Map();
    function shotSrc(n) {
      let src = shotCache.get(n);
      if (!src) { const el = document.getElementById('shot-' + n); src = el ? 'data:image/jpeg;base64,' + el.textContent : ''; shotCache.set(n, src); }
      return src;
    }
    const clock = t => '+' + t.toFixed(1) + ' s';
    const esc = s => String(s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
    const pct = t => Math.max(0, Math.min(100, t / data.span * 100));
    const A = {t: 0, d: 1, who: 2, title: 3, url: 4, urlAfter: 5, error: 6, errors: 7, before: 8, after: 9, point: 10, box: 11, kind: 12, seq: 13, tab: 14};
    // Which tab an action ran in: "tab 2" when there were several (each tab is a lane of work).
    const tabName = a => data.tabs.length > 1 && data.tabs[a[A.tab]] ? 'tab ' + (a[A.tab] + 1) : '';
    const E = {seq: 0, t: 1, who: 2, kind: 3, what: 4, flags: 5};
    let shownActions = [], shownEvents = [], shownEventSet = new Uint8Array(0), selected = -1, jumped = -1;

    // Pictures come into view, then are decoded.
    const lazy = new IntersectionObserver(entries => {
      for (const entry of entries) if (entry.isIntersecting) { entry.target.src = shotSrc(Number(entry.target.dataset.shot)); lazy.unobserve(entry.target); }
    }, {rootMargin: '200px'});
    const strip = document.getElementById('filmstrip');
    for (const [t, n] of data.film) {
      const fig = document.createElement('figure');
      fig.className = 'frame'; fig.style.left = pct(t) + '%';
      fig.innerHTML = '<img data-shot="' + n + '" alt="screen at ' + clock(t) + '"><figcaption>' + clock(t) + '</figcaption>';
      fig.addEventListener('click', () => selectNear(t));
      strip.appendChild(fig); lazy.observe(fig.firstChild);
    }

    // A list that draws only the rows in view.
    function vlist(el, height, render) {
      const spacer = el.firstElementChild;
      let rows = [], count = 0, queued = false;
      function draw() {
        queued = false;
        const first = Math.max(0, Math.floor(el.scrollTop / height) - 5), last = Math.min(count, Math.ceil((el.scrollTop + el.clientHeight) / height) + 5);
        for (const row of rows) row.remove();
        rows = [];
        const frag = document.createDocumentFragment();
        for (let i = first; i < last; i++) { const row = render(i); row.style.top = (i * height) + 'px'; frag.appendChild(row); rows.push(row); }
        el.appendChild(frag);
      }
      el.addEventListener('scroll', () => { if (!queued) { queued = true; requestAnimationFrame(draw); } });
      return {
        set(n) { count = n; spacer.style.height = (n * height) + 'px'; draw(); },
        show(i) { if (i * height < el.scrollTop || (i + 1) * height > el.scrollTop + el.clientHeight) el.scrollTop = Math.max(0, i * height - el.clientHeight / 2); draw(); },
        redraw: draw,
      };
    }
    const actionList = vlist(document.getElementById('action-list'), 28, i => {
      const index = shownActions[i], a = data.actions[index], p = people[a[A.who]];
      const row = document.createElement('div');
      row.className = 'row action' + (a[A.error] !== null ? ' failed' : '') + (index === selected ? ' selected' : '');
      row.dataset.index = index;
      row.innerHTML = '<span class="time">' + clock(a[A.t]) + '</span><span class="who ' + p[1] + '">' + esc(p[0]) + '</span><span class="title">' + esc(a[A.title])
        + '</span><span class="tab">' + tabName(a) + '</span><span class="duration">' + (a[A.d] === null ? '' : a[A.d] + ' ms') + '</span>';
      return row;
    });
    document.getElementById('action-list').addEventListener('click', e => { const row = e.target.closest('.row'); if (row) select(Number(row.dataset.index)); });
    const eventList = vlist(document.getElementById('event-list'), 22, i => {
      const index = shownEvents[i], e = data.events[index], p = people[e[E.who]];
      const row = document.createElement('div');
      row.className = 'row event' + (e[E.flags] & 1 ? ' error' : '') + (index === jumped ? ' jumped' : '');
      row.dataset.index = index;
      row.innerHTML = '<span class="seq">' + e[E.seq] + '</span><span class="time">' + clock(e[E.t]) + '</span><span class="who ' + p[1] + '">' + esc(p[0])
        + '</span><span class="kind">' + esc(e[E.kind]) + '</span><span class="what" title="' + esc(e[E.what]) + '">' + esc(e[E.what]) + '</span>';
      return row;
    });
    document.getElementById('event-list').addEventListener('click', e => { const row = e.target.closest('.row'); if (row) selectNear(data.events[Number(row.dataset.index)][E.t]); });

    // The chosen action: its screens before and after, where it acted marked on both.
    function figure(shot, label, a) {
      if (!shot) return '<figure class="shot none"><div class="screen">no picture of this moment</div><figcaption>' + label + ': no picture of this moment</figcaption></figure>';
      const [n, t, w, h] = shot;
      let marks = '';
      if (a[A.box] && w > 0 && h > 0) { const [x, y, bw, bh] = a[A.box]; marks += '<span class="box" style="left:' + (x / w * 100) + '%;top:' + (y / h * 100) + '%;width:' + (bw / w * 100) + '%;height:' + (bh / h * 100) + '%"></span>'; }
      if (a[A.point] && w > 0 && h > 0) { const [x, y] = a[A.point]; marks += '<span class="dot" style="left:' + (x / w * 100) + '%;top:' + (y / h * 100) + '%"></span>'; }
      return '<figure class="shot"><div class="screen"><img alt="' + label + '" src="' + shotSrc(n) + '" width="' + w + '" height="' + h + '">' + marks
        + '</div><figcaption>' + label + ' · ' + clock(t) + '</figcaption></figure>';
    }
    function select(index) {
      selected = index;
      const a = data.actions[index], p = people[a[A.who]], detail = document.getElementById('detail');
      // Long URLs (data: URLs) cut, the whole in a tooltip.
      const short = u => '<span title="' + esc(u) + '">' + esc(u.length > 160 ? u.slice(0, 160) + '…' : u) + '</span>';
      const url = a[A.urlAfter] !== null ? short(a[A.url]) + ' → ' + short(a[A.urlAfter]) : short(a[A.url]);
      detail.className = a[A.error] !== null ? 'failed' : '';
      detail.dataset.index = index;
      detail.innerHTML = '<h3><span class="time">' + clock(a[A.t]) + '</span> <span class="who ' + p[1] + '">' + esc(p[0]) + '</span> ' + esc(a[A.title])
        + (a[A.d] === null ? '' : ' <span class="duration">' + a[A.d] + ' ms</span>') + '</h3>'
        + (a[A.error] !== null ? '<p class="error">' + esc(a[A.error]) + '</p>' : '') + '<p class="url">' + url + '</p>'
        + (data.tabs[a[A.tab]] ? '<p class="tab" data-tab="' + esc(data.tabs[a[A.tab]]) + '">' + (tabName(a) || 'tab') + ' · ' + esc(data.tabs[a[A.tab]]) + '</p>' : '')
        + (a[A.errors].length ? '<ul class="errors">' + a[A.errors].map(e => '<li>' + esc(e) + '</li>').join('') + '</ul>' : '')
        + (a[A.kind] === 'message' || a[A.kind] === 'approval' || a[A.kind] === 'read' ? '' : '<div class="shots">' + figure(a[A.before], 'before', a) + figure(a[A.after], 'after', a) + '</div>');
      const at = shownActions.indexOf(index);
      if (at >= 0) actionList.show(at); else actionList.redraw();
    }
    // The action under way at `t`, or the last one before it.
    function selectNear(t) {
      let best = -1;
      for (const i of shownActions) { if (data.actions[i][A.t] <= t + 0.001) best = i; else break; }
      if (best < 0 && shownActions.length) best = shownActions[0];
      if (best >= 0) select(best);
    }

    // Lanes: each participant's actions on a time axis, hand-offs (green) and crashes (red) across all.
    const lanes = document.getElementById('lanes');
    const marks = data.events.filter(e => e[E.flags] & 34).map(e => [e[E.t], e[E.flags] & 32 ? '#c33' : '#2a2']);
    const canvases = [];
    people.forEach(([name, kind], who) => {
      const lane = document.createElement('div');
      lane.className = 'lane ' + kind; lane.dataset.participant = name;
      lane.innerHTML = '<span class="lane-name" title="' + esc(name) + '">' + esc(name) + '</span><canvas height="28"></canvas>';
      lanes.appendChild(lane);
      const canvas = lane.lastChild;
      canvases.push([canvas, who]);
      canvas.addEventListener('click', e => {
        const t = (e.offsetX / canvas.clientWidth) * data.span;
        let best = -1, distance = Infinity;
        for (const i of shownActions) { const a = data.actions[i]; if (a[A.who] !== who) continue; const d = Math.abs(a[A.t] - t); if (d < distance) { distance = d; best = i; } }
        if (best >= 0) select(best);
      });
    });
    function drawLanes() {
      for (const [canvas, who] of canvases) {
        const width = canvas.clientWidth || 800; canvas.width = width;
        const g = canvas.getContext('2d');
        g.clearRect(0, 0, width, 28);
        for (const [t, color] of marks) { g.fillStyle = color; g.fillRect(Math.floor(t / data.span * width), 0, 2, 28); }
        for (const i of shownActions) {
          const a = data.actions[i]; if (a[A.who] !== who) continue;
          g.fillStyle = a[A.error] !== null ? '#c33' : '#36c';
          g.fillRect(Math.floor(a[A.t] / data.span * width), 7, Math.max(2, (a[A.d] || 0) / 1000 / data.span * width), 14);
        }
      }
    }
    document.body.dataset.handoffs = String(data.events.filter(e => e[E.flags] & 2).length);

    // Filters and search.
    function apply() {
      const who = new Set([...document.querySelectorAll('input[name=participant]:checked')].map(i => i.value));
      const kind = Number(document.getElementById('kind').value || 0);
      const query = document.getElementById('search').value.trim().toLowerCase();
      const allowed = people.map(p => who.has(p[0]));
      for (const lane of lanes.children) lane.classList.toggle('hidden', !who.has(lane.dataset.participant));
      shownActions = [];
      data.actions.forEach((a, i) => {
        if (!allowed[a[A.who]]) return;
        if (kind === 1 && a[A.error] === null && !a[A.errors].length) return;
        if (kind && kind !== 1 && kind !== 64 && !(kind === 20 && (a[A.kind] === 'message' || a[A.kind] === 'approval'))) return;
        if (query && !(a[A.title] + ' ' + a[A.url] + ' ' + (a[A.urlAfter] || '') + ' ' + (a[A.error] || '') + ' ' + a[A.errors].join(' ')).toLowerCase().includes(query)) return;
        shownActions.push(i);
      });
      shownEvents = [];
      shownEventSet = new Uint8Array(data.events.length);
      data.events.forEach((e, i) => {
        if (!allowed[e[E.who]] || (kind && !(e[E.flags] & kind))) return;
        if (query && !(e[E.what] + ' ' + e[E.kind]).toLowerCase().includes(query)) return;
        shownEvents.push(i);
        shownEventSet[i] = 1;
      });
      actionList.set(shownActions.length);
      eventList.set(shownEvents.length);
      drawLanes();
      document.getElementById('action-count').textContent = shownActions.length + ' of ' + data.actions.length;
      document.getElementById('event-count').textContent = shownEvents.length + ' of ' + data.events.length;
      document.body.dataset.visibleActions = String(shownActions.length);
      document.body.dataset.visibleEvents = String(shownEvents.length);
    }
    document.getElementById('filters').addEventListener('change', apply);
    document.getElementById('filters').addEventListener('submit', e => e.preventDefault());
    let typing = 0;
    document.getElementById('search').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(apply, 120); });

    // Jumps: the next error, hand-off, approval or help request after the last one jumped to.
    for (const button of document.querySelectorAll('.jumps button')) {
      button.addEventListener('click', () => {
        const flag = Number(button.dataset.flag);
        const from = jumped < 0 ? -1 : jumped;
        let next = data.events.findIndex((e, i) => i > from && (e[E.flags] & flag) && allowedEvent(i));
        if (next < 0) next = data.events.findIndex((e, i) => (e[E.flags] & flag) && allowedEvent(i));
        document.body.dataset.jumpedTo = next < 0 ? '' : String(data.events[next][E.seq]);
        if (next < 0) return;
        jumped = next;
        const at = shownEvents.indexOf(next);
        if (at >= 0) eventList.show(at); else eventList.redraw();
        selectNear(data.events[next][E.t]);
      });
    }
    function allowedEvent(i) { return shownEventSet[i] === 1; }
    addEventListener('resize', drawLanes);
    apply();
    if (shownActions.length) select(shownActions[0]);
    document.body.dataset.ready = '1';
    """
}

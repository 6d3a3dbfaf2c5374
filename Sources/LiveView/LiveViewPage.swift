/// The live view page, served by the library itself: HTML, one script and one style sheet from the
/// same server, nothing from elsewhere, under a Content-Security-Policy that allows only that.
enum LiveViewPage {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>SharedBrowser live view</title>
    <link rel="stylesheet" href="/app.css">
    </head>
    <body>
    <header>
      <span id="driver" class="driver">connecting…</span>
      <span id="waiting" class="waiting"></span>
      <button id="take" type="button" disabled title="Take over the tab you watch; the other tabs go on">Take over this tab</button>
      <button id="take-all" type="button" disabled title="Take over the whole browser; everyone else waits">Take over all</button>
      <button id="handback" type="button" disabled>Hand back</button>
    </header>
    <div id="help" class="help" hidden></div>
    <div id="approvals" class="approvals"></div>
    <nav>
      <button id="nav-back" type="button" title="Back" aria-label="Back" disabled>←</button>
      <button id="nav-forward" type="button" title="Forward" aria-label="Forward" disabled>→</button>
      <button id="nav-reload" type="button" title="Reload" aria-label="Reload" disabled>↻</button>
      <input id="address" type="text" spellcheck="false" autocomplete="off" aria-label="Address" placeholder="Take over to type a URL" disabled>
    </nav>
    <div id="tabs" class="tabs" role="tablist" aria-label="Tabs"></div>
    <main>
      <div id="stage" class="stage">
        <canvas id="screen" tabindex="0" width="1280" height="720"></canvas>
        <canvas id="marks" width="1280" height="720" aria-hidden="true"></canvas>
      </div>
      <aside>
        <h2>Messages</h2>
        <ol id="messages" class="messages"></ol>
        <form id="say" class="say"><input id="message" type="text" maxlength="2000" autocomplete="off" aria-label="Message to the agents" placeholder="Write to the agents"><button id="send" type="submit">Send</button></form>
        <h2>Errors</h2><ul id="errors"></ul>
        <h2>Events <select id="filter" aria-label="Which events"><option value="">what matters</option><option value="all">everything (requests, raw input)</option><option value="agent">agents</option><option value="human">people</option></select></h2>
        <ol id="events"></ol>
      </aside>
    </main>
    <script src="/app.js"></script>
    </body>
    </html>
    """#

    static let css = #"""
    * { box-sizing: border-box; }
    html, body { height: 100%; }
    body { margin: 0; font: 14px system-ui, sans-serif; background: #111; color: #eee; display: flex; flex-direction: column; min-width: 0; overflow: hidden; }
    header { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; padding: 6px 12px; background: #222; }
    .driver { font-weight: 600; }
    .waiting { color: #aaa; flex: 1 1 120px; min-width: 0; overflow-wrap: anywhere; }
    button { font: inherit; padding: 3px 10px; }
    .help { padding: 6px 12px; background: #553; overflow-wrap: anywhere; }
    .approvals:empty { display: none; }
    .approval { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; padding: 6px 12px; background: #432; border-bottom: 1px solid #654; }
    .approval .what { flex: 1 1 260px; min-width: 0; overflow-wrap: anywhere; }
    .approval input { flex: 0 1 200px; min-width: 80px; font: inherit; }
    nav { display: flex; gap: 6px; align-items: center; padding: 4px 12px; }
    #address { flex: 1 1 auto; min-width: 0; font: inherit; padding: 3px 8px; background: #1b1b1b; color: #cde; border: 1px solid #444; border-radius: 3px; }
    .tabs { display: flex; gap: 4px; padding: 0 12px 4px; overflow-x: auto; flex: 0 0 auto; }
    .tabs button { flex: 0 1 240px; min-width: 60px; height: 44px; overflow: hidden; white-space: nowrap; background: #222; color: #ccc; border: 1px solid #444; border-radius: 3px 3px 0 0; display: grid; grid-template-columns: 64px 1fr; grid-template-rows: 1fr 1fr; column-gap: 6px; padding: 3px; text-align: left; }
    .tabs img { grid-row: 1 / 3; width: 64px; height: 36px; object-fit: cover; background: #111; border-radius: 2px; }
    .tabs .title, .tabs .holder { overflow: hidden; text-overflow: ellipsis; }
    .tabs .holder { font-size: 11px; }
    .tabs button[aria-selected="true"] { background: #345; color: #fff; border-color: #7ab; }
    main { display: flex; gap: 8px; padding: 4px 8px 8px; flex: 1 1 auto; min-height: 0; }
    .stage { position: relative; flex: 1 1 auto; min-width: 0; min-height: 0; }
    /* The whole screen in the window, its shape kept: bars where the window's shape differs. */
    #screen, #marks { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; }
    #screen { background: #000; outline: 2px solid #333; }
    #screen:focus { outline-color: #7fd17f; }
    #marks { pointer-events: none; }
    aside { flex: 0 0 280px; min-width: 0; overflow: auto; font-size: 12px; overflow-wrap: anywhere; }
    @media (max-width: 1000px) { aside { flex-basis: 220px; } }
    aside h2 { font-size: 13px; margin: 8px 0 4px; display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
    aside select { max-width: 100%; min-width: 0; font: inherit; }
    ol, ul { margin: 0; padding-left: 18px; }
    ol#events { padding-left: 34px; }
    #errors li { color: #f88; }
    .say { display: flex; gap: 4px; margin: 4px 0; }
    .say input { flex: 1 1 auto; min-width: 0; font: inherit; }
    .who { font-weight: 600; }
    body.closed header, body.closed nav, body.closed main { opacity: .6; }
    """#

    static let script = #"""
    'use strict';
    const token = new URLSearchParams(location.search).get('token') || '';
    const $ = id => document.getElementById(id);
    const screen = $('screen'), ctx = screen.getContext('2d'), marks = $('marks'), mctx = marks.getContext('2d');
    let socket, role = 'watch', me = '', meta = null, pendingMeta = null, holder = null, lastMove = 0, closed = false;
    let context = {}, tabs = [], thumbnails = {}, waitingFor = [];
    const approvals = new Map();   // id -> {info, element}
    let shown = [];                // marks on the screen: {kind, x, y, box, color, until}

    function send(message) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(message)); }
    // Who may act in the tab shown: whoever holds the whole browser, else that tab's holder.
    const shownTab = () => tabs.find(t => t.isActive);
    const shownHolder = () => holder || (shownTab() ? shownTab().holder : null) || null;
    const driving = () => role === 'control' && shownHolder() === me && !closed;
    const holdsAny = () => holder === me || tabs.some(t => t.holder === me);
    function input(type, params) { if (driving()) send({ type: 'input', action: { type, params } }); }
    function modifiers(e) { const m = []; if (e.altKey) m.push('Alt'); if (e.ctrlKey) m.push('Control'); if (e.metaKey) m.push('Meta'); if (e.shiftKey) m.push('Shift'); return m; }
    // One colour per participant, the same in every viewer.
    function colour(who) { let h = 0; for (const c of String(who || '')) h = (h * 31 + c.codePointAt(0)) >>> 0; return 'hsl(' + (h % 360) + ', 70%, 65%)'; }
    function causeOf(e) { return e.cause.id ? e.cause.kind + ':' + e.cause.id : e.cause.kind; }
    // Screen position to page position. The canvas shows the frame scaled to fit, centred, with bars
    // where the window's shape differs (object-fit: contain); the frame shows the viewport, whatever the
    // device scale. A point on a bar is nowhere (null), unless clamped (a button released off the screen).
    function point(e, clamp) {
      const r = screen.getBoundingClientRect();
      const scale = Math.min(r.width / screen.width, r.height / screen.height);
      const shownW = screen.width * scale, shownH = screen.height * scale;
      let fx = (e.clientX - r.left - (r.width - shownW) / 2) / shownW, fy = (e.clientY - r.top - (r.height - shownH) / 2) / shownH;
      if (fx < 0 || fy < 0 || fx > 1 || fy > 1) {
        if (!clamp) return null;
        fx = Math.min(1, Math.max(0, fx)); fy = Math.min(1, Math.max(0, fy));
      }
      const w = meta ? meta.deviceWidth : screen.width, h = meta ? meta.deviceHeight : screen.height;
      return { x: fx * w, y: fy * h };
    }
    function item(list, parts, limit, who, number) {
      const li = document.createElement('li');
      if (number) li.append(document.createTextNode(number + ' '));
      if (who) { const b = document.createElement('span'); b.className = 'who'; b.style.color = colour(who); b.textContent = who + ' '; li.append(b); }
      li.append(document.createTextNode(parts));
      list.prepend(li);
      while (list.children.length > limit) list.lastChild.remove();
      return li;
    }
    function refreshButtons() {
      const mine = driving();
      $('take').disabled = closed || role !== 'control' || mine || !shownTab();
      $('take-all').disabled = closed || role !== 'control' || holder === me;
      $('handback').disabled = closed || role !== 'control' || !holdsAny();
      $('nav-back').disabled = !mine || !context.can_go_back;
      $('nav-forward').disabled = !mine || !context.can_go_forward;
      $('nav-reload').disabled = !mine;
      const address = $('address');
      address.disabled = !mine;
      address.placeholder = closed ? 'The session has ended' : role === 'control' ? 'Take over to type a URL' : 'Watching';
      $('message').disabled = $('send').disabled = closed || role !== 'control';
      for (const b of document.querySelectorAll('.approval button')) b.disabled = closed || role !== 'control';
      for (const b of document.querySelectorAll('#tabs button')) b.disabled = closed;
    }
    function showControl(c) {
      holder = c.holder || null;
      if (c.queue) waitingFor = c.queue;
      showDriver();
    }
    function showDriver() {
      const d = $('driver'), who = shownHolder();
      d.textContent = closed ? 'the session has ended' : who ? (who + ' is driving' + (holder ? '' : ' this tab')) : 'nobody is driving';
      d.style.color = who && !closed ? colour(who) : '';
      // Who waits for the whole browser, then for the tab shown.
      const waiting = [...new Set(waitingFor.concat(shownTab() && shownTab().queue || []))];
      $('waiting').textContent = (waiting.length && !closed) ? 'waiting: ' + waiting.join(', ') : '';
      refreshButtons();
    }
    function showContext(data) {
      context = data || {};
      const address = $('address');
      if (document.activeElement !== address) address.value = context.url || '';
      address.title = (context.title ? context.title + ' — ' : '') + (context.url || '');
      document.title = (context.title || context.url || 'live view') + ' · SharedBrowser';
      refreshButtons();
    }
    function showTabs(list) {
      tabs = list;
      const strip = $('tabs');
      strip.textContent = '';
      for (const t of list) {
        const b = document.createElement('button');
        b.type = 'button'; b.setAttribute('role', 'tab'); b.dataset.tab = t.id;
        b.setAttribute('aria-selected', String(!!t.isActive));
        b.title = (t.title ? t.title + ' — ' : '') + t.url + (t.purpose ? ' (' + t.purpose + ')' : '');
        const img = document.createElement('img'); img.alt = ''; if (thumbnails[t.id]) img.src = thumbnails[t.id];
        const name = document.createElement('span'); name.className = 'title'; name.textContent = t.title || t.url || 'new tab';
        const who = document.createElement('span'); who.className = 'holder';
        const by = holder || t.holder;
        who.textContent = by ? by + (t.purpose ? ' · ' + t.purpose : '') : 'nobody';
        if (by) who.style.color = colour(by);
        b.dataset.holder = by || '';
        b.append(img, name, who);
        // Anyone who may act can choose which tab to watch (the agents in their own tabs go on).
        b.onclick = () => { if (!t.isActive && role === 'control' && !closed) send({ type: 'switchTab', tab: t.id }); };
        strip.append(b);
      }
      showDriver();
    }
    // The tab shown has no picture of its own (its frames are the screen): a small copy of the screen.
    const small = document.createElement('canvas'); small.width = 128; small.height = 72;
    function showThumbnails(map) {
      const t = shownTab();
      if (t && document.body.dataset.frames) {
        small.getContext('2d').drawImage(screen, 0, 0, small.width, small.height);
        map = Object.assign({}, map, { [t.id]: small.toDataURL('image/jpeg', 0.6) });
      }
      Object.assign(thumbnails, map);
      for (const img of document.querySelectorAll('#tabs button img')) {
        const id = img.parentElement.dataset.tab;
        if (map[id]) img.src = map[id];
      }
    }
    // Marks: where an agent clicked or typed (a dot and its target's box, for a moment), and the
    // target of an approval (until it is answered).
    function mark(m) { shown.push(m); drawMarks(); }
    function drawMarks() {
      const now = performance.now();
      shown = shown.filter(m => m.until === Infinity || m.until > now);
      if (marks.width !== screen.width || marks.height !== screen.height) { marks.width = screen.width; marks.height = screen.height; }
      mctx.clearRect(0, 0, marks.width, marks.height);
      const sx = marks.width / (meta ? meta.deviceWidth : marks.width), sy = marks.height / (meta ? meta.deviceHeight : marks.height);
      for (const m of shown) {
        mctx.strokeStyle = mctx.fillStyle = m.color; mctx.lineWidth = m.until === Infinity ? 4 : 3;
        if (m.box && m.box.width > 0) mctx.strokeRect(m.box.x * sx, m.box.y * sy, m.box.width * sx, m.box.height * sy);
        if (m.x !== undefined) { mctx.beginPath(); mctx.arc(m.x * sx, m.y * sy, 9, 0, Math.PI * 2); mctx.globalAlpha = .6; mctx.fill(); mctx.globalAlpha = 1; mctx.stroke(); }
        if (m.label) { mctx.font = '16px system-ui, sans-serif'; const y = m.box ? Math.max(16, m.box.y * sy - 6) : 16; mctx.fillText(m.label, m.box ? m.box.x * sx : 8, y); }
      }
      if (shown.some(m => m.until !== Infinity)) requestAnimationFrame(drawMarks);
    }
    function showApproval(info) {
      if (approvals.has(info.id)) return;
      const row = document.createElement('div');
      row.className = 'approval'; row.dataset.approval = info.id;
      const what = document.createElement('span'); what.className = 'what';
      const who = document.createElement('span'); who.className = 'who'; who.style.color = colour(info.agent); who.textContent = info.agent;
      what.append(who, document.createTextNode(' asks to ' + info.words + ' (rule ' + info.rule + ')'));
      const reason = document.createElement('input'); reason.type = 'text'; reason.placeholder = 'Reason (optional)'; reason.setAttribute('aria-label', 'Reason');
      const yes = document.createElement('button'); yes.type = 'button'; yes.textContent = 'Approve'; yes.className = 'approve';
      const no = document.createElement('button'); no.type = 'button'; no.textContent = 'Deny'; no.className = 'deny';
      yes.onclick = () => send({ type: 'approve', id: info.id, reason: reason.value });
      no.onclick = () => send({ type: 'deny', id: info.id, reason: reason.value });
      row.append(what, reason, yes, no);
      $('approvals').append(row);
      const m = { box: info.box, color: colour(info.agent), until: Infinity, label: info.agent + ': approve?' };
      approvals.set(info.id, { info, row, mark: m });
      if (info.box) mark(m);
      refreshButtons();
    }
    function endApproval(id) {
      const a = approvals.get(id);
      if (!a) return;
      a.row.remove(); approvals.delete(id);
      shown = shown.filter(m => m !== a.mark); drawMarks();
    }
    // What a person cares about by default: actions in words, navigations, errors, dialogs, control,
    // help, messages, approvals; requests and raw input on demand.
    const NOTABLE = new Set(['personAction', 'navigation', 'dialogOpened', 'dialogClosed', 'control', 'helpRequested', 'message',
      'approvalRequested', 'approvalAnswered', 'actionFinished', 'actionFailed', 'tabActivated', 'browserCrashed', 'browserRestarted',
      'disconnected', 'reconnected', 'targetCrashed', 'downloadFinished', 'devToolsOpened', 'devToolsClosed', 'signedInAgain']);
    const RAW = new Set(['mouse', 'key', 'wheel', 'insertText']);
    const GOES = new Set(['navigate', 'back', 'forward', 'reload']);
    function describe(e, summary) {
      const a = e.action;
      if (e.kind === 'personAction') return e.person.words;
      if ((e.kind === 'actionFinished' || e.kind === 'actionFailed') && a) {
        const what = a.name + (a.element ? ' ' + a.element : a.target ? ' ' + a.target : '');
        return what + (e.kind === 'actionFailed' ? ' — failed: ' + a.error : '');
      }
      if (e.kind === 'message') return 'says: ' + e.message;
      if (e.kind === 'navigation' && e.navigation) return 'went to ' + e.navigation.url + (e.navigation.errorText ? ' — ' + e.navigation.errorText : '');
      if (e.kind === 'approvalRequested') return 'asks approval to ' + e.approval.words;
      if (e.kind === 'approvalAnswered') return e.approval.decision + ': ' + e.approval.agent + ' ' + e.approval.words + (e.approval.reason ? ' (' + e.approval.reason + ')' : '');
      if (e.kind === 'helpRequested') return 'asks for help: ' + e.message;
      if (e.kind === 'control' && e.control) {
        const c = e.control, to = c.holder ? ' (' + c.holder + ' drives)' : '';
        const said = { takenOver: 'took over', handedBack: 'handed back' + (c.holder ? ' to ' + c.holder : ''), granted: 'got control',
          released: 'let go of control' + to, requested: 'asks for control', expired: 'lost control (its lease expired)' + to,
          timedOut: 'gave up waiting for control' }[c.change];
        if (said) return said;
      }
      return summary.startsWith(e.kind + ' ') ? e.kind + summary.slice(e.kind.length).replace(' ' + causeOf(e), '') : summary;
    }
    function notable(e, error) {
      if (error) return true;
      if (!NOTABLE.has(e.kind)) return false;
      if (e.kind === 'navigation') return !!(e.navigation && e.navigation.isMainFrame);
      // A person's raw input is told in words (personAction); its own records are detail. A finished
      // navigation is told by its navigation event.
      if ((e.kind === 'actionFinished' || e.kind === 'actionFailed') && e.action && (e.cause.kind === 'human' && RAW.has(e.action.name))) return e.kind === 'actionFailed';
      if (e.kind === 'actionFinished' && e.action && GOES.has(e.action.name)) return false;
      return true;
    }
    function onEvent(m) {
      const e = m.data, who = causeOf(e);
      const filter = $('filter').value;
      const show = filter === 'all' || (filter === '' ? notable(e, m.error) : e.cause.kind === filter && notable(e, m.error));
      if (show) item($('events'), describe(e, m.summary || e.kind), 200, who, '#' + e.sequence);
      if (m.error) item($('errors'), '#' + e.sequence + ' ' + m.error, 50);
      if (e.kind === 'message') item($('messages'), e.message, 100, who);
      if (e.kind === 'approvalRequested') showApproval(e.approval);
      if (e.kind === 'approvalAnswered') endApproval(e.approval.id);
      // A new page: the marks of the old one go (an approval's outline stays until it is answered).
      if (e.kind === 'navigation' && e.navigation && e.navigation.isMainFrame) { shown = shown.filter(m => m.until === Infinity); drawMarks(); }
      // Where an agent acted, for a moment: only for what happens now, not the history sent on connecting.
      const fresh = Date.now() - Date.parse(e.timestamp) < 2000;
      if (fresh && e.kind === 'actionFinished' && e.action && e.cause.kind !== 'human' && (e.action.point || e.action.box)) {
        const p = e.action.point;
        mark({ x: p ? p.x : undefined, y: p ? p.y : undefined, box: e.action.box, color: colour(who), until: performance.now() + 1500, label: who });
      }
    }
    function setClosed(reason) {
      closed = true;
      document.body.classList.add('closed');
      document.body.dataset.closed = reason || 'closed';
      for (const id of approvals.keys()) endApproval(id);
      showControl({});
    }
    function connect() {
      socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
      socket.binaryType = 'blob';
      // Frames: acknowledged on arrival, so the next one is on its way while this one is decoded; the
      // newest waiting frame is drawn next, older ones are skipped.
      let decoding = false, waiting = null;
      async function draw(blob, frameMeta) {
        decoding = true;
        try {
          const bitmap = await createImageBitmap(blob);
          if (screen.width !== bitmap.width || screen.height !== bitmap.height) { screen.width = bitmap.width; screen.height = bitmap.height; }
          ctx.drawImage(bitmap, 0, 0); bitmap.close();
          meta = frameMeta;
          document.body.dataset.frames = String(Number(document.body.dataset.frames || 0) + 1);
          if (shown.length) drawMarks();
        } catch (err) { /* a frame that does not decode is skipped */ }
        decoding = false;
        if (waiting) { const next = waiting; waiting = null; draw(next.blob, next.meta); }
      }
      socket.onmessage = ev => {
        if (typeof ev.data !== 'string') {
          send({ type: 'ack' });
          if (decoding) waiting = { blob: ev.data, meta: pendingMeta }; else draw(ev.data, pendingMeta);
          return;
        }
        const m = JSON.parse(ev.data);
        if (m.type === 'hello') { role = m.role; me = m.participant; document.body.dataset.role = role; showControl(m.control || {}); }
        else if (m.type === 'frame') pendingMeta = m;
        else if (m.type === 'control') showControl(m);
        else if (m.type === 'browser_context') showContext(m.data);
        else if (m.type === 'tabs') showTabs(m.tabs);
        else if (m.type === 'thumbnails') showThumbnails(m.tabs);
        else if (m.type === 'error') { document.body.dataset.lastError = m.message; item($('errors'), m.message, 50); }
        else if (m.type === 'help') {
          const h = $('help'); h.hidden = !m.reason;
          h.textContent = m.reason ? (m.from + ' asks for help: ' + m.reason + (m.tab ? ' (in its tab: click to show it)' : '')) : '';
          // The agent's own tab: a click on the request shows it, to take it over there.
          h.dataset.tab = m.tab || '';
          h.onclick = () => { const t = tabs.find(t => t.id === h.dataset.tab); if (t && !t.isActive && role === 'control' && !closed) send({ type: 'switchTab', tab: t.id }); };
        }
        else if (m.type === 'approvals') { for (const a of m.pending) showApproval(a); }
        else if (m.type === 'closed') setClosed(m.reason);
        else if (m.type === 'browser_event') onEvent(m);
      };
      socket.onclose = ev => {
        if (closed) return;
        // 1001: the session or the live view has ended; there is nothing to reconnect to.
        if (ev.code === 1001) { setClosed(ev.reason || 'the live view has stopped'); return; }
        $('driver').textContent = 'disconnected; reconnecting…';
        role = 'watch'; refreshButtons();
        setTimeout(connect, 1000);
      };
    }
    $('take').onclick = () => { const t = shownTab(); if (t) send({ type: 'takeOver', tab: t.id }); };
    $('take-all').onclick = () => send({ type: 'takeOver' });
    $('handback').onclick = () => send({ type: 'handBack' });
    $('nav-back').onclick = () => send({ type: 'back' });
    $('nav-forward').onclick = () => send({ type: 'forward' });
    $('nav-reload').onclick = () => send({ type: 'reload' });
    $('address').addEventListener('keydown', e => {
      if (e.key !== 'Enter') return;
      let url = $('address').value.trim();
      if (!url) return;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) url = (/^(localhost|127\.|\[)/.test(url) ? 'http://' : 'https://') + url;
      send({ type: 'navigate', url });
      $('address').blur(); screen.focus({ preventScroll: true });
      e.preventDefault();
    });
    $('address').addEventListener('blur', () => { $('address').value = context.url || ''; });
    $('say').addEventListener('submit', e => {
      e.preventDefault();
      const text = $('message').value.trim();
      if (!text) return;
      send({ type: 'message', text });
      $('message').value = '';
    });
    screen.addEventListener('mousedown', e => { const p = point(e); if (!p) return; screen.focus({ preventScroll: true }); input('mouse', { event: 'down', x: p.x, y: p.y, button: ['left', 'middle', 'right'][e.button] || 'left', clickCount: e.detail || 1, modifiers: modifiers(e) }); e.preventDefault(); });
    screen.addEventListener('mouseup', e => { const p = point(e, true); input('mouse', { event: 'up', x: p.x, y: p.y, button: ['left', 'middle', 'right'][e.button] || 'left', clickCount: e.detail || 1, modifiers: modifiers(e) }); e.preventDefault(); });
    screen.addEventListener('mousemove', e => { const now = performance.now(); if (now - lastMove < 32) return; lastMove = now; const p = point(e); if (!p) return; input('mouse', { event: 'move', x: p.x, y: p.y, modifiers: modifiers(e) }); });
    screen.addEventListener('wheel', e => { const p = point(e); if (!p) return; input('wheel', { x: p.x, y: p.y, deltaX: e.deltaX, deltaY: e.deltaY, modifiers: modifiers(e) }); e.preventDefault(); }, { passive: false });
    screen.addEventListener('contextmenu', e => e.preventDefault());
    screen.addEventListener('keydown', e => { if (e.isComposing) return; input('key', { event: 'down', key: e.key, modifiers: modifiers(e) }); e.preventDefault(); });
    screen.addEventListener('keyup', e => { if (e.isComposing) return; input('key', { event: 'up', key: e.key, modifiers: modifiers(e) }); e.preventDefault(); });
    screen.addEventListener('compositionend', e => { if (e.data) input('insertText', { text: e.data }); });
    screen.addEventListener('paste', e => { const text = e.clipboardData && e.clipboardData.getData('text'); if (text) input('insertText', { text }); e.preventDefault(); });
    connect();
    """#
}

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
      <button id="take" type="button" disabled>Take over</button>
      <button id="back" type="button" disabled>Hand back</button>
    </header>
    <div id="help" class="help" hidden></div>
    <nav><span id="title"></span> <span id="url" class="url"></span></nav>
    <main>
      <canvas id="screen" tabindex="0" width="1280" height="720"></canvas>
      <aside>
        <h2>Tabs</h2><ul id="tabs"></ul>
        <h2>Errors</h2><ul id="errors"></ul>
        <h2>Events <select id="filter"><option value="">all</option><option>agent</option><option>human</option><option>system</option><option>page</option></select></h2>
        <ol id="events"></ol>
      </aside>
    </main>
    <script src="/app.js"></script>
    </body>
    </html>
    """#

    static let css = #"""
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px system-ui, sans-serif; background: #111; color: #eee; display: flex; flex-direction: column; height: 100vh; }
    header { display: flex; gap: 12px; align-items: center; padding: 8px 12px; background: #222; }
    .driver { font-weight: 600; }
    .driver.human { color: #7fd17f; } .driver.agent { color: #f0c060; }
    .waiting { color: #aaa; flex: 1; }
    button { font: inherit; padding: 4px 12px; }
    .help { padding: 8px 12px; background: #553; }
    nav { padding: 4px 12px; color: #bbb; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .url { color: #8ab; }
    main { display: flex; gap: 8px; padding: 8px; flex: 1 1 auto; min-height: 0; }
    /* The whole screen in the window, its shape kept: bars where the window's shape differs. */
    #screen { flex: 1 1 auto; min-width: 0; height: 100%; object-fit: contain; background: #000; outline: 2px solid #333; }
    #screen:focus { outline-color: #7fd17f; }
    aside { flex: 0 0 280px; overflow: auto; font-size: 12px; overflow-wrap: anywhere; }
    aside h2 { font-size: 13px; margin: 8px 0 4px; }
    ol, ul { margin: 0; padding-left: 18px; }
    ol { padding-left: 34px; }
    #errors li { color: #f88; }
    """#

    static let script = #"""
    'use strict';
    const token = new URLSearchParams(location.search).get('token') || '';
    const $ = id => document.getElementById(id);
    const screen = $('screen'), ctx = screen.getContext('2d');
    let socket, role = 'watch', me = '', meta = null, pendingMeta = null, holder = null, lastMove = 0;

    function send(message) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(message)); }
    function input(type, params) { if (role === 'control' && holder === me) send({ type: 'input', action: { type, params } }); }
    function modifiers(e) { const m = []; if (e.altKey) m.push('Alt'); if (e.ctrlKey) m.push('Control'); if (e.metaKey) m.push('Meta'); if (e.shiftKey) m.push('Shift'); return m; }
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
    function item(list, text, limit) {
      const li = document.createElement('li'); li.textContent = text; list.prepend(li);
      while (list.children.length > limit) list.lastChild.remove();
    }
    function showControl(c) {
      holder = c.holder || null;
      const d = $('driver');
      d.textContent = holder ? (holder + ' is driving') : 'nobody is driving';
      d.className = 'driver ' + (holder ? holder.split(':')[0] : '');
      $('waiting').textContent = (c.queue && c.queue.length) ? 'waiting: ' + c.queue.join(', ') : '';
      $('take').disabled = role !== 'control' || holder === me;
      $('back').disabled = role !== 'control' || holder !== me;
    }
    function connect() {
      socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
      socket.binaryType = 'blob';
      socket.onmessage = async ev => {
        if (typeof ev.data !== 'string') {
          const bitmap = await createImageBitmap(ev.data);
          if (screen.width !== bitmap.width || screen.height !== bitmap.height) { screen.width = bitmap.width; screen.height = bitmap.height; }
          ctx.drawImage(bitmap, 0, 0); bitmap.close();
          meta = pendingMeta;
          document.body.dataset.frames = String(Number(document.body.dataset.frames || 0) + 1);
          send({ type: 'ack' });
          return;
        }
        const m = JSON.parse(ev.data);
        if (m.type === 'hello') { role = m.role; me = m.participant; showControl(m.control || {}); }
        else if (m.type === 'frame') pendingMeta = m;
        else if (m.type === 'control') showControl(m);
        else if (m.type === 'browser_context') { $('title').textContent = m.data.title || ''; $('url').textContent = m.data.url || ''; }
        else if (m.type === 'tabs') { const ul = $('tabs'); ul.textContent = ''; for (const t of m.tabs) item(ul, (t.isActive ? '▶ ' : '') + (t.title || t.url), 50); }
        else if (m.type === 'error') { document.body.dataset.lastError = m.message; item($('errors'), m.message, 50); }
        else if (m.type === 'help') { const h = $('help'); h.hidden = !m.reason; h.textContent = m.reason ? (m.from + ' asks for help: ' + m.reason) : ''; }
        else if (m.type === 'browser_event') {
          const e = m.data, cause = e.cause.id ? e.cause.kind + ':' + e.cause.id : e.cause.kind;
          const filter = $('filter').value;
          if (!filter || filter === e.cause.kind) item($('events'), '#' + e.sequence + ' ' + (m.summary || e.kind + ' ' + cause), 200);
          if (m.error) item($('errors'), '#' + e.sequence + ' ' + m.error, 50);
        }
      };
      socket.onclose = () => { $('driver').textContent = 'disconnected; reconnecting…'; setTimeout(connect, 1000); };
    }
    $('take').onclick = () => send({ type: 'takeOver' });
    $('back').onclick = () => send({ type: 'handBack' });
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

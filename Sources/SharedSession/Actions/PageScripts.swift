import Foundation

/// The script that finds an element and waits until an action can use it, run in the page with one
/// `Runtime.evaluate` round trip. It polls once per animation frame (or 50 ms, in a tab that does not
/// paint) until the element is attached, visible, enabled, editable when it must be, stable (the same
/// box two frames running, for pointer actions) and not covered at its centre — or until the time left
/// runs out, when it reports the last state it saw. An unparseable selector fails on the first pass.
enum PageScripts {
    struct Request: Encodable {
        /// `css` or `text`.
        var kind: String
        var value: String
        /// `click`, `hover`, `fill`, `select`, `check`, `scroll`, `focus`, or a wait:
        /// `attached`, `visible`, `hidden`, `detached`; or `element`: return the element itself (or null)
        /// at once, for `returnByValue: false`.
        var action: String
        var timeoutMs: Double
        var values: [String] = []
    }

    static func locate(_ request: Request) -> String {
        let argument = (try? String(decoding: JSONEncoder().encode(request), as: UTF8.self)) ?? "{}"
        return "(\(locator))(\(argument))"
    }

    /// The locator run on an element itself (a snapshot ref): `this` is the element.
    static let locatorOnElement = "async function(a) { return await (\(locator))(a, this); }"

    static let locator = #"""
    async (a, given) => {
      const norm = s => (s || '').replace(/\s+/g, ' ').trim();
      const pointer = ['click', 'hover', 'check'].includes(a.action);
      const waitOnly = ['attached', 'visible', 'hidden', 'detached'].includes(a.action);
      if (a.kind === 'ref' && (!given || !given.isConnected)) return { error: 'detached' };
      if (a.kind !== 'ref' && !a.value.trim()) return { error: 'invalidSelector', message: 'the selector is empty' };
      if (a.kind === 'css') {
        try { document.querySelector(a.value); } catch (e) { return { error: 'invalidSelector', message: e.message }; }
      }
      const exact = a.kind === 'text' && a.value.length >= 2 && a.value.startsWith('"') && a.value.endsWith('"');
      const needle = a.kind === 'text' ? norm(exact ? a.value.slice(1, -1) : a.value).toLowerCase() : '';
      const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'TITLE']);
      const textOf = el => (el instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(el.type)) ? el.value : el.textContent;
      const query = () => {
        if (a.kind === 'ref') return given.isConnected ? given : null;
        if (a.kind === 'css') return document.querySelector(a.value);
        const root = document.body || document.documentElement;
        if (!root) return null;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT, {
          acceptNode: el => skip.has(el.tagName) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT });
        // The deepest elements whose text matches, in document order.
        const leaves = [];
        for (let el = walker.currentNode; el; el = walker.nextNode()) {
          if (el.nodeType !== 1 || skip.has(el.tagName)) continue;
          const t = norm(textOf(el)).toLowerCase();
          if (exact ? t === needle : t.includes(needle)) {
            if (leaves.length && leaves[leaves.length - 1].contains(el)) leaves[leaves.length - 1] = el; else leaves.push(el);
          }
        }
        if (!leaves.length) return null;
        // Pointer actions prefer something meant to be clicked: "Sign in" the button over the heading.
        if (pointer) {
          const interactive = 'button, a[href], input, select, textarea, label, summary, [role=button], [role=link], [role=checkbox], [role=tab], [role=menuitem], [onclick]';
          const found = leaves.find(el => el.closest(interactive));
          if (found) return found.closest(interactive) === found || found.matches(interactive) ? found : found;
        }
        return leaves[0];
      };
      if (a.action === 'element') return query();
      const describe = el => el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') : 'nothing';
      const frame = () => new Promise(r => { let done = false; const f = () => { if (!done) { done = true; r(); } };
                                            requestAnimationFrame(f); setTimeout(f, 50); });
      const deadline = performance.now() + a.timeoutMs;
      let last = 'not found', lastBox = null;
      for (;;) {
        const el = query();
        if (!el) {
          if (a.action === 'detached') return { ok: true };
          last = 'not found';
        } else if (a.action === 'attached') {
          return { ok: true };
        } else {
          const style = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          const visible = box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
          if (a.action === 'visible' && visible) return { ok: true };
          if (a.action === 'hidden' && !visible) return { ok: true };
          if (waitOnly) {
            last = visible ? 'visible' : 'hidden';
          } else if (!visible) {
            last = 'not visible';
          } else if (el.disabled || el.closest('fieldset[disabled]') || el.getAttribute('aria-disabled') === 'true') {
            last = 'disabled';
          } else if (a.action === 'fill' && (el.readOnly || !(el.isContentEditable || ['INPUT', 'TEXTAREA'].includes(el.tagName)))) {
            return { error: 'notApplicable', message: 'cannot fill ' + describe(el) + ': it is not an input, textarea or editable element' };
          } else if (a.action === 'select' && el.tagName !== 'SELECT') {
            return { error: 'notApplicable', message: 'cannot select an option of ' + describe(el) + ': it is not a <select>' };
          } else if (a.action === 'check' && !(el instanceof HTMLInputElement && ['checkbox', 'radio'].includes(el.type))) {
            return { error: 'notApplicable', message: 'cannot check ' + describe(el) + ': it is not a checkbox or radio button' };
          } else {
            if (pointer || a.action === 'scroll') el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
            const r = el.getBoundingClientRect();
            const key = [r.x, r.y, r.width, r.height].join();
            // Stable: the same box one frame later. With no animation or transition running in the
            // document, nothing moves between frames unless a script moves it each frame, so the box
            // measured now is taken as stable without waiting for a frame.
            const still = lastBox === null && document.getAnimations().length === 0;
            if (pointer && key !== lastBox && !still) {
              lastBox = key;
              last = 'not stable';
            } else {
              const x = r.x + r.width / 2, y = r.y + r.height / 2;
              let hit = pointer ? document.elementFromPoint(x, y) : el;
              // Inside shadow trees the document sees the host: look through it.
              while (pointer && hit && hit.shadowRoot) {
                const inner = hit.shadowRoot.elementFromPoint(x, y);
                if (!inner || inner === hit) break;
                hit = inner;
              }
              const reaches = hit && (hit === el || el.contains(hit) || (el.labels && [...el.labels].some(l => l === hit || l.contains(hit))));
              if (pointer && !reaches) {
                last = 'covered by ' + describe(hit);
              } else {
                if (a.action === 'fill') {
                  el.focus();
                  const direct = el instanceof HTMLInputElement && ['date', 'time', 'datetime-local', 'month', 'week', 'color', 'range'].includes(el.type);
                  if (direct || a.values[0] === '') {
                    if (el.isContentEditable) el.textContent = a.values[0]; else el.value = a.values[0];
                    el.dispatchEvent(new Event('input', { bubbles: true }));
                    el.dispatchEvent(new Event('change', { bubbles: true }));
                    return { ok: true, done: true, box: [r.x, r.y, r.width, r.height] };
                  }
                  if (el.isContentEditable) {
                    const range = document.createRange(); range.selectNodeContents(el);
                    const sel = getSelection(); sel.removeAllRanges(); sel.addRange(range);
                  } else {
                    el.select();
                  }
                  return { ok: true, box: [r.x, r.y, r.width, r.height] };
                }
                if (a.action === 'select') {
                  const picked = [];
                  for (const wanted of a.values) {
                    const option = [...el.options].find(o => o.value === wanted) || [...el.options].find(o => norm(o.label) === norm(wanted));
                    if (!option) return { error: 'optionNotFound', message: 'no option with value or label "' + wanted + '"; options: ' + [...el.options].map(o => o.value + ' (' + norm(o.label) + ')').join(', ') };
                    picked.push(option);
                  }
                  for (const o of el.options) o.selected = picked.includes(o);
                  el.dispatchEvent(new Event('input', { bubbles: true }));
                  el.dispatchEvent(new Event('change', { bubbles: true }));
                  return { ok: true, selected: picked.map(o => o.value), box: [r.x, r.y, r.width, r.height] };
                }
                if (a.action === 'focus') el.focus();
                return { ok: true, x, y, checked: el.checked === true, box: [r.x, r.y, r.width, r.height] };
              }
            }
          }
        }
        if (performance.now() >= deadline) return { error: 'timeout', state: last };
        await frame();
      }
    }
    """#

    /// Waits until the page's visible text contains `text` (case-insensitive, whitespace collapsed).
    static func waitForText(_ text: String, timeoutMs: Double) -> String {
        let argument = (try? String(decoding: JSONEncoder().encode([text]), as: UTF8.self)) ?? "[\"\"]"
        return #"""
        (async ([text]) => {
          const norm = s => (s || '').replace(/\s+/g, ' ').trim().toLowerCase();
          const needle = norm(text);
          const deadline = performance.now() + \#(timeoutMs);
          for (;;) {
            if (document.body && norm(document.body.innerText).includes(needle)) return { ok: true };
            if (performance.now() >= deadline) return { error: 'timeout', state: 'text not found' };
            await new Promise(r => { let d = false; const f = () => { if (!d) { d = true; r(); } }; requestAnimationFrame(f); setTimeout(f, 50); });
          }
        })(\#(argument))
        """#
    }
}

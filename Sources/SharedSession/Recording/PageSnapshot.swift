import CDPTransport
import Foundation

/// The page's document at one moment, for the timeline: its elements, attributes, text and the
/// values of its fields, in the nested-array form of Playwright's trace (`frame-snapshot`), so
/// `playwright show-trace` draws the page as it was and its text can be searched.
///
/// Read in the session's isolated world (the page cannot change what is recorded). Scripts and event
/// handlers are left out, same-origin style sheets are inlined, the value of a field that takes a
/// secret (``Elements/secretFieldFunction``) is never read, and a document of more than
/// ``nodeLimit`` nodes is cut (the snapshot says so).
struct PageSnapshot: Decodable, Sendable {
    /// `html`, or nil without a doctype.
    var doctype: String?
    /// The document element as JSON: `["HTML", {attributes}, child, …]`, a text node as a string.
    var html: String
    var url: String
    var width: Double
    var height: Double
    var nodes: Int
    var truncated: Bool

    /// The most nodes a snapshot keeps.
    static let nodeLimit = 30_000

    /// The document of `tab` now, or nil when it cannot be read (no document, a dialog open, the
    /// page busy past `limit`). `stillWanted` is asked just before the script is sent.
    static func read(_ tab: Tab, within limit: Duration = .seconds(2), stillWanted: @Sendable () -> Bool = { true }) async -> PageSnapshot? {
        guard tab.dialog == nil else { return nil }
        let deadline = tab.clock.deadline(in: limit)
        return try? await PageWorld.run(tab, deadline: deadline) { world in
            guard stillWanted() else { throw CancellationError() }
            return try await tab.script(PageWorld.Evaluate<PageSnapshot>(expression: "(\(script))(\(nodeLimit))", contextId: world),
                                        timeout: deadline.remaining).result.value
        }
    }

    /// `function (limit)`: the snapshot of the document.
    static let script = #"""
    function (limit) {
      const secret = \#(Elements.secretFieldFunction);
      let nodes = 0, truncated = false;
      const skipped = new Set(['SCRIPT', 'NOSCRIPT', 'TEMPLATE']);
      const sheetText = (link) => {
        try { return [...link.sheet.cssRules].map(r => r.cssText).join('\n'); } catch (e) { return null; }
      };
      const visit = (node) => {
        if (nodes >= limit) { truncated = true; return null; }
        if (node.nodeType === Node.TEXT_NODE) {
          nodes++;
          const text = node.nodeValue;
          return text.length > 10000 ? text.slice(0, 10000) : text;
        }
        if (node.nodeType !== Node.ELEMENT_NODE) return null;
        const el = node, name = el.nodeName;
        if (skipped.has(name)) return null;
        nodes++;
        if (name === 'LINK' && /stylesheet/i.test(el.getAttribute('rel') || '')) {
          const css = sheetText(el);
          if (css !== null) return ['STYLE', {}, css];
        }
        const attrs = {};
        const hidden = secret(el);
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) continue;
          if (hidden && a.name === 'value') continue;
          attrs[a.name] = a.value;
        }
        if ((name === 'INPUT' || name === 'TEXTAREA') && !hidden) {
          if (el.type === 'checkbox' || el.type === 'radio') { if (el.checked) attrs['__playwright_checked_'] = 'true'; }
          else if (el.type !== 'file') attrs['__playwright_value_'] = String(el.value).slice(0, 10000);
        }
        if (name === 'OPTION' && el.selected) attrs['__playwright_selected_'] = 'true';
        if (el.scrollTop) attrs['__playwright_scroll_top_'] = String(el.scrollTop);
        if (el.scrollLeft) attrs['__playwright_scroll_left_'] = String(el.scrollLeft);
        const out = [name, attrs];
        if (name !== 'TEXTAREA') {
          for (let child = el.firstChild; child; child = child.nextSibling) {
            const kept = visit(child);
            if (kept !== null) out.push(kept);
          }
        }
        return out;
      };
      const root = document.documentElement;
      const html = root ? visit(root) : ['HTML', {}];
      return { doctype: document.doctype ? document.doctype.name : null, html: JSON.stringify(html), url: location.href,
               width: innerWidth, height: innerHeight, nodes, truncated };
    }
    """#
}

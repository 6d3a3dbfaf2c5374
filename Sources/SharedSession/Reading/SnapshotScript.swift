/// The page-side half of a snapshot: one walk of the DOM (open shadow roots included) in the
/// session's isolated world, computing each element's role, accessible name, value and state the
/// way the browser's accessibility tree does, whether it lies in the viewport, and an id for every
/// interactive element that stays the element's own for as long as the document lives.
///
/// It runs in an isolated world, so the page's scripts can neither see the ids nor tamper with the
/// walk (a page that replaces `getComputedStyle` or `Element.prototype` changes only its own world).
/// The result is one string, a line per node (`depth TAB role TAB name TAB value TAB state TAB id
/// TAB inView`), parsed by ``PageReader``: decoding one string is far cheaper than a tree of JSON
/// objects. Generic containers are not sent: their children take their place, as the snapshot's
/// folding would do anyway.
enum SnapshotScript {
    /// The function called on the root element (`this`), or with `this` undefined for the document.
    static let walker = walkerHead + names + walkerBody

    private static let walkerHead = #"""
    async function (options) {
      const S = globalThis.__sharedBrowser || (globalThis.__sharedBrowser = { ids: new WeakMap(), elements: new Map(), next: 1 });
      const idOf = el => {
        let id = S.ids.get(el);
        if (id === undefined) { id = S.next++; S.ids.set(el, id); S.elements.set(id, new WeakRef(el)); }
        return id;
      };
    """# + "\n"

    /// How the walk computes an element's role, accessible name, value and state (`roleOf`, `nameOf`,
    /// `valueOf`, `stateOf` and their helpers): shared with the scripts that name the element at a
    /// point or in focus (``ElementSpot``), so a person's click reads with the snapshot's words.
    static let names = #"""
      const norm = s => (typeof s === 'string' ? s : '').replace(/\s+/g, ' ').trim();
      const INTERACTIVE = new Set(['link', 'button', 'textbox', 'searchbox', 'checkbox', 'radio', 'combobox', 'listbox', 'option',
        'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab', 'switch', 'slider', 'spinbutton', 'treeitem']);
      const FROM_CONTENT = new Set(['link', 'button', 'heading', 'tab', 'option', 'menuitem', 'menuitemcheckbox', 'menuitemradio',
        'checkbox', 'radio', 'cell', 'columnheader', 'rowheader', 'treeitem', 'switch', 'legend', 'caption', 'tooltip', 'term']);
      const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'TITLE', 'META', 'LINK', 'BASE']);
      const INPUT_ROLES = { button: 'button', submit: 'button', reset: 'button', image: 'button', file: 'button', color: 'button',
        checkbox: 'checkbox', radio: 'radio', range: 'slider', number: 'spinbutton', search: 'searchbox' };
      const TAG_ROLES = { BUTTON: 'button', TEXTAREA: 'textbox', OPTION: 'option', UL: 'list', OL: 'list', MENU: 'list',
        LI: 'listitem', NAV: 'navigation', MAIN: 'main', ASIDE: 'complementary', ARTICLE: 'article', FORM: 'form',
        TABLE: 'table', TR: 'row', TD: 'cell', CAPTION: 'caption', P: 'paragraph', BLOCKQUOTE: 'blockquote',
        FIGURE: 'figure', HR: 'separator', DIALOG: 'dialog', DETAILS: 'group', SUMMARY: 'button', FIELDSET: 'group',
        LEGEND: 'legend', LABEL: 'LabelText', PROGRESS: 'progressbar', METER: 'meter', OUTPUT: 'status', STRONG: 'strong',
        EM: 'emphasis', CODE: 'code', MARK: 'mark', TIME: 'time', SUP: 'superscript', SUB: 'subscript', BR: 'LineBreak',
        DT: 'term', DD: 'definition', IFRAME: 'Iframe', FRAME: 'Iframe' };
      const styles = new Map();
      const styleOf = el => { let s = styles.get(el); if (!s) { s = getComputedStyle(el); styles.set(el, s); } return s; };
      const hidden = el => {
        if (el.getAttribute('aria-hidden') === 'true' || el.hasAttribute('inert')) return true;
        const s = styleOf(el);
        return s.display === 'none' || s.visibility === 'hidden' || s.visibility === 'collapse';
      };
      const landmarkInside = el => !!el.parentElement && !!el.parentElement.closest('article, aside, main, nav, section');
      const childrenOf = el => {
        if (el.shadowRoot) return el.shadowRoot.childNodes;
        if (el.tagName === 'SLOT') { const assigned = el.assignedNodes({ flatten: true }); if (assigned.length) return assigned; }
        return el.childNodes;
      };
      const isSvg = el => el.namespaceURI === 'http://www.w3.org/2000/svg';
      const svgTitle = el => { const t = el.querySelector(':scope > title'); return t ? norm(t.textContent) : ''; };
      function roleOf(el) {
        const explicit = (el.getAttribute('role') || '').trim().split(/\s+/)[0].toLowerCase();
        if (explicit) return explicit === 'presentation' ? 'none' : explicit === 'img' ? 'image' : explicit;
        if (el.isContentEditable && !(el.parentElement && el.parentElement.isContentEditable)) return 'textbox';
        const tag = el.tagName;
        if (isSvg(el)) return tag.toLowerCase() === 'svg' ? 'svg' : 'generic';
        switch (tag) {
          case 'A': case 'AREA': return el.hasAttribute('href') ? 'link' : 'generic';
          case 'INPUT': {
            const type = (el.getAttribute('type') || 'text').toLowerCase();
            if (type === 'hidden') return null;
            if (el.hasAttribute('list') && ['text', 'search', 'email', 'tel', 'url'].includes(type)) return 'combobox';
            return INPUT_ROLES[type] || 'textbox';
          }
          case 'SELECT': return el.multiple || el.size > 1 ? 'listbox' : 'combobox';
          case 'H1': case 'H2': case 'H3': case 'H4': case 'H5': case 'H6': return 'heading';
          case 'IMG': return el.getAttribute('alt') === '' && !el.title ? 'none' : 'image';
          case 'HEADER': return landmarkInside(el) ? 'generic' : 'banner';
          case 'FOOTER': return landmarkInside(el) ? 'generic' : 'contentinfo';
          case 'SECTION': return el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ? 'region' : 'generic';
          case 'TH': {
            const scope = (el.getAttribute('scope') || '').toLowerCase();
            if (scope === 'row' || scope === 'rowgroup') return 'rowheader';
            if (scope === 'col' || scope === 'colgroup' || (el.parentElement && el.parentElement.parentElement && el.parentElement.parentElement.tagName === 'THEAD')) return 'columnheader';
            return el.parentElement && [...el.parentElement.children].some(c => c.tagName === 'TD') ? 'rowheader' : 'columnheader';
          }
          default: return TAG_ROLES[tag] || 'generic';
        }
      }
      const secret = el => el.tagName === 'INPUT' && (el.type === 'password'
        || (el.getAttribute('autocomplete') || '').toLowerCase().split(/\s+/).includes('one-time-code'));
      // The text of an element's content, as a name: text, image alternatives, hidden parts left out.
      // A control inside the element counts as its value (a select as its chosen options), except
      // `self`, the control being named (a label names the field it holds by its text alone), and
      // secret fields.
      function contentText(el, depth, self) {
        if (depth > 20) return '';
        let out = '';
        for (const node of childrenOf(el)) {
          if (node.nodeType === 3) { out += node.data; continue; }
          // A table inside a cell is content of its own, not part of the cell's name.
          if (node.nodeType !== 1 || SKIP.has(node.tagName) || node.tagName === 'TABLE' || node === self || hidden(node)) continue;
          const label = node.getAttribute('aria-label');
          const tag = node.tagName;
          let part;
          if (label && label.trim()) part = label;
          else if (tag === 'IMG' || tag === 'AREA') part = node.getAttribute('alt') || '';
          else if (tag === 'INPUT' && ['button', 'submit', 'reset'].includes(node.type)) part = node.value;
          else if (tag === 'INPUT') part = ['checkbox', 'radio', 'image', 'file', 'hidden', 'color'].includes(node.type) || secret(node) ? '' : node.value;
          else if (tag === 'TEXTAREA') part = node.value;
          else if (tag === 'SELECT') part = [...node.selectedOptions].map(o => o.label || o.text).join(' ');
          else if (isSvg(node)) part = tag.toLowerCase() === 'svg' ? svgTitle(node) : contentText(node, depth + 1, self);
          else part = contentText(node, depth + 1, self);
          // Text flows on within inline elements; the names of replaced or block elements stand apart.
          const plain = part === undefined || (!label && tag !== 'IMG' && tag !== 'AREA' && tag !== 'INPUT' && tag !== 'TEXTAREA' && tag !== 'SELECT' && !isSvg(node));
          const inline = plain && styleOf(node).display.startsWith('inline') && node.tagName !== 'BR';
          out += inline ? part : ' ' + part + ' ';
        }
        return out;
      }
      function referenced(el, ids) {
        const root = el.getRootNode();
        const find = id => (root.getElementById ? root.getElementById(id) : null) || document.getElementById(id);
        return norm((ids || '').split(/\s+/).filter(Boolean).map(find).filter(Boolean).map(e => contentText(e, 0) || e.textContent).join(' '));
      }
      // Every label's control, found once: `el.labels` searches the whole document for each field.
      // (per document or shadow root, each looked through once).
      const labelMaps = new Map();
      const labelsOf = el => {
        const root = el.getRootNode();
        let map = labelMaps.get(root);
        if (!map) {
          map = new Map();
          for (const label of (root.querySelectorAll ? root : document).querySelectorAll('label')) {
            const control = label.control;
            if (!control) continue;
            const list = map.get(control);
            if (list) list.push(label); else map.set(control, [label]);
          }
          labelMaps.set(root, map);
        }
        return map.get(el) || [];
      };
      function nameOf(el, role) {
        const tag = el.tagName;
        const labelledby = el.getAttribute('aria-labelledby');
        if (labelledby) { const n = referenced(el, labelledby); if (n) return n; }
        const label = el.getAttribute('aria-label');
        if (label && label.trim()) return norm(label);
        if (tag === 'INPUT') {
          const type = el.type;
          if (type === 'button' || type === 'submit' || type === 'reset') return norm(el.value) || (type === 'submit' ? 'Submit' : type === 'reset' ? 'Reset' : '');
          if (type === 'image') return norm(el.alt || el.value) || 'Submit';
        }
        if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || tag === 'METER' || tag === 'PROGRESS' || tag === 'OUTPUT') {
          const own = labelsOf(el);
          if (own.length) {
            const text = norm(own.map(l => contentText(l, 0, el)).join(' '));
            if (text) return text;
          }
          return norm(el.title || el.getAttribute('placeholder') || '');
        }
        if (tag === 'IMG' || tag === 'AREA') return norm(el.getAttribute('alt') || el.title);
        if (isSvg(el)) return svgTitle(el) || norm(el.getAttribute('title') || '');
        if (tag === 'FIELDSET') { const legend = el.querySelector(':scope > legend'); if (legend) return norm(contentText(legend, 0)); }
        if (tag === 'TABLE') { const caption = el.querySelector(':scope > caption'); if (caption) return norm(contentText(caption, 0)); }
        if (FROM_CONTENT.has(role) || tag === 'BUTTON' || tag === 'SUMMARY') { const n = norm(contentText(el, 0)); if (n) return n; }
        return norm(el.title || '');
      }
      function valueOf(el, role) {
        const tag = el.tagName;
        if (tag === 'INPUT' || tag === 'TEXTAREA') {
          if (['checkbox', 'radio', 'button', 'submit', 'reset', 'image', 'file', 'color'].includes(el.type)) return '';
          return el.value && secret(el) ? '•••' : el.value;
        }
        if (tag === 'SELECT') return [...el.selectedOptions].map(o => o.label || o.text).join(', ');
        if (role === 'slider' || role === 'spinbutton' || role === 'progressbar' || role === 'meter') return el.getAttribute('aria-valuetext') || el.getAttribute('aria-valuenow') || (el.value != null ? String(el.value) : '');
        return '';
      }
      function stateOf(el, role) {
        const parts = [];
        const tag = el.tagName;
        const aria = name => el.getAttribute(name);
        if (tag === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) parts.push('checked=' + (el.indeterminate ? 'mixed' : el.checked));
        else if (aria('aria-checked')) parts.push('checked=' + aria('aria-checked'));
        if ((el.matches && el.matches(':disabled')) || aria('aria-disabled') === 'true') parts.push('disabled=true');
        if (aria('aria-expanded')) parts.push('expanded=' + aria('aria-expanded'));
        else if (tag === 'SUMMARY' && el.parentElement && el.parentElement.tagName === 'DETAILS') parts.push('expanded=' + el.parentElement.open);
        if (role === 'heading') parts.push('level=' + (aria('aria-level') || (/^H[1-6]$/.test(tag) ? tag[1] : '2')));
        if (el.required || aria('aria-required') === 'true') parts.push('required=true');
        if (tag === 'OPTION' ? el.selected : aria('aria-selected') === 'true') parts.push('selected=true');
        if (aria('aria-pressed')) parts.push('pressed=' + aria('aria-pressed'));
        return parts.join(',');
      }
    """# + "\n"

    private static let walkerBody = #"""
      const vw = innerWidth, vh = innerHeight;
      const inView = el => {
        if (!options.visibility) return '';
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < vh && r.left < vw ? '1' : '0';
      };
      const lines = [];
      const emit = (depth, role, name, value, state, id, seen) => {
        lines.push(depth + '\t' + role + '\t' + name + '\t' + norm(value) + '\t' + state + '\t' + id + '\t' + seen);
      };
      // quiet: inside an element named by its content (its text is its name); seen: the nearest
      // element's viewport flag, for text.
      function walk(el, depth, quiet, seen) {
        if (lines.length >= options.maxNodes) return;
        if (SKIP.has(el.tagName) || hidden(el)) return;
        let role = roleOf(el);
        if (role === null) return;
        const own = options.visibility ? inView(el) : '';
        const flag = own === '' ? seen : (own === '1' || (styleOf(el).display === 'contents' && seen === '1') ? '1' : '0');
        if (role === 'svg') {
          const name = nameOf(el, 'image');
          if (name) { if (!quiet) emit(depth, 'image', name, '', '', 0, flag); return; }
          role = 'generic';   // an unnamed drawing: only its text, if any
        }
        if (role === 'generic' || role === 'none') {
          later(childrenOf(el), depth, quiet, flag);
          return;
        }
        if (quiet && role === 'image') return;
        const name = nameOf(el, role);
        const interactive = INTERACTIVE.has(role);
        emit(depth, role, name, valueOf(el, role), stateOf(el, role), interactive ? idOf(el) : 0, flag);
        // A select shows its choice as its value (a listbox lists its options); a text area its text.
        if ((el.tagName === 'SELECT' && role === 'combobox') || el.tagName === 'TEXTAREA') return;
        // A closed <details> shows only its summary.
        if (el.tagName === 'DETAILS' && !el.open) {
          const summary = el.querySelector(':scope > summary');
          if (summary) stack.push([summary, depth + 1, quiet || (name !== '' && FROM_CONTENT.has(role)), flag]);
          return;
        }
        const childQuiet = quiet || (name !== '' && FROM_CONTENT.has(role));
        later(childrenOf(el), depth + 1, childQuiet, flag);
      }
      // The walk is depth first in document order, from a stack: it can stop every 20 ms to let the
      // page (and other participants' scripts) run, and end early when the reader gave up.
      const stack = [];
      const later = (nodes, depth, quiet, seen) => {
        for (let i = nodes.length - 1; i >= 0; i--) stack.push([nodes[i], depth, quiet, seen]);
      };
      const pause = () => new Promise(resolve => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(0);
      });
      async function drain() {
        let since = performance.now();
        let count = 0;
        while (stack.length) {
          if (++count % 256 === 0 && performance.now() - since > 20) {
            await pause();
            if (S.stop === options.token) throw new Error('the read was given up');
            since = performance.now();
          }
          const [node, depth, quiet, seen] = stack.pop();
          visit(node, depth, quiet, seen);
        }
      }
      function visit(node, depth, quiet, seen) {
        if (node.nodeType === 1) walk(node, depth, quiet, seen);
        else if (node.nodeType === 3 && !quiet && !options.interactiveOnly) {
          const text = norm(node.data);
          if (text) emit(depth, 'StaticText', text, '', '', 0, seen);
        }
      }
      const root = this && this.nodeType === 1 ? this : null;
      if (root) {
        // One top node, whatever the root turns into (a container may fold into several).
        emit(0, 'none', '', '', '', 0, options.visibility ? '1' : '');
        stack.push([root, 1, false, options.visibility ? '1' : '']);
      } else {
        emit(0, 'RootWebArea', norm(document.title), '', '', 0, options.visibility ? '1' : '');
        const body = document.body || document.documentElement;
        if (body) later(childrenOf(body), 1, false, options.visibility ? '1' : '');
      }
      await drain();
      let controls = '';
      if (options.controls) {
        const found = [];
        for (const c of document.querySelectorAll('input, select, textarea, button')) {
          found.push(idOf(c) + '\t' + c.tagName.toLowerCase() + '\t' + norm(c.getAttribute('name')));
        }
        controls = found.join('\n');
      }
      return { nodes: lines.join('\n'), controls, truncated: lines.length >= options.maxNodes };
    }
    """#

    /// Returns the element of an id the walk gave out, or null when it is gone.
    static func element(_ id: Int) -> String {
        "(() => { const S = globalThis.__sharedBrowser; const r = S && S.elements.get(\(id)); return (r && r.deref()) || null; })()"
    }
}

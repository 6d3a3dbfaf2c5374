import CDPTransport
public import EventBuffer
import Foundation
import SharedBrowserSupport

/// The element a click at a point or a key in focus acts on, named with the snapshot's roles and
/// names: what a person's input is resolved to (`click button "Search"`), what an approval shows, and
/// what a policy matches. Read in the session's isolated world, so the page cannot change the answer.
struct ElementSpot: Decodable, Sendable, Hashable {
    /// The snapshot's role (`button`, `textbox`, `link`); `page` when nothing is there.
    var role: String
    /// Its accessible name (for a non-interactive element, the start of its text).
    var name: String
    /// Its box in CSS pixels of the viewport: x, y, width, height.
    var box: [Double]
    /// It takes a secret (``Elements/secretFieldFunction``: the same test as for typed text in events).
    var secret: Bool
    /// A click on it submits its form (a submit button or image input in a form).
    var submits: Bool
    /// Enter in it submits its form (a single-line field in a form).
    var enterSubmits: Bool
    /// For a link: where it goes.
    var href: String?
    /// Its form, in words (`the search form`, `the form "Project"`), when it is in one.
    var form: String?

    /// `button "Search"`, `textbox "Name"`, `the page`.
    var words: String {
        if role == "page" { return "the page" }
        return name.isEmpty ? role : "\(role) \"\(name)\""
    }

    var elementBox: ElementBox? {
        box.count == 4 ? ElementBox(x: box[0], y: box[1], width: box[2], height: box[3]) : nil
    }

    /// The element at (`x`, `y`) (through open shadow roots), or the focused element when `x` is nil.
    static func read(_ tab: Tab, x: Double? = nil, y: Double? = nil, watchSubmit: Bool = false,
                     within limit: Duration = .seconds(1)) async -> ElementSpot? {
        guard tab.dialog == nil else { return nil }
        let deadline = tab.clock.deadline(in: limit)
        let call = "(\(script))(\(x.map { "\($0)" } ?? "null"), \(y.map { "\($0)" } ?? "null"), \(watchSubmit))"
        return try? await PageWorld.run(tab, deadline: deadline) { world in
            try await tab.script(PageWorld.Evaluate<ElementSpot>(expression: call, contextId: world),
                                 timeout: deadline.remaining).result.value
        }
    }

    /// Whether a form was submitted since ``read(_:x:y:watchSubmit:within:)`` was asked to watch;
    /// nil when it cannot be told (the document is gone: then something loaded).
    static func submitted(_ tab: Tab) async -> Bool? {
        guard tab.dialog == nil else { return nil }
        let deadline = tab.clock.deadline(in: .seconds(1))
        return try? await PageWorld.run(tab, deadline: deadline) { world in
            try await tab.script(PageWorld.Evaluate<Bool>(
                expression: "(() => { const S = globalThis.__sharedBrowserSubmit; return !!(S && S.seen); })()", contextId: world),
                                 timeout: deadline.remaining).result.value
        }
    }

    /// `function (x, y, watchSubmit)`: the element at the point (or in focus), climbing to the
    /// nearest interactive element (a label stands for its control).
    static let script = "function (x, y, watchSubmit) {\n" + SnapshotScript.names + #"""
      const deepAt = (x, y) => {
        let el = document.elementFromPoint(x, y);
        for (let i = 0; el && el.shadowRoot && i < 20; i++) { const inner = el.shadowRoot.elementFromPoint(x, y); if (!inner || inner === el) break; el = inner; }
        return el;
      };
      const deepFocus = () => {
        let el = document.activeElement;
        for (let i = 0; el && el.shadowRoot && el.shadowRoot.activeElement && i < 20; i++) el = el.shadowRoot.activeElement;
        return el;
      };
      if (watchSubmit) {
        const W = globalThis.__sharedBrowserSubmit || (globalThis.__sharedBrowserSubmit = { seen: false });
        W.seen = false;
        if (!W.listening) { W.listening = true; document.addEventListener('submit', () => { W.seen = true; }, true); }
      }
      const start = x === null ? deepFocus() : deepAt(x, y);
      const up = e => e.parentElement || (e.getRootNode() instanceof ShadowRoot ? e.getRootNode().host : null);
      let found = null;
      for (let e = start, i = 0; e && i < 15; e = up(e), i++) {
        if (e === document.body || e === document.documentElement) break;
        if (e.tagName === 'LABEL' && e.control) { found = e.control; break; }
        const r = roleOf(e);
        if (r && INTERACTIVE.has(r)) { found = e; break; }
        if (e.isContentEditable) { found = e; break; }
      }
      const el = found || start;
      if (!el || el === document.body || el === document.documentElement) {
        return { role: 'page', name: '', box: [], secret: false, submits: false, enterSubmits: false };
      }
      const role = roleOf(el) || 'generic';
      let name = nameOf(el, role);
      if (!found && !name) name = norm(el.innerText || el.textContent || '');
      if (name.length > 80) name = name.slice(0, 79) + '…';
      const r = el.getBoundingClientRect();
      const form = el.form || (el.closest && el.closest('form')) || null;
      const type = (el.getAttribute('type') || '').toLowerCase();
      const submits = !!form && ((el.tagName === 'BUTTON' && (type === '' || type === 'submit')) || (el.tagName === 'INPUT' && (type === 'submit' || type === 'image')));
      const enterSubmits = !!form && el.tagName === 'INPUT' && !['button', 'submit', 'reset', 'image', 'checkbox', 'radio', 'file', 'hidden', 'color', 'range'].includes(type);
      let formWords = null;
      if (form) {
        const label = norm(form.getAttribute('aria-label') || referenced(form, form.getAttribute('aria-labelledby')) || form.getAttribute('name') || form.id || '');
        const search = (form.getAttribute('role') || '') === 'search' || /search/i.test(label) || !!form.querySelector('input[type=search], [role=searchbox]');
        formWords = search ? 'the search form' : label ? 'the form "' + label.slice(0, 60) + '"' : 'the form';
      }
      const link = el.closest && el.closest('a[href]');
      return { role, name, box: [r.x, r.y, r.width, r.height], secret: (\#(Elements.secretFieldFunction))(el), submits, enterSubmits,
               href: link ? link.href : null, form: formWords };
    }
    """#
}

/// What an action learned on its way, for its record: the element it reached, where, and the
/// approval it had. Set by the action's body, read by ``SharedBrowserSession/perform(_:target:options:_:)``.
final class ActionNotes: Sendable {
    struct Values: Sendable {
        var spot: ElementSpot?
        var point: ViewportPoint?
        /// The box of the element it acted on, as located (when the spot was not read).
        var box: ElementBox?
        var approval: ApprovalInfo?
        /// For `openTab`: the tab it opened.
        var openedTab: String?
    }
    /// The queue the action holds: let go while it waits for a person's approval, so the person's
    /// own input and other participants' reads go on meanwhile.
    let queue: ActionQueue?
    init(queue: ActionQueue?) { self.queue = queue }
    let values = LockedValue(Values())
    @TaskLocal static var current: ActionNotes?
}

extension SharedBrowserSession {
    /// Before an agent's action acts on an element or goes somewhere: reads the element it reaches
    /// (at `x`, `y`, or in focus with `focus`) for its record and the live view's marker — when a
    /// person watches or approvals are on — then waits for a person's approval when a rule of
    /// ``Options/approvals`` covers it. Returns whether it
    /// waited for one (the page may have changed meanwhile: the caller finds its element again).
    @discardableResult
    func reach(_ action: BrowserAction, _ tab: Tab, x: Double? = nil, y: Double? = nil, focus: Bool = false,
               deadline: Deadline) async throws -> Bool {
        // The point is known already (the timeline marks it); the element is read only when someone
        // uses it: a person watching (the marker on the screen) or an approval rule (what it matches).
        if let x, let y { ActionNotes.current?.values.withLock { $0.point = ViewportPoint(x: x, y: y) } }
        guard Participant(action.source).kind != .human, !options.approvals.isEmpty || screencast.subscriberCount > 0 else { return false }
        let p = action.params
        var spot: ElementSpot?
        let limit = min(.seconds(1), deadline.remaining)
        if let x, let y {
            spot = await ElementSpot.read(tab, x: x, y: y, within: limit)
        } else if focus {
            spot = await ElementSpot.read(tab, within: limit)
        }
        ActionNotes.current?.values.withLock { $0.spot = spot }
        guard !options.approvals.isEmpty else { return false }
        let element = spot.map(\.words) ?? p.target ?? "the focused element"
        var subject = ApprovalSubject(spot: spot, words: "")
        switch action.type {
        case .click:
            subject.isClick = true
            subject.submits = spot?.submits ?? false
            subject.url = spot?.href
            subject.words = "click \(element)" + (subject.submits ? " (submits \(spot?.form ?? "the form"))" : "")
                + (spot?.href.map { " (goes to \($0))" } ?? "")
        case .press, .type:
            let enters = action.type == .press ? p.key == "Enter" : (p.text ?? "").contains("\n")
            subject.submits = enters && spot?.enterSubmits == true
            subject.words = (action.type == .press ? "press \(p.key ?? "")" : "type") + " in \(element)"
                + (subject.submits ? " (submits \(spot?.form ?? "the form"))" : "")
        case .navigate, .openTab:
            subject.url = p.url
            subject.words = action.type == .navigate ? "go to \(p.url ?? "")" : "open a tab at \(p.url ?? "")"
        case .evaluate:
            let script = p.script ?? ""
            subject.submits = script.contains("requestSubmit") || script.contains(".submit(")
            subject.words = "run a script that submits a form"
        default:
            return false
        }
        guard subject.rule(in: options.approvals) != nil else { return false }
        let queue = ActionNotes.current?.queue
        queue?.release()
        let answer: Result<ApprovalInfo?, any Error>
        do { answer = .success(try await approval(for: action, subject, deadline: deadline)) } catch { answer = .failure(error) }
        await queue?.acquire()
        if let approval = try answer.get() {
            ActionNotes.current?.values.withLock { $0.approval = approval }
        }
        return true
    }
}

import CDPTransport
import Foundation

/// What the page itself says went wrong (or happened) after an action: fields it marked invalid,
/// with their messages, and messages it announced — in `role=alert`, `role=status` or `aria-live`
/// regions, or a server's error note on a re-rendered form.
///
/// After an action that stays on the document, only what changed is reported (a field that became
/// invalid, text that appeared); after one that loaded a new document, every invalid field and
/// every alert or error note it shows.
public struct PageFeedback: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A field the page marks invalid (`aria-invalid="true"`, or the browser's own validation after
    /// the person or agent touched it).
    public struct Field: Sendable, Hashable, Codable {
        /// Its label, else its `aria-label`, placeholder, name or id.
        public var label: String
        /// Its `name` attribute, if any.
        public var name: String?
        /// The message: its `aria-errormessage`, the browser's validation message, its
        /// `aria-describedby` text, or an error text beside it; empty when the page gives none.
        public var message: String
    }

    /// The fields the page marks invalid.
    public var invalidFields: [Field]
    /// Alert, status and live-region texts, and error notes.
    public var messages: [String]

    /// Whether the page says something was not taken: a field it marks invalid, or an alert or error
    /// note (not a status message).
    public var rejects: Bool { !invalidFields.isEmpty || !(alerts ?? []).isEmpty }

    /// The messages that came from alerts and error notes (a subset of ``messages``).
    public var alerts: [String]?

    /// Whether the page reports nothing.
    public var isEmpty: Bool { invalidFields.isEmpty && messages.isEmpty }

    /// For a model: one line per field and message.
    public var description: String {
        var lines = ["The page reports:"]
        lines += invalidFields.map { "- invalid field \"\($0.label)\"" + ($0.message.isEmpty ? "" : ": " + $0.message) }
        lines += messages.map { "- message: " + $0 }
        return lines.joined(separator: "\n")
    }

    /// The state the page shows now, to compare with the one after an action.
    struct Reading: Decodable, Sendable {
        /// `[label, name, message]`.
        var fields: [[String]]
        /// Alert texts and error notes (`important`), and status or live-region texts.
        var alerts: [String]
        var statuses: [String]
        /// Whether the focused element takes a secret (``Elements/focusIsSecret(_:)``).
        var focusSecret: Bool?
        /// The document's title as read (the browser's own report of a change comes a moment later).
        var title: String?
    }

    static func read(_ tab: Tab) async -> Reading? {
        guard tab.dialog == nil else { return nil }
        let deadline = tab.clock.deadline(in: .seconds(2))
        return try? await PageWorld.run(tab, deadline: deadline) { world in
            try await tab.script(PageWorld.Evaluate<Reading>(expression: script, contextId: world),
                                    timeout: deadline.remaining).result.value
        }
    }

    /// What `after` shows that `before` did not (all of it, with alerts only, on a new document).
    static func difference(before: Reading?, after: Reading?, newDocument: Bool) -> PageFeedback? {
        guard let after else { return nil }
        let old = newDocument ? nil : before
        let oldFields = Set((old?.fields ?? []).map { $0.prefix(2).joined(separator: "\u{1F}") })
        let oldTexts = Set((old?.alerts ?? []) + (old?.statuses ?? []))
        var fields: [Field] = []
        for field in after.fields where field.count == 3 && !oldFields.contains(field.prefix(2).joined(separator: "\u{1F}")) {
            fields.append(Field(label: field[0], name: field[1].isEmpty ? nil : field[1], message: field[2]))
        }
        // On a new document, status and live regions say how it loaded ("Ready"): only alerts count.
        let candidates = after.alerts + (newDocument ? [] : after.statuses)
        let fieldMessages = Set(fields.map(\.message))
        var seen = Set<String>()
        let messages = candidates.filter { !oldTexts.contains($0) && !fieldMessages.contains($0) && seen.insert($0).inserted }
        var feedback = PageFeedback(invalidFields: fields, messages: Array(messages.prefix(10)))
        feedback.alerts = feedback.messages.filter(after.alerts.contains)
        return feedback.isEmpty ? nil : feedback
    }

    static let script = #"""
    (() => {
      const clip = (s, n) => { s = (s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '…' : s; };
      const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
      const byIds = ids => (ids || '').split(/\s+/).map(id => id && document.getElementById(id)).filter(Boolean).map(e => e.textContent).join(' ');
      const controls = 'input, select, textarea, button';
      const errorish = '.errornote, .errorlist, .error, .errors, .invalid-feedback, .field-error, .form-error, .alert-danger, .alert-error';
      const fields = [];
      for (const el of document.querySelectorAll('[aria-invalid="true"], :user-invalid')) {
        if (fields.length >= 20) break;
        if (el.type === 'hidden') continue;
        const label = clip((el.labels && el.labels[0] && el.labels[0].innerText) || el.getAttribute('aria-label') || el.placeholder || el.name || el.id, 80);
        let message = byIds(el.getAttribute('aria-errormessage')) || el.validationMessage || byIds(el.getAttribute('aria-describedby'));
        if (!message) {
          // An error text beside the field, within its row.
          for (let up = el.parentElement, i = 0; up && i < 3 && !message; up = up.parentElement, i++) {
            const near = [...up.querySelectorAll(errorish)].find(e => !e.querySelector(controls) && shown(e));
            if (near) message = near.textContent;
          }
        }
        fields.push([label, el.name || '', clip(message, 200)]);
      }
      const texts = selector => {
        const out = [];
        for (const el of document.querySelectorAll(selector)) {
          if (out.length >= 10) break;
          if (el.querySelector(controls) || !shown(el)) continue;
          const text = clip(el.innerText, 300);
          if (text && !out.includes(text)) out.push(text);
        }
        return out;
      };
      return {
        fields,
        alerts: texts('[role=alert], [aria-live=assertive], ' + errorish),
        statuses: texts('[role=status], [aria-live=polite], output'),
        focusSecret: (\#(Elements.focusSecretFunction))(),
        title: document.title,
      };
    })()
    """#
}

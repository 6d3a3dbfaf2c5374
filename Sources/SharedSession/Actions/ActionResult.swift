public import CDPTransport
public import Coordination
public import EventBuffer
public import ContentExtraction
public import Foundation

/// What an action did: whether it succeeded (or the typed error), where the tab is now, how long it
/// took, what happened meanwhile, and the state after.
public struct ActionResult: Sendable {
    /// `navigate`, `click`, `fill`, ...
    public var action: String
    /// The action as data, as recorded (what was typed into a secret field masked).
    public var actionValue: BrowserAction?
    /// Who asked.
    public var participant: Participant
    /// The selector, ref or URL acted on.
    public var target: String?
    /// Nil when the action succeeded.
    public var error: SessionError?
    /// The URL after the action, when it differs from the URL before.
    public var navigatedTo: String?
    /// The URL after the action of the tab it acted in (for an action on no page, the active tab's).
    public var url: String
    /// The URL of the tab the action acted in, before it; nil for an action on no page or one that
    /// opened a tab.
    public var urlBefore: String? = nil
    /// The title after the action of the tab it acted in (for an action on no page, the active tab's).
    public var title: String
    /// The tab the action acted in; for `openTab`, the tab it opened. Nil for an action on no tab.
    public var tab: String? = nil
    /// How long the action took from when it could run (not counting the wait for its turn or queue).
    public var duration: Duration
    /// Every event published while the action ran, including its own `actionStarted` and
    /// `actionFinished`/`actionFailed`.
    public var events: [BrowserEvent]
    /// A dialog that opened during the action (the action returned as soon as it did).
    public var dialog: DialogInfo?
    /// The state after the action.
    public var state: BrowserState
    /// For `evaluate`: the script's result as JSON.
    public var value: JSONValue?
    /// For `evaluate`: what JSON could not hold exactly and how it is given instead (`NaN` as the
    /// string "NaN", a BigInt as a decimal string, a Date as its ISO string, a Map as an object, a
    /// function as null, ...). Empty when ``value`` is the result itself.
    public var valueNotes: [String] = []
    /// What the participant must know that happened outside its action, told once: the browser
    /// restarted or reconnected since its last action.
    public var notices: [String] = []
    /// For `screenshot`: the image.
    public var data: Data?
    /// For `snapshot`: the accessibility snapshot with its refs.
    public var snapshot: AccessibilitySnapshot?
    /// For navigations and clicks (`navigate`, `click`, `back`, `forward`, `reload`): the page after
    /// the action at a glance — title, headings, lead text, the links in view, forms, counts. Nil
    /// when turned off (``SharedBrowserSession/ActionOptions/pageSummary``) or when the page could not
    /// be read (a dialog is open, the page is too large).
    public var page: PageSummary?
    /// For actions that can change the page (navigations, clicks, key presses, filling, selecting,
    /// checking): what the page says went wrong or happened — fields it marked invalid with their
    /// messages, alert and status messages. Nil when it says nothing new.
    public var feedback: PageFeedback?
    /// For `pageContent`: everything extracted from the page's HTML.
    public var content: PageContent?
    /// The person's approval the action had (``SharedBrowserSession/Options/approvals``), when it
    /// needed one and got it. A denied or unanswered one is the ``error``.
    public var approval: ApprovalInfo?

    /// How the action ended, to be checked rather than read: ``ActionOutcome/done``,
    /// ``ActionOutcome/rejected`` (it ran, and the page says the submission was not taken: invalid
    /// fields, an alert or error note), ``ActionOutcome/denied`` (a person denied its approval),
    /// ``ActionOutcome/failed`` (any other error).
    public var outcome: ActionOutcome {
        if let error { return error.code == .approvalDenied ? .denied : .failed }
        return feedback?.rejects == true ? .rejected : .done
    }

    /// Whether the action ran without an error (see ``outcome``: the page may still have rejected
    /// what it submitted).
    public var succeeded: Bool { error == nil }

    /// Throws ``error`` if the action failed; returns the result otherwise.
    @discardableResult
    public func get() throws -> ActionResult {
        if let error { throw error }
        return self
    }

    /// Console errors, page errors and failed requests that happened during the action.
    public var errorsDuringAction: [BrowserEvent] {
        events.filter { $0.isError && $0.kind != .actionFailed }
    }

    /// The result as a model should read it: what was done and whether it worked, where the tab is,
    /// the errors that happened meanwhile, an open dialog, and the page at a glance (for navigations
    /// and clicks).
    public var report: String {
        let ms = Int(Navigation.milliseconds(duration).rounded())
        let how = error.map { "failed (\($0.code)) after \(ms) ms: \($0.message)" }
            ?? (outcome == .rejected ? "rejected by the page (\(ms) ms): see below" : "done in \(ms) ms")
        // A navigation that ended where it was sent names the URL once, in "Now at".
        let named = action == "navigate" && target == url ? nil : target
        var lines = ["\(action)\(named.map { " " + $0 } ?? ""): " + how]
        if let approval { lines.append("Approved by \(approval.decidedBy ?? "a person") (\(approval.rule)).") }
        lines.append("Now at: \(Self.shortened(url, after: urlBefore))" + (title.isEmpty ? "" : " — \(title)"))
        let errors = errorsDuringAction
        if !errors.isEmpty {
            lines.append("Errors during the action:")
            lines += errors.suffix(5).map { "- " + ContextComposer.clip($0.summary, 300) }
            if errors.count > 5 { lines.append("(\(errors.count - 5) more)") }
        }
        if let dialog { lines.append("A \(dialog.type) dialog opened: \"\(ContextComposer.clip(dialog.message, 300))\" — answer it with handleDialog") }
        if !valueNotes.isEmpty { lines.append("Note: " + valueNotes.joined(separator: "; ")) }
        lines += notices.map { "Note: " + $0 }
        if let feedback { lines.append(feedback.description) }
        if let page { lines.append(page.description) }
        return lines.joined(separator: "\n")
    }

    /// `url` without its origin when the tab was on the same http(s) origin before (`/dashboard`
    /// after a click on `http://host/login`): the origin is known, and costs a model tokens each time.
    static func shortened(_ url: String, after before: String?) -> String {
        guard let before, let now = URLComponents(string: url), let then = URLComponents(string: before),
              let scheme = now.scheme?.lowercased(), scheme == "http" || scheme == "https", scheme == then.scheme?.lowercased(),
              let host = now.host?.lowercased(), host == then.host?.lowercased(), now.port == then.port,
              now.user == nil, let path = now.percentEncodedPath.isEmpty ? "/" : Optional(now.percentEncodedPath) else { return url }
        return path + (now.percentEncodedQuery.map { "?" + $0 } ?? "") + (now.percentEncodedFragment.map { "#" + $0 } ?? "")
    }

    /// Dialogs opened or closed during the action.
    public var dialogEvents: [BrowserEvent] { events.filter { $0.kind == .dialogOpened || $0.kind == .dialogClosed } }
}

/// How an action ended (``ActionResult/outcome``).
public enum ActionOutcome: String, Sendable, Hashable, Codable {
    /// It ran, and the page reports nothing against it.
    case done
    /// It ran, and the page reports that what it submitted was not taken (invalid fields, an alert or
    /// an error note).
    case rejected
    /// A person denied the approval it needed.
    case denied
    /// It failed (``ActionResult/error``).
    case failed
}

/// A tab of the session.
public struct TabInfo: Sendable, Hashable {
    /// The CDP target id.
    public var id: String
    /// The tab's URL.
    public var url: String
    /// The tab's title.
    public var title: String
    /// Whether it is the active tab (where actions go that name no tab and whose participant has no
    /// tab of its own).
    public var isActive: Bool
    /// Who may act in it now: the holder of the whole browser, else the tab's own holder (its lane).
    public var holder: Participant? = nil
    /// The participant whose own tab it is (``SharedBrowserSession/openTab(for:url:purpose:options:)``).
    public var owner: Participant? = nil
    /// What its owner said it is for.
    public var purpose: String? = nil
}

extension TabInfo: CustomStringConvertible {
    /// `id title — url · held by agent:a · own tab of agent:a (invoices)`, with `(active)` for the active tab.
    public var description: String {
        var line = "\(id) \(title) — \(url)" + (isActive ? " (active)" : "")
        if let holder { line += " · held by \(EventCause(holder))" }
        if let owner { line += " · own tab of \(EventCause(owner))" + (purpose.map { " (\($0))" } ?? "") }
        return line
    }
}

public import Coordination
public import EventBuffer
import Foundation

/// What changed while a person drove: given to the agent control returns to, once.
public struct HandBackBrief: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Who drove (`human:alice`).
    public var person: String
    /// The active tab's URL when the person took over.
    public var urlBefore: String
    /// Its title then.
    public var titleBefore: String
    /// The active tab's URL when the person handed back.
    public var urlAfter: String
    /// Its title then.
    public var titleAfter: String
    /// What the person did, in words, in order (`click button "Search"`, `typed "Alpha" into textbox
    /// "Search"`; what they typed into secret fields masked): the `personAction` events' words.
    public var did: [String]
    /// The raw input behind ``did``, in order (what they typed into secret fields masked).
    public var actions: [BrowserAction]
    /// Errors that happened meanwhile, one line each.
    public var errors: [String]
    /// Tabs opened and closed meanwhile (their URLs).
    public var tabsOpened: [String]
    /// Tabs closed meanwhile (their URLs).
    public var tabsClosed: [String]

    /// The most lines of ``did`` the description lists; the rest are counted.
    public static let listedActions = 12

    /// For a model: a few lines, whole (never cut inside a line): at most ``listedActions`` of what
    /// the person did, repeats folded (`scrolled down (3 times)`), the rest counted.
    public var description: String {
        var lines = ["While you were away, \(person) drove the browser."]
        lines.append(urlBefore == urlAfter && titleBefore == titleAfter
            ? "The page is still \(urlAfter)" + (titleAfter.isEmpty ? "." : " — \(titleAfter).")
            : "The page was \(urlBefore)" + (titleBefore.isEmpty ? "" : " — \(titleBefore)") + "; now \(urlAfter)"
                + (titleAfter.isEmpty ? "." : " — \(titleAfter)."))
        let folded = Self.fold(did)
        if folded.isEmpty {
            lines.append("They did nothing in the page.")
        } else {
            lines.append("What they did:")
            let shown = folded.count > Self.listedActions ? Self.listedActions - 1 : folded.count
            lines += folded.prefix(shown).map { "- " + Self.clip($0, 160) }
            if folded.count > shown { lines.append("- and \(folded.count - shown) more actions (the personAction events)") }
        }
        if !tabsOpened.isEmpty { lines.append("Tabs opened: " + tabsOpened.joined(separator: ", ") + ".") }
        if !tabsClosed.isEmpty { lines.append("Tabs closed: " + tabsClosed.joined(separator: ", ") + ".") }
        if !errors.isEmpty { lines.append("Errors meanwhile: " + errors.suffix(5).joined(separator: "; ") + ".") }
        lines.append("Take a new snapshot before you act: element refs from before may be stale.")
        return lines.joined(separator: "\n")
    }

    /// Consecutive repeats as one line with a count.
    static func fold(_ words: [String]) -> [String] {
        var out: [(String, Int)] = []
        for line in words {
            if let last = out.last, last.0 == line { out[out.count - 1].1 += 1 } else { out.append((line, 1)) }
        }
        return out.map { $0.1 > 1 ? "\($0.0) (\($0.1) times)" : $0.0 }
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// An action as data, in a few words (for actions that were not resolved to an element).
    static func describe(_ action: BrowserAction) -> String {
        let p = action.params
        switch action.type {
        case .mouse: return "mouse \(p.event ?? "click") at \(Int(p.x ?? 0)),\(Int(p.y ?? 0))"
        case .wheel: return "scrolled \(Int(p.deltaY ?? 0))"
        case .key: return "key \(p.key ?? "")"
        case .insertText: return "typed \(p.text ?? "")"
        case .fill: return "filled \(p.target ?? "") with \(p.value ?? "")"
        default: return ([action.type.rawValue] + [p.target, p.url, p.text, p.key].compactMap { $0 }).joined(separator: " ")
        }
    }
}

/// An agent's request for a person's help.
public struct HelpRequest: Sendable, Hashable {
    /// The agent asking.
    public var agent: Participant
    /// Why: "a captcha", "a 2FA code", "a decision".
    public var reason: String
}

extension BrowserEvent.Kind {
    /// An agent asked for a person's help (``SharedBrowserSession/requestHumanHelp(reason:by:timeout:)``);
    /// the payload's message is the reason.
    public static let helpRequested: Self = "helpRequested"
}

extension SharedBrowserSession {
    /// Asks a person for help (a captcha, a 2FA code, a decision): emits `helpRequested` (the live
    /// view shows it), calls ``Options/onHelpRequested`` so the host can notify someone with the live
    /// view's link, and waits until a person has taken over and handed back — then returns what they
    /// did. Control goes back to the agent that asked (it keeps its place while the person drives).
    ///
    /// - Throws: ``SessionError/Code/timeout`` when nobody helped within `timeout`.
    public func requestHumanHelp(reason: String, by agent: Participant, timeout: Duration = .seconds(300)) async throws -> HandBackBrief {
        // The session's own `control` events: a hand-back is published once its brief is made.
        let changes = events.subscribe(kinds: [.control], bufferSize: 256)
        defer { changes.cancel() }
        // In the agent's own tab, when it has one: the person goes there to help.
        sink.emit(.helpRequested, target: ownTab(of: agent), payload: .message(reason), cause: EventCause(agent))
        if let hook = options.onHelpRequested { await hook(HelpRequest(agent: agent, reason: reason)) }
        let clock = self.clock
        let helped = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                var takenOver = false
                for await element in changes {
                    guard case .control(let info)? = element.event?.payload else { continue }
                    if info.change == ControlEvent.Change.takenOver.rawValue { takenOver = true }
                    if takenOver, info.change == ControlEvent.Change.handedBack.rawValue { return true }
                }
                return false
            }
            group.addTask {
                try await clock.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard helped, let brief = lastBrief else {
            throw SessionError(.timeout, "nobody helped with \"\(reason)\" within \(timeout)")
        }
        return brief
    }

    /// A person took over: remember where things stood.
    func personTookOver(_ person: Participant) {
        guard awayMark == nil else { return }
        lastBrief = nil
        awayMark = AwayMark(person: person, sequence: events.lastSequence, url: active.url, title: active.title,
                            tabs: tabList.map { ($0.targetId, $0.url) })
    }

    /// A person handed back to `holder`: tell it, once, what changed.
    func personHandedBack(to holder: Participant?) {
        flushAllPersonTyping()
        guard let mark = awayMark else { return }
        awayMark = nil
        let errors = sink.recentErrors.filter { $0.sequence > mark.sequence }.map(\.summary)
        let nowTabs = tabList.map { ($0.targetId, $0.url) }
        let before = Set(mark.tabs.map(\.0)), after = Set(nowTabs.map(\.0))
        let brief = HandBackBrief(
            person: EventCause(mark.person).description, urlBefore: mark.url, titleBefore: mark.title,
            urlAfter: active.url, titleAfter: active.title, did: mark.words, actions: mark.actions, errors: errors,
            tabsOpened: nowTabs.filter { !before.contains($0.0) }.map(\.1),
            tabsClosed: mark.tabs.filter { !after.contains($0.0) }.map(\.1))
        lastBrief = brief
        if let holder, holder.kind == .agent {
            briefForResult[holder] = brief.description
            briefForContext[holder] = brief.description
        }
    }

    /// Notes what a person did while away from the agents.
    func recordPersonAction(_ action: BrowserAction) { awayMark?.actions.append(action) }

    /// Notes, in words, what a person did while away from the agents.
    func recordPersonWords(_ words: String) { awayMark?.words.append(words) }

    /// The brief of the last hand-back to `participant`, if it has not had it yet in an action's
    /// result: what the person did, in words. Taken once (the next result will not repeat it); the
    /// agent's next context still has it once.
    public func takeHandBackBrief(for participant: Participant) -> String? { takeBriefForResult(participant) }

    /// The brief for `participant`'s next result, once.
    func takeBriefForResult(_ participant: Participant) -> String? { briefForResult.removeValue(forKey: participant) }

    /// The brief for `participant`'s next context, once.
    func takeBriefForContext(_ participant: Participant?) -> String? {
        guard let participant else { return nil }
        return briefForContext.removeValue(forKey: participant)
    }
}

/// Where things stood when a person took over.
struct AwayMark: Sendable {
    var person: Participant
    var sequence: UInt64
    var url: String
    var title: String
    var tabs: [(String, String)]
    /// What people did since, as recorded.
    var actions: [BrowserAction] = []
    /// What people did since, in words.
    var words: [String] = []
}

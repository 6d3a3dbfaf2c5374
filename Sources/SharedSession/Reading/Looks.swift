public import Coordination
import Foundation
import SharedBrowserSupport

extension SharedBrowserSession {
    /// What a participant was shown of one view of one tab.
    struct LookKey: Hashable, Sendable {
        var participant: Participant
        var tab: String
        /// Which view (`interactive`, `all`): each is compared only with itself.
        var view: String
    }

    /// Remembers `lines` as what `participant` was last shown of `tab`'s document `generation` in
    /// `view`, and returns what it was shown of the same document and view before, if anything (nil
    /// the first time, and when the tab has a new document since).
    ///
    /// The agent tools answer a second look at a page with what changed since the first
    /// (``LookChanges``); a participant's memory holds one document per tab and view.
    public func rememberLook(_ lines: [String], view: String, tab: String, generation: Int, by participant: Participant) -> [String]? {
        let key = LookKey(participant: participant, tab: tab, view: view)
        let before = looks[key]
        looks[key] = (generation, lines)
        // Bounded: closed tabs' looks go.
        if looks.count > 256 {
            let open = Set(tabList.map(\.targetId))
            looks = looks.filter { open.contains($0.key.tab) }
        }
        guard let before, before.generation == generation else { return nil }
        return before.lines
    }
}

extension SharedBrowserSession {
    /// What `participant` was last shown of `tab`'s document `generation` in `view`, without
    /// remembering anything new: nil when it was shown nothing of that document.
    public func lastLook(view: String, tab: String, generation: Int, by participant: Participant) -> [String]? {
        guard let look = looks[LookKey(participant: participant, tab: tab, view: view)], look.generation == generation else { return nil }
        return look.lines
    }

    /// The document number `tab` shows now (a new document, a new number); nil for a tab that is gone.
    public func documentGeneration(of tab: String) -> Int? {
        tabList.first { $0.targetId == tab }?.state.withLock { $0.generation }
    }

    /// The tab `participant` reads and acts in (its own, else the active one) and the number of the
    /// document it shows (a new document, a new number): what a look is of.
    public func lookedAtDocument(for participant: Participant) -> (tab: String, generation: Int) {
        let tab = actingTab(named: nil, for: participant)
        return (tab.targetId, tab.state.withLock { $0.generation })
    }
}

/// What changed between two looks at the same document: lines added, removed, and lines of the same
/// element (the same ref) that changed.
public struct LookChanges: Sendable, Hashable {
    /// Lines of the new look that the old did not have (elements that appeared).
    public var added: [String]
    /// Lines of the old look that the new does not have (elements that went).
    public var removed: [String]
    /// Lines of the new look whose element (by its ref) was there before, with something else.
    public var changed: [String]
    /// How many lines are the same in both.
    public var unchanged: Int

    /// Compares `old` with `new`, line by line; a line's element is its `ref=…`.
    public init(old: [String], new: [String]) {
        func ref(_ line: String) -> String? {
            guard let range = line.range(of: "ref=") else { return nil }
            return String(line[range.upperBound...].prefix { !$0.isWhitespace && $0 != "]" })
        }
        let oldSet = Set(old), newSet = Set(new)
        let oldRefs = Set(old.filter { !newSet.contains($0) }.compactMap(ref))
        let newRefs = Set(new.filter { !oldSet.contains($0) }.compactMap(ref))
        let kept = oldRefs.intersection(newRefs)
        changed = new.filter { !oldSet.contains($0) && ref($0).map(kept.contains) == true }
        added = new.filter { !oldSet.contains($0) && ref($0).map(kept.contains) != true }
        removed = old.filter { !newSet.contains($0) && ref($0).map(kept.contains) != true }
        unchanged = new.filter(oldSet.contains).count
    }

    /// Whether nothing changed.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// Whether so much changed that the whole view reads better than the changes: more lines changed
    /// than stayed (and more than three).
    public var isMostOfIt: Bool { added.count + removed.count + changed.count > max(unchanged, 3) }

    /// `+ line` for each added, `~ line` for each changed, `- line` for each removed.
    public var lines: [String] {
        added.map { "+ " + $0 } + changed.map { "~ " + $0 } + removed.map { "- " + $0 }
    }
}

import Foundation

/// The page's main text as an outline: every heading, then each section's lead paragraph, then
/// more paragraphs of every section in turn, as far as the budget goes.
struct TextOutline {
    struct Section {
        var heading: String?
        var paragraphs: [String]
    }
    let sections: [Section]
    let counter: any TokenCounter
    /// The tokens of the whole text, counted up to `countLimit`, estimated beyond.
    let fullTokens: Int
    /// Whether ``fullTokens`` is exact.
    let fullTokensExact: Bool
    static let title = "== Page text =="
    /// Paragraphs shorter than this are fragments (table cells, captions, buttons): shown only when
    /// the whole text fits.
    static let substantial = 80

    init(content: PageContent?, counter: any TokenCounter, countLimit: Int = 6000) {
        self.counter = counter
        guard let content, !content.mainText.isEmpty else {
            sections = []
            fullTokens = 0
            fullTokensExact = true
            return
        }
        var levels: [String: Int] = [:]
        var longestHeading = 0
        for heading in content.headings where !heading.text.isEmpty && levels[heading.text] == nil {
            levels[heading.text] = heading.level
            longestHeading = max(longestHeading, heading.text.utf8.count)
        }
        var sections: [Section] = []
        var current = Section(heading: nil, paragraphs: [])
        var counted = 0, countedBytes = 0, totalBytes = 0
        for block in content.mainText.utf8.split(separator: 0x0A) {
            // Blocks come whitespace-collapsed from the extractor: at most a space at either end.
            var trimmed = block
            while trimmed.first == 0x20 { trimmed = trimmed.dropFirst() }
            while trimmed.last == 0x20 { trimmed = trimmed.dropLast() }
            guard !trimmed.isEmpty else { continue }
            var text = String(Substring(trimmed))
            // A page cannot start a section of its own: "== Browser ==" in its text is not ours.
            if text.hasPrefix("==") { text = "= =" + text.dropFirst(2) }
            let line: String
            // Only a block as short as some heading can be one (no hashing of long paragraphs).
            if text.utf8.count <= longestHeading, let level = levels[text] {
                if current.heading != nil || !current.paragraphs.isEmpty { sections.append(current) }
                line = String(repeating: "#", count: level) + " " + text
                current = Section(heading: line, paragraphs: [])
            } else {
                line = text
                current.paragraphs.append(text)
            }
            totalBytes += line.utf8.count + 1
            // Count exactly while it matters for the budget; estimate the rest from the bytes.
            if counted <= countLimit {
                counted += counter.count(line) + 1
                countedBytes += line.utf8.count + 1
            }
        }
        if current.heading != nil || !current.paragraphs.isEmpty { sections.append(current) }
        self.sections = sections
        fullTokensExact = countedBytes == totalBytes
        fullTokens = fullTokensExact || countedBytes == 0 ? counted : Int(Double(counted) * Double(totalBytes) / Double(countedBytes))
    }

    var paragraphCount: Int { sections.reduce(0) { $0 + $1.paragraphs.count } }

    /// The outline within `budget` tokens, with a closing note when something was left out.
    func render(budget: Int) -> ContextComposer.Part? {
        guard !sections.isEmpty else { return nil }
        let titleCost = counter.count(Self.title) + 1
        if fullTokensExact, fullTokens + titleCost <= budget {
            var lines = [Self.title]
            for section in sections {
                if let heading = section.heading { lines.append(heading) }
                lines += section.paragraphs
            }
            return ContextComposer.Part(name: "text", text: lines.joined(separator: "\n"), omitted: nil)
        }
        var left = budget - titleCost - 45   // the closing note
        guard left > 0 else { return nil }
        func take(_ text: String) -> Bool {
            let cost = counter.count(text) + 1
            guard cost <= left else { return false }
            left -= cost
            return true
        }
        var showHeading = [Bool](repeating: false, count: sections.count)
        // Per section: the paragraphs shown, by index, and the lead's cut form while it is cut.
        var shown = [Set<Int>](repeating: [], count: sections.count)
        var cut: [Int: String] = [:]
        // 1. Every heading.
        var allHeadings = true
        for (i, section) in sections.enumerated() {
            if let heading = section.heading {
                if take(heading) { showHeading[i] = true } else { allHeadings = false; break }
            }
        }
        // 2. Each section's lead: its first substantial paragraph (else its first), cut to a few lines.
        var leads = 0
        if allHeadings {
            for (i, section) in sections.enumerated() {
                guard let lead = section.paragraphs.firstIndex(where: { $0.count >= Self.substantial })
                        ?? (section.paragraphs.isEmpty ? nil : 0) else { continue }
                let text = ContextComposer.clipWords(section.paragraphs[lead], 300)
                guard take(text) else { break }
                shown[i].insert(lead)
                if text != section.paragraphs[lead] { cut[lead * sections.count + i] = text }
                leads += 1
            }
        }
        // 3. More of every section in turn: whole leads, then the next substantial paragraphs.
        var more = 0
        if allHeadings {
            var progress = true
            var full = false
            while progress && !full {
                progress = false
                for (i, section) in sections.enumerated() {
                    if let lead = shown[i].min(), let short = cut[lead * sections.count + i] {
                        left += counter.count(short) + 1
                        if take(section.paragraphs[lead]) {
                            cut[lead * sections.count + i] = nil
                            progress = true
                        } else {
                            _ = take(short)
                            full = true
                            break
                        }
                        continue
                    }
                    let after = shown[i].max() ?? -1
                    guard let next = section.paragraphs.indices.first(where: { $0 > after && section.paragraphs[$0].count >= Self.substantial })
                    else { continue }
                    if take(section.paragraphs[next]) {
                        shown[i].insert(next)
                        more += 1
                        progress = true
                    } else {
                        full = true
                        break
                    }
                }
            }
        }
        var lines = [Self.title]
        for (i, section) in sections.enumerated() {
            if showHeading[i], let heading = section.heading { lines.append(heading) }
            for p in shown[i].sorted() { lines.append(cut[p * sections.count + i] ?? section.paragraphs[p]) }
        }
        let shownCount = shown.reduce(0) { $0 + $1.count }
        let headingsShown = showHeading.filter { $0 }.count
        let headingsAll = sections.filter { $0.heading != nil }.count
        var what = "about \(fullTokens) tokens of text in \(paragraphCount) paragraphs; shown: "
        what += !allHeadings ? "the first \(headingsShown) of \(headingsAll) headings"
            : "every heading and \(shownCount) paragraphs, the leads of sections first"
        let omitted = what + ". Read it all with pageText(page: 1), page by page"
        lines.append("(" + omitted + ")")
        return ContextComposer.Part(name: "text", text: lines.joined(separator: "\n"), omitted: omitted)
    }
}

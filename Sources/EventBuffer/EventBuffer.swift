import Foundation

/// The most recent browser events, bounded (50 by default), with the queries an agent needs.
///
/// A value: keep it in an ``EventHub`` (which fills it and lets many tasks read it) or use it alone.
/// When full, adding an event drops the oldest; ``droppedCount`` says how many went that way.
public struct EventBuffer: Sendable {
    /// The default number of events held.
    public static let defaultCapacity = 50

    private var ring: RingBuffer<BrowserEvent>

    /// Creates an empty buffer holding at most `capacity` events (at least 1).
    public init(capacity: Int = EventBuffer.defaultCapacity) {
        ring = RingBuffer(capacity: max(1, capacity))
    }

    /// The most events kept.
    public var capacity: Int { ring.capacity }
    /// How many events are kept now.
    public var count: Int { ring.count }
    /// Whether no event is kept.
    public var isEmpty: Bool { ring.isEmpty }
    /// How many events were dropped because the buffer was full.
    public var droppedCount: Int { ring.overwrittenCount }

    /// Adds an event (normally numbered by an ``EventHub``); drops the oldest when full.
    public mutating func add(_ event: BrowserEvent) {
        ring.append(event)
    }

    /// Every event held, oldest first.
    public var all: [BrowserEvent] { ring.elements }

    /// The newest `n` events, oldest first.
    public func recent(_ n: Int) -> [BrowserEvent] { ring.suffix(n) }

    /// The events of the given kinds, oldest first.
    public func events(of kinds: Set<BrowserEvent.Kind>) -> [BrowserEvent] {
        ring.elements.filter { kinds.contains($0.kind) }
    }

    /// The events of the given kinds, oldest first.
    public func events(of kinds: BrowserEvent.Kind...) -> [BrowserEvent] { events(of: Set(kinds)) }

    /// Console errors, page errors, failed requests and navigations, failed actions, crashes and
    /// library errors, oldest first.
    public func errors() -> [BrowserEvent] { ring.elements.filter(\.isError) }

    /// The events numbered after `sequence`, oldest first: what is new since an agent last looked.
    /// Events older than the buffer's oldest are gone; compare with ``oldestSequence``.
    public func since(_ sequence: UInt64) -> [BrowserEvent] {
        ring.elements.filter { $0.sequence > sequence }
    }

    /// The number of the oldest event held.
    public var oldestSequence: UInt64? { ring.elements.first?.sequence }

    /// The number of the newest event held.
    public var newestSequence: UInt64? { ring.suffix(1).first?.sequence }
}

// MARK: - Context for prompts

extension EventBuffer {
    /// A fast, conservative token estimate: one token per three UTF-8 bytes, rounded up.
    /// English prose averages about four bytes a token, URLs and code fewer, so budgets computed with
    /// it are rarely exceeded by a real tokenizer. Pass your model's tokenizer where it matters.
    public static func estimatedTokens(_ text: String) -> Int { (text.utf8.count + 2) / 3 }

    /// A compact, readable summary of the held events for an LLM prompt.
    ///
    /// Errors come first, then the other events; within each part the newest come last. Repeated
    /// events are folded into one line with a count (`×12`). The result never exceeds `maxTokens` as
    /// counted by `countTokens`; what did not fit is named in a closing line (how many events, of which
    /// kinds), and so are events the buffer itself no longer holds. Returns an empty string only when
    /// not even that line fits.
    public func contextString(
        maxTokens: Int, countTokens: (String) -> Int = EventBuffer.estimatedTokens
    ) -> String {
        let events = ring.elements
        if events.isEmpty {
            let text = "No browser events yet."
            return countTokens(text) <= maxTokens ? text : ""
        }
        let errors = fold(events.filter(\.isError), consecutiveOnly: false)
        let others = fold(events.filter { !$0.isError }, consecutiveOnly: true)

        // Take lines newest first while they fit, errors before others; then drop the oldest taken
        // line until the rendered text, with its note of what was left out, fits.
        var takenErrors = errors.count
        var takenOthers = others.count
        func render() -> String {
            var lines: [String] = []
            let shownErrors = errors.suffix(takenErrors)
            let shownOthers = others.suffix(takenOthers)
            if !shownErrors.isEmpty || !shownOthers.isEmpty { lines.append("Browser events (newest last):") }
            if !shownErrors.isEmpty {
                lines.append("Errors:")
                lines += shownErrors.map(\.line)
            }
            if !shownOthers.isEmpty {
                lines.append(shownErrors.isEmpty ? "Recent:" : "Other recent events:")
                lines += shownOthers.map(\.line)
            }
            if let note = omissionNote(errors.dropLast(takenErrors), others.dropLast(takenOthers)) {
                lines.append(note)
            }
            return lines.joined(separator: "\n")
        }
        var text = render()
        while countTokens(text) > maxTokens {
            if takenOthers > 0 {
                takenOthers -= 1
            } else if takenErrors > 0 {
                takenErrors -= 1
            } else {
                return ""
            }
            text = render()
        }
        return text
    }

    private struct FoldedLine {
        var first: BrowserEvent
        var last: BrowserEvent
        var count: Int

        var line: String {
            let repeats = count > 1 ? " ×\(count)" : ""
            return "#\(last.sequence) \(clockTime(last.timestamp.timeIntervalSince1970)) \(last.summary)\(repeats)"
        }
    }

    /// Folds events with the same summary: consecutive ones only, or anywhere (for errors, where
    /// one line per distinct error matters more than the interleaving).
    private func fold(_ events: [BrowserEvent], consecutiveOnly: Bool) -> [FoldedLine] {
        if consecutiveOnly {
            var lines: [FoldedLine] = []
            for event in events {
                if let last = lines.last, last.last.kind == event.kind, last.last.summary == event.summary {
                    lines[lines.count - 1].last = event
                    lines[lines.count - 1].count += 1
                } else {
                    lines.append(FoldedLine(first: event, last: event, count: 1))
                }
            }
            return lines
        }
        var byKey: [String: FoldedLine] = [:]
        for event in events {
            let key = event.kind.rawValue + "\u{1}" + event.summary
            if var line = byKey[key] {
                line.last = event
                line.count += 1
                byKey[key] = line
            } else {
                byKey[key] = FoldedLine(first: event, last: event, count: 1)
            }
        }
        return byKey.values.sorted { $0.last.sequence < $1.last.sequence }
    }

    private func omissionNote(_ errors: ArraySlice<FoldedLine>, _ others: ArraySlice<FoldedLine>) -> String? {
        var parts: [String] = []
        let errorCount = errors.reduce(0) { $0 + $1.count }
        if errorCount > 0 { parts.append("\(errorCount) older error\(errorCount == 1 ? "" : "s")") }
        let otherCount = others.reduce(0) { $0 + $1.count }
        if otherCount > 0 {
            var byKind: [String: Int] = [:]
            for line in others { byKind[line.last.kind.rawValue, default: 0] += line.count }
            let kinds = byKind.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(4)
                .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            parts.append("\(otherCount) older event\(otherCount == 1 ? "" : "s") (\(kinds))")
        }
        if droppedCount > 0 { parts.append("\(droppedCount) before those, no longer held") }
        guard !parts.isEmpty else { return nil }
        return "Left out: " + parts.joined(separator: "; ") + "."
    }
}

/// `HH:mm:ss` (UTC) of a Unix time.
private func clockTime(_ seconds: Double) -> String {
    let daySeconds = Int(seconds.rounded(.down)) % 86_400
    let h = daySeconds / 3600, m = daySeconds / 60 % 60, s = daySeconds % 60
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(two(h)):\(two(m)):\(two(s))"
}

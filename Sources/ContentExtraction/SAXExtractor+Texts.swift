/// The extractor's gathered texts, and the page content it makes of them at the end.
extension SAXExtractor {
    // MARK: Texts

    mutating func beginCapture(_ target: Capture.Target, _ entry: inout Open) {
        captures.append(Capture(target: target, start: log.count))
        entry.captures = true
    }

    /// A block boundary inside gathered texts reads as a space.
    /// The collapsed text gathered so far for the open label `label`.
    func textSoFar(ofLabel label: Int) -> String? {
        guard let capture = captures.last(where: { if case .label(label) = $0.target { true } else { false } }) else { return nil }
        return collapsedLog(from: capture.start)
    }

    mutating func spaceCaptures() {
        if !captures.isEmpty, log.last != 0x20 { log.append(0x20) }
    }

    mutating func endCapture() {
        guard let capture = captures.popLast() else { return }
        let text = collapsedLog(from: capture.start)
        if captures.isEmpty { log.removeAll(keepingCapacity: true) }
        switch capture.target {
        case .title: result.title = text
        case .link(let i): result.links[i].text = text
        case .heading(let i): result.headings[i].text = text
        case .label(let i): labelTexts[i] = text
        case .button(let source):
            labelSources[source].own = text
        case .option:
            if let (form, index) = select, let option {
                result.forms[form].fields[index].options.append(.init(value: option.value ?? text, label: option.label ?? text,
                                                                      selected: option.selected))
            }
            option = nil
        }
    }

    // MARK: The end

    mutating func finish() -> PageContent {
        // Labels: the wrapping label's text (what it says before the field when it says anything,
        // so a select's options are not its label), else a button's own text, aria-label,
        // placeholder; a <label for> anywhere in the document wins over all of them.
        for source in labelSources {
            let before = source.wrappingBefore.flatMap { $0.isEmpty ? nil : $0 }
            let wrapping = before ?? source.wrapping.map { labelTexts[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            result.forms[source.form].fields[source.index].label = wrapping ?? source.own ?? source.ariaLabel ?? source.placeholder
        }
        for f in result.forms.indices {
            for i in result.forms[f].fields.indices {
                if let id = result.forms[f].fields[i].id, let text = labelFor[id] { result.forms[f].fields[i].label = text }
            }
        }
        let mainBytes = mainRanges.reduce(0) { $0 + $1.count }
        if mainBytes >= 200 {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(mainBytes + mainRanges.count)
            for range in mainRanges {
                let end = min(range.upperBound, allText.bytes.count)
                guard range.lowerBound < end else { continue }
                if !bytes.isEmpty { bytes.append(0x0A) }
                bytes.append(contentsOf: allText.bytes[range.lowerBound..<end])
            }
            result.mainText = TextBuffer.trimmed(bytes)
        } else {
            result.mainText = allText.string
        }
        let hasMain = mainBytes >= 200
        for i in result.links.indices {
            let place = linkPlaces[i]
            result.links[i].inMainContent = hasMain ? place.inMain : !place.inChrome
        }
        return result
    }
}

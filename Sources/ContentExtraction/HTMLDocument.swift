private import CLibXML2

/// An error from HTML extraction.
public struct ExtractionError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The input is larger than the configured cap.
        public static let inputTooLarge = Code("inputTooLarge")
        /// libxml2 produced no document at all.
        public static let unparseable = Code("unparseable")
    }
    public var code: Code
    public var message: String
    public var description: String { "ExtractionError: \(message)" }
}

/// An HTML document parsed by libxml2's forgiving HTML parser.
///
/// The input is treated as UTF-8 (what a browser serializes), whatever `<meta charset>` says. Malformed
/// markup is repaired, never fatal. The tree is freed when the value is released.
public final class HTMLDocument {
    /// The default cap on input size: 20 MB.
    public static let defaultMaximumSize = 20_000_000

    private let doc: htmlDocPtr

    /// Parses `html`.
    /// - Throws: ``ExtractionError/Code/inputTooLarge`` when `html` has more than `maximumSize` UTF-8
    ///   bytes; ``ExtractionError/Code/unparseable`` when libxml2 returns no document.
    public init(html: String, maximumSize: Int = HTMLDocument.defaultMaximumSize) throws {
        var html = html
        let size = html.utf8.count
        guard size <= maximumSize else {
            throw ExtractionError(code: .inputTooLarge, message: "HTML of \(size) bytes exceeds the cap of \(maximumSize) bytes")
        }
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
        // libxml2 returns no document for empty input; an empty page is an empty document.
        if size == 0 { html = "<html></html>" }
        let parsed = html.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                htmlReadMemory(chars.baseAddress, Int32(chars.count), nil, "UTF-8", options)
            }
        }
        guard let parsed else {
            throw ExtractionError(code: .unparseable, message: "libxml2 produced no document from \(size) bytes")
        }
        doc = parsed
    }

    deinit { xmlFreeDoc(doc) }

    /// The text of the first `<title>`, whitespace collapsed; empty when there is none.
    public var title: String {
        // Iterative pre-order walk: deep nesting cannot overflow the stack.
        var node = xmlDocGetRootElement(doc)
        while let current = node {
            if current.pointee.type == XML_ELEMENT_NODE, let name = current.pointee.name,
               xmlStrcasecmp(name, "title") == 0 {
                guard let content = xmlNodeGetContent(current) else { return "" }
                defer { cxml_free(content) }
                let text = String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
                return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            }
            if let child = current.pointee.children {
                node = child
                continue
            }
            var up: xmlNodePtr? = current
            node = nil
            while let u = up {
                if let next = u.pointee.next { node = next; break }
                up = u.pointee.parent
                if up == nil || up!.pointee.type == XML_HTML_DOCUMENT_NODE || up!.pointee.type == XML_DOCUMENT_NODE { up = nil }
            }
        }
        return ""
    }
}

// MARK: - Extraction

extension HTMLDocument {
    /// Parses `html` and extracts its ``PageContent``.
    ///
    /// - Parameter html: the document, as the browser serializes it.
    /// - Parameter url: the document's URL, against which relative URLs (and `<base>`) are resolved.
    /// - Parameter maximumSize: the largest input accepted, in UTF-8 bytes.
    /// - Throws: ``ExtractionError`` as ``init(html:maximumSize:)`` does.
    public static func extract(html: String, url: String? = nil, maximumSize: Int = HTMLDocument.defaultMaximumSize) throws -> PageContent {
        try HTMLDocument(html: html, maximumSize: maximumSize).content(url: url)
    }

    /// Extracts the page's content in one pass over the tree (no recursion, so nesting depth is no
    /// risk).
    /// - Parameter url: the document's URL, against which relative URLs (and `<base>`) are resolved.
    public func content(url: String? = nil) -> PageContent {
        var walker = ContentWalker(doc: doc, documentURL: url)
        return walker.run()
    }
}

/// The elements extraction cares about.
private enum Tag: Equatable {
    case a, title, base, meta, link, script, style, noscript, template, heading(Int), form, input, select,
         textarea, button, option, label, img, main, article, chrome, block, br, other

    /// Classifies a tag name (the HTML parser lower-cases them) by its bytes, without allocating.
    init(_ p: UnsafePointer<xmlChar>) {
        func eq(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            let q = s.utf8Start
            for i in 0..<n where p[i] != q[i] { return false }
            return p[n] == 0
        }
        switch p[0] {
        case UInt8(ascii: "a"):
            self = eq("a") ? .a : eq("article") ? .article : eq("aside") ? .chrome : eq("address") ? .block : .other
        case UInt8(ascii: "b"):
            self = eq("br") ? .br : eq("button") ? .button : eq("base") ? .base : eq("blockquote") ? .block : .other
        case UInt8(ascii: "c"):
            self = eq("caption") ? .block : .other
        case UInt8(ascii: "d"):
            self = eq("div") || eq("dd") || eq("dt") || eq("dl") || eq("details") ? .block : .other
        case UInt8(ascii: "f"):
            self = eq("form") ? .form : eq("footer") ? .chrome : eq("figure") || eq("figcaption") || eq("fieldset") ? .block : .other
        case UInt8(ascii: "h"):
            // p[1] first: for the name "h", p[1] is the terminator and p[2] lies past it.
            if p[1] >= UInt8(ascii: "1"), p[1] <= UInt8(ascii: "6"), p[2] == 0 {
                self = .heading(Int(p[1] - UInt8(ascii: "0")))
            } else {
                self = eq("header") ? .chrome : eq("hr") ? .block : .other
            }
        case UInt8(ascii: "i"):
            self = eq("input") ? .input : eq("img") ? .img : .other
        case UInt8(ascii: "l"):
            self = eq("link") ? .link : eq("label") ? .label : eq("li") || eq("legend") ? .block : .other
        case UInt8(ascii: "m"):
            self = eq("meta") ? .meta : eq("main") ? .main : .other
        case UInt8(ascii: "n"):
            self = eq("nav") ? .chrome : eq("noscript") ? .noscript : .other
        case UInt8(ascii: "o"):
            self = eq("option") ? .option : eq("ol") ? .block : .other
        case UInt8(ascii: "p"):
            self = eq("p") || eq("pre") ? .block : .other
        case UInt8(ascii: "s"):
            self = eq("script") ? .script : eq("style") ? .style : eq("select") ? .select : eq("section") || eq("summary") ? .block : .other
        case UInt8(ascii: "t"):
            self = eq("title") ? .title : eq("textarea") ? .textarea : eq("template") ? .template
                : eq("tr") || eq("td") || eq("th") || eq("table") ? .block : .other
        case UInt8(ascii: "u"):
            self = eq("ul") ? .block : .other
        default:
            self = .other
        }
    }
}

/// Attribute names, compared with `xmlStrEqual`.
private struct AttributeNames {
    let href: StaticString = "href", rel: StaticString = "rel", name: StaticString = "name"
    let content: StaticString = "content", property: StaticString = "property", lang: StaticString = "lang"
    let action: StaticString = "action", method: StaticString = "method", type: StaticString = "type"
    let id: StaticString = "id", value: StaticString = "value", required: StaticString = "required"
    let placeholder: StaticString = "placeholder", ariaLabel: StaticString = "aria-label", src: StaticString = "src"
    let alt: StaticString = "alt", selected: StaticString = "selected", forAttr: StaticString = "for"
    let labelAttr: StaticString = "label"
}

/// Text with whitespace collapsed as it is appended: runs of ASCII and Unicode spaces become one
/// space, block boundaries one newline.
private struct TextBuffer {
    var bytes: [UInt8] = []
    private var pendingSpace = false

    mutating func append(_ p: UnsafePointer<xmlChar>) {
        var i = 0
        while true {
            let b = p[i]
            if b == 0 { break }
            var width = 0
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C { width = 1 }
            else if b == 0xC2, p[i + 1] == 0xA0 || p[i + 1] == 0x85 { width = 2 }
            else if b == 0xE2, p[i + 1] == 0x80, (0x80...0x8A).contains(p[i + 2]) || p[i + 2] == 0xA8 || p[i + 2] == 0xA9 || p[i + 2] == 0xAF { width = 3 }
            else if b == 0xE3, p[i + 1] == 0x80, p[i + 2] == 0x80 { width = 3 }
            if width > 0 {
                pendingSpace = true
                i += width
                continue
            }
            if pendingSpace, let last = bytes.last, last != 0x0A { bytes.append(0x20) }
            pendingSpace = false
            // Copy the run up to the next byte that may start a space in one go.
            var end = i + 1
            while true {
                let c = p[end]
                if c == 0 || c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C || c == 0xC2 || c == 0xE2 || c == 0xE3 { break }
                end += 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: end - i))
            i = end
        }
    }

    var count: Int { bytes.count }

    mutating func space() { pendingSpace = true }

    mutating func lineBreak() {
        pendingSpace = false
        if let last = bytes.last, last != 0x0A { bytes.append(0x0A) }
    }

    var string: String { Self.trimmed(bytes) }

    static func trimmed(_ bytes: [UInt8]) -> String {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x0A || bytes[start] == 0x20 { start += 1 }
        while end > start, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x20 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

private struct ContentWalker {
    let doc: htmlDocPtr
    let names: AttributeNames
    var base: String?
    var result = PageContent(title: "", meta: .init(), headings: [], links: [], forms: [], images: [], mainText: "")
    var titleFound = false
    var formStack: [Int] = []
    var labelStack: [String?] = []
    var labelFor: [String: String] = [:]
    var silent = 0     // inside noscript/template: elements count, text does not
    var chrome = 0     // inside nav/header/footer/aside
    var mainDepth = 0  // inside main/article
    var allText = TextBuffer()
    /// Where the text of `<main>`/`<article>` elements lies in `allText`.
    var mainRanges: [Range<Int>] = []
    var mainStart = 0
    /// Per link: inside main/article, inside chrome.
    var linkPlaces: [(inMain: Bool, inChrome: Bool)] = []

    init(doc: htmlDocPtr, documentURL: String?) {
        self.doc = doc
        names = AttributeNames()
        base = documentURL
    }

    mutating func run() -> PageContent {
        guard let root = xmlDocGetRootElement(doc) else { return result }
        if let lang = attribute(root, names.lang) { result.meta.language = lang }
        var stack: [(node: xmlNodePtr, tag: Tag)] = []
        var current: xmlNodePtr? = root
        while let node = current {
            var descend = false
            var tag = Tag.other
            switch node.pointee.type {
            case XML_ELEMENT_NODE:
                tag = node.pointee.name.map(Tag.init) ?? .other
                descend = enter(node, tag)
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if silent == 0, chrome == 0, let content = node.pointee.content {
                    allText.append(content)
                }
            default:
                break
            }
            if descend, let child = node.pointee.children {
                stack.append((node, tag))
                current = child
                continue
            }
            if node.pointee.type == XML_ELEMENT_NODE { exit(node, tag) }
            // Climb to the next sibling, leaving every element whose children are done.
            var next = node.pointee.next
            while next == nil, let (parent, parentTag) = stack.popLast() {
                exit(parent, parentTag)
                next = parent.pointee.next
            }
            current = stack.isEmpty && next == nil ? nil : next
        }
        // <label for=id> may come anywhere in the document: resolve at the end.
        for f in result.forms.indices {
            for i in result.forms[f].fields.indices {
                if let id = result.forms[f].fields[i].id, let text = labelFor[id] { result.forms[f].fields[i].label = text }
            }
        }
        let all = allText.string
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
            result.mainText = all
        }
        let hasMain = mainBytes >= 200
        for i in result.links.indices {
            let place = linkPlaces[i]
            result.links[i].inMainContent = hasMain ? place.inMain : !place.inChrome
        }
        return result
    }

    /// Handles entering an element; returns whether to walk its children.
    private mutating func enter(_ node: xmlNodePtr, _ tag: Tag) -> Bool {
        switch tag {
        case .script, .style:
            return false
        case .noscript, .template:
            silent += 1
        case .title:
            if !titleFound {
                titleFound = true
                result.title = text(of: node)
            }
            return false
        case .base:
            if let href = attribute(node, names.href) { base = resolve(href) }
        case .meta:
            if let content = attribute(node, names.content) {
                let name = (attribute(node, names.name) ?? attribute(node, names.property))?.lowercased()
                if name == "description" { result.meta.description = collapse(content) }
                if let name, name.hasPrefix("og:") { result.meta.openGraph[String(name.dropFirst(3))] = collapse(content) }
            }
        case .link:
            if let rel = attribute(node, names.rel)?.lowercased(), rel.split(separator: " ").contains("canonical"),
               let href = attribute(node, names.href) {
                result.meta.canonical = resolve(href)
            }
        case .a:
            if let href = attribute(node, names.href) {
                result.links.append(.init(url: resolve(href), text: text(of: node), rel: attribute(node, names.rel)))
                linkPlaces.append((mainDepth > 0, chrome > 0))
            }
        case .heading(let level):
            result.headings.append(.init(level: level, text: text(of: node)))
            allText.lineBreak()
        case .img:
            if let src = attribute(node, names.src) {
                result.images.append(.init(src: resolve(src), alt: attribute(node, names.alt)))
            }
        case .form:
            let method = (attribute(node, names.method) ?? "get").uppercased()
            let action = attribute(node, names.action).map(resolve) ?? base
            result.forms.append(.init(action: action, method: method == "POST" ? "POST" : (method == "DIALOG" ? "DIALOG" : "GET"), fields: []))
            formStack.append(result.forms.count - 1)
        case .label:
            let text = text(of: node)
            if let id = attribute(node, names.forAttr), !text.isEmpty { labelFor[id] = text }
            labelStack.append(text.isEmpty ? nil : text)
        case .input, .select, .textarea, .button:
            addField(node, tag)
            return tag == .button
        case .main, .article:
            if mainDepth == 0 {
                allText.lineBreak()
                mainStart = allText.count
            }
            mainDepth += 1
        case .chrome:
            chrome += 1
        case .block, .br:
            allText.lineBreak()
        case .option, .other:
            break
        }
        return true
    }

    private mutating func exit(_ node: xmlNodePtr, _ tag: Tag) {
        switch tag {
        case .noscript, .template: silent -= 1
        case .form: _ = formStack.popLast()
        case .label: _ = labelStack.popLast()
        case .main, .article:
            mainDepth -= 1
            if mainDepth == 0 { mainRanges.append(mainStart..<allText.count) }
        case .chrome: chrome -= 1
        case .block, .heading:
            allText.lineBreak()
        case .input, .select, .textarea, .button, .img:
            allText.space()
        default: break
        }
    }

    private mutating func addField(_ node: xmlNodePtr, _ tag: Tag) {
        guard let form = formStack.last else { return }
        let element: String
        var type: String
        var value = attribute(node, names.value)
        var options: [PageContent.Option] = []
        switch tag {
        case .select:
            element = "select"
            type = "select"
            options = selectOptions(node)
            value = (options.first { $0.selected } ?? options.first)?.value
        case .textarea:
            element = "textarea"
            type = "textarea"
            value = rawText(of: node)
        case .button:
            element = "button"
            type = attribute(node, names.type)?.lowercased() ?? "submit"
        default:
            element = "input"
            type = attribute(node, names.type)?.lowercased() ?? "text"
        }
        if type == "password" { value = nil }
        var label = labelStack.last ?? nil
        if tag == .button, label == nil { label = text(of: node) }
        label = label ?? attribute(node, names.ariaLabel).map(collapse) ?? attribute(node, names.placeholder).map(collapse)
        // A <label for> wins over these; it is filled in after the walk.
        result.forms[form].fields.append(PageContent.Field(
            element: element, name: attribute(node, names.name), type: type, label: label,
            required: hasAttribute(node, names.required), value: value, options: options, id: attribute(node, names.id)))
    }

    private func selectOptions(_ select: xmlNodePtr) -> [PageContent.Option] {
        var options: [PageContent.Option] = []
        walk(under: select) { node in
            guard node.pointee.type == XML_ELEMENT_NODE else { return false }
            guard node.pointee.name.map(Tag.init) == .option else { return true }
            let text = self.text(of: node)
            options.append(.init(value: attribute(node, names.value) ?? text,
                                 label: attribute(node, names.labelAttr).map(collapse) ?? text,
                                 selected: hasAttribute(node, names.selected)))
            return false
        }
        return options
    }

    /// Visits the nodes under `root` in document order, without recursion; `visit` returns whether
    /// to go inside the node.
    private func walk(under root: xmlNodePtr, _ visit: (xmlNodePtr) -> Bool) {
        var current = root.pointee.children
        var depth: [xmlNodePtr] = []
        while let node = current {
            if visit(node), let child = node.pointee.children {
                depth.append(node)
                current = child
                continue
            }
            var next = node.pointee.next
            while next == nil, let parent = depth.popLast() { next = parent.pointee.next }
            current = next
        }
    }

    /// The text of an element's subtree, whitespace collapsed, without script and style.
    private func text(of element: xmlNodePtr) -> String {
        var buffer = TextBuffer()
        walk(under: element) { node in
            switch node.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = node.pointee.content { buffer.append(content) }
                return false
            case XML_ELEMENT_NODE:
                switch node.pointee.name.map(Tag.init) ?? .other {
                case .script, .style: return false
                case .br, .block:
                    buffer.space()
                    return true
                default: return true
                }
            default:
                return false
            }
        }
        return buffer.string
    }

    /// A textarea's text as written (only outer whitespace trimmed).
    private func rawText(of element: xmlNodePtr) -> String {
        guard let content = xmlNodeGetContent(element) else { return "" }
        defer { cxml_free(content) }
        return String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
    }

    private func attributeNode(_ node: xmlNodePtr, _ name: StaticString) -> xmlAttrPtr? {
        var attr = node.pointee.properties
        while let a = attr {
            if xmlStrEqual(a.pointee.name, name.utf8Start) != 0 { return a }
            attr = a.pointee.next
        }
        return nil
    }

    private func hasAttribute(_ node: xmlNodePtr, _ name: StaticString) -> Bool {
        attributeNode(node, name) != nil
    }

    private func attribute(_ node: xmlNodePtr, _ name: StaticString) -> String? {
        guard let a = attributeNode(node, name) else { return nil }
        guard let text = a.pointee.children, let content = text.pointee.content else { return "" }
        if text.pointee.next == nil {
            return String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
        }
        var value = ""
        var part: xmlNodePtr? = text
        while let p = part {
            if let c = p.pointee.content { value += String(cString: UnsafeRawPointer(c).assumingMemoryBound(to: CChar.self)) }
            part = p.pointee.next
        }
        return value
    }

    /// An absolute URL for `reference`, resolved against the base; as written when it cannot be.
    private func resolve(_ reference: String) -> String {
        // Browsers ignore whitespace around URLs; most hrefs have none, so look before copying.
        let needsTrim = reference.utf8.first.map { $0 <= 0x20 } == true || reference.utf8.last.map { $0 <= 0x20 } == true
        let trimmed = needsTrim ? String(reference.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) : reference
        guard let base, !base.isEmpty else { return trimmed }
        let built = trimmed.withCString { ref in
            base.withCString { b in
                xmlBuildURI(UnsafeRawPointer(ref).assumingMemoryBound(to: xmlChar.self),
                            UnsafeRawPointer(b).assumingMemoryBound(to: xmlChar.self))
            }
        }
        guard let built else { return trimmed }
        defer { cxml_free(built) }
        return String(cString: UnsafeRawPointer(built).assumingMemoryBound(to: CChar.self))
    }

    private func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

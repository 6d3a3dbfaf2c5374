private import CLibXML2
#if canImport(Glibc)
private import Glibc
#elseif canImport(Musl)
private import Musl
#elseif canImport(Darwin)
private import Darwin
#endif

/// An error from HTML extraction.
public struct ExtractionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why extraction failed.
    public struct Code: Hashable, Sendable {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The input is larger than the configured cap.
        public static let inputTooLarge = Code("inputTooLarge")
        /// libxml2 produced no document at all.
        public static let unparseable = Code("unparseable")
    }
    /// Why extraction failed.
    public var code: Code
    /// What failed, in words.
    public var message: String
    /// `ExtractionError: ...`.
    public var description: String { "ExtractionError: \(message)" }
}

/// An HTML document for libxml2's forgiving HTML parser.
///
/// The input is treated as UTF-8 (what a browser serializes), whatever `<meta charset>` says. Malformed
/// markup is repaired, never fatal.
public final class HTMLDocument: Sendable {
    /// The default cap on input size: 20 MB.
    public static let defaultMaximumSize = 20_000_000

    private let html: String

    /// Takes `html` for extraction.
    /// - Throws: ``ExtractionError/Code/inputTooLarge`` when `html` has more than `maximumSize` UTF-8
    ///   bytes.
    public init(html: String, maximumSize: Int = HTMLDocument.defaultMaximumSize) throws {
        let size = html.utf8.count
        guard size <= maximumSize else {
            throw ExtractionError(code: .inputTooLarge, message: "HTML of \(size) bytes exceeds the cap of \(maximumSize) bytes")
        }
        self.html = html
    }

    /// The text of the first `<title>`, whitespace collapsed; empty when there is none.
    public var title: String { (try? content().title) ?? "" }
}

// MARK: - Extraction

extension HTMLDocument {
    /// Parses `html` and extracts its ``PageContent``.
    ///
    /// - Parameter html: the document, as the browser serializes it.
    /// - Parameter url: the document's URL, against which relative URLs (and `<base>`) are resolved.
    /// - Parameter maximumSize: the largest input accepted, in UTF-8 bytes.
    /// - Throws: ``ExtractionError``: ``ExtractionError/Code/inputTooLarge`` over the cap,
    ///   ``ExtractionError/Code/unparseable`` when libxml2 cannot start at all.
    public static func extract(html: String, url: String? = nil, maximumSize: Int = HTMLDocument.defaultMaximumSize) throws -> PageContent {
        try HTMLDocument(html: html, maximumSize: maximumSize).content(url: url)
    }

    /// Extracts the page's content in one pass over the parser's events (no tree, no recursion).
    /// - Parameter url: the document's URL, against which relative URLs (and `<base>`) are resolved.
    public func content(url: String? = nil) throws -> PageContent {
        var extractor = SAXExtractor(documentURL: url)
        var html = html
        let parsed = withUnsafeMutablePointer(to: &extractor) { extractor in
            html.withUTF8 { bytes -> Bool in
                // Script and style bodies are nearly half of a typical page, and whitespace runs
                // another sixth: libxml2 need not read them.
                if let stripped = Prescan.shrunk(bytes) {
                    return stripped.withUnsafeBufferPointer { runParser($0, into: extractor) }
                }
                return runParser(bytes, into: extractor)
            }
        }
        guard parsed else {
            throw ExtractionError(code: .unparseable, message: "libxml2 could not start parsing \(html.utf8.count) bytes")
        }
        return extractor.finish()
    }
}

/// The elements extraction cares about.
enum Tag: Equatable {
    case a, title, base, meta, link, script, style, noscript, template, heading(Int), form, input, select,
         textarea, button, option, label, img, main, article, chrome, block, br, other

    /// Classifies a tag name (the HTML parser lower-cases them) by its bytes, without allocating.
    fileprivate init(_ p: UnsafePointer<xmlChar>) {
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
    let autocomplete: StaticString = "autocomplete"
    let alt: StaticString = "alt", selected: StaticString = "selected", forAttr: StaticString = "for"
    let labelAttr: StaticString = "label"
}

/// Text with whitespace collapsed as it is appended: runs of ASCII and Unicode spaces become one
/// space, block boundaries one newline.
struct TextBuffer {
    var bytes: [UInt8] = []
    private var pendingSpace = false

    fileprivate mutating func append(_ p: UnsafePointer<xmlChar>, _ length: Int) {
        @inline(__always) func at(_ k: Int) -> UInt8 { k < length ? p[k] : 0 }
        var i = 0
        while i < length {
            let b = p[i]
            var width = 0
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C { width = 1 }
            else if b == 0xC2, at(i + 1) == 0xA0 || at(i + 1) == 0x85 { width = 2 }
            else if b == 0xE2, at(i + 1) == 0x80, (0x80...0x8A).contains(at(i + 2)) || at(i + 2) == 0xA8 || at(i + 2) == 0xA9 || at(i + 2) == 0xAF { width = 3 }
            else if b == 0xE3, at(i + 1) == 0x80, at(i + 2) == 0x80 { width = 3 }
            if width > 0 {
                pendingSpace = true
                i += width
                continue
            }
            if pendingSpace, let last = bytes.last, last != 0x0A { bytes.append(0x20) }
            pendingSpace = false
            // Copy the run up to the next byte that may start a space in one go.
            var end = i + 1
            while end < length {
                let c = p[end]
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C || c == 0xC2 || c == 0xE2 || c == 0xE3 { break }
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

/// Extracts ``PageContent`` from libxml2's SAX events: no tree is built (half the parse time goes
/// into building and freeing one), and nothing recurses, so nesting depth is no risk.
///
/// The events nest as libxml2's tree would (its tree builder consumes the same events, implied end
/// tags included), so the result is the one a walk over that tree gives.
struct SAXExtractor {
    fileprivate let names = AttributeNames()
    var base: String?
    var result = PageContent(title: "", meta: .init(), headings: [], links: [], forms: [], images: [], mainText: "")
    var sawRoot = false
    var titleFound = false

    /// What an open element changed, to undo at its end.
    struct Open {
        var tag: Tag
        var captures = false
        var opaque = false
        var field: (form: Int, index: Int)?
        /// A label's `for`.
        var labelFor: String?
        /// The script/style element that started skipping.
        var skipper = false
    }
    var open: [Open] = []
    /// Inside script/style: no text at all.
    var skip = 0
    /// Inside title, input, select or textarea: their children are not content (only the texts and
    /// options they gather).
    var opaque = 0
    /// Inside noscript/template: elements count, text does not.
    var silent = 0
    /// Form controls seen so far outside template and noscript (``PageContent/Field/domIndex``).
    var controls = 0
    /// Inside nav/header/footer/aside.
    var chrome = 0
    /// Inside main/article.
    var mainDepth = 0
    var allText = TextBuffer()
    var mainRanges: [Range<Int>] = []
    var mainStart = 0
    var linkPlaces: [(inMain: Bool, inChrome: Bool)] = []

    /// The texts being gathered for open elements (title, link, heading, label, button, option),
    /// innermost last. They share one log of the raw text since the outermost opened (a block
    /// boundary is a space in it), so each text event is copied once however deep the nesting; a
    /// text is collapsed when its element ends.
    struct Capture {
        enum Target { case title, link(Int), heading(Int), label(Int), button(source: Int), option }
        var target: Target
        var start: Int
    }
    var captures: [Capture] = []
    var log: [UInt8] = []
    /// A textarea's text as written, while one is open.
    var textarea: (form: Int, index: Int, text: [UInt8])?

    var formStack: [Int] = []
    /// Open labels, by their index in `labelTexts`.
    var labelStack: [Int] = []
    var labelTexts: [String] = []
    var labelFor: [String: String] = [:]
    /// How each field's label is chosen once every text is known.
    struct LabelSources {
        var form: Int
        var index: Int
        var wrapping: Int?
        /// The wrapping label's text before the field (`Name` of `<label>Name <input></label>`).
        var wrappingBefore: String?
        var own: String?
        var ariaLabel: String?
        var placeholder: String?
    }
    var labelSources: [LabelSources] = []
    /// The select whose options are being gathered, and the option's attributes.
    var select: (form: Int, index: Int)?
    var option: (value: String?, label: String?, selected: Bool)?

    init(documentURL: String?) { base = documentURL }

    // MARK: Events

    fileprivate mutating func startElement(_ name: UnsafePointer<xmlChar>, _ atts: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        let tag = Tag(name)
        var entry = Open(tag: tag)
        if !sawRoot {
            sawRoot = true
            if let lang = attribute(atts, names.lang) { result.meta.language = lang }
        }
        // Inside script/style nothing is an element; inside opaque elements only options matter.
        if skip > 0 || opaque > 0 {
            if skip == 0 {
                if tag == .option, select != nil, option == nil {
                    option = (attribute(atts, names.value), attribute(atts, names.labelAttr).map(collapse),
                              hasAttribute(atts, names.selected))
                    beginCapture(.option, &entry)
                } else if tag == .br || tag == .block {
                    spaceCaptures()
                }
            }
            open.append(entry)
            return
        }
        switch tag {
        case .script, .style:
            skip += 1
            entry.skipper = true
        case .noscript, .template:
            silent += 1
        case .title:
            entry.opaque = true
            if !titleFound {
                titleFound = true
                beginCapture(.title, &entry)
            }
        case .base:
            if let href = attribute(atts, names.href) { base = resolve(href) }
        case .meta:
            if let content = attribute(atts, names.content) {
                let name = (attribute(atts, names.name) ?? attribute(atts, names.property))?.lowercased()
                if name == "description" { result.meta.description = collapse(content) }
                if let name, name.hasPrefix("og:") { result.meta.openGraph[String(name.dropFirst(3))] = collapse(content) }
            }
        case .link:
            if let rel = attribute(atts, names.rel)?.lowercased(), rel.split(separator: " ").contains("canonical"),
               let href = attribute(atts, names.href) {
                result.meta.canonical = resolve(href)
            }
        case .a:
            if let href = attribute(atts, names.href) {
                result.links.append(.init(url: resolve(href), text: "", rel: attribute(atts, names.rel)))
                linkPlaces.append((mainDepth > 0, chrome > 0))
                beginCapture(.link(result.links.count - 1), &entry)
            }
        case .heading(let level):
            result.headings.append(.init(level: level, text: ""))
            allText.lineBreak()
            beginCapture(.heading(result.headings.count - 1), &entry)
        case .img:
            if let src = attribute(atts, names.src) {
                result.images.append(.init(src: resolve(src), alt: attribute(atts, names.alt)))
            }
        case .form:
            let method = (attribute(atts, names.method) ?? "get").uppercased()
            let action = attribute(atts, names.action).map(resolve) ?? base
            result.forms.append(.init(action: action, method: method == "POST" ? "POST" : (method == "DIALOG" ? "DIALOG" : "GET"), fields: []))
            formStack.append(result.forms.count - 1)
        case .label:
            labelTexts.append("")
            labelStack.append(labelTexts.count - 1)
            entry.labelFor = attribute(atts, names.forAttr)
            beginCapture(.label(labelTexts.count - 1), &entry)
        case .input, .select, .textarea, .button:
            // The browser's DOM has no elements inside <template> and <noscript>: those are not counted.
            let domIndex = silent > 0 ? nil : controls
            if silent == 0 { controls += 1 }
            addField(atts, tag, domIndex: domIndex, &entry)
            if tag != .button { entry.opaque = true }
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
        if tag == .br || tag == .block { spaceCaptures() }
        if entry.opaque { opaque += 1 }
        open.append(entry)
    }

    mutating func endElement() {
        guard let entry = open.popLast() else { return }
        if entry.captures { endCapture() }
        if skip > 0 {
            if entry.skipper { skip -= 1 }
            return
        }
        if opaque > 0 && !entry.opaque { return }
        if entry.opaque { opaque -= 1 }
        switch entry.tag {
        case .noscript, .template: silent -= 1
        case .form: _ = formStack.popLast()
        case .label:
            if let index = labelStack.popLast(), let id = entry.labelFor, !labelTexts[index].isEmpty {
                labelFor[id] = labelTexts[index]
            }
        case .main, .article:
            mainDepth -= 1
            if mainDepth == 0 { mainRanges.append(mainStart..<allText.count) }
        case .chrome: chrome -= 1
        case .block, .heading:
            allText.lineBreak()
        case .textarea:
            allText.space()
            if let (form, index, text) = textarea, entry.field != nil {
                result.forms[form].fields[index].value = String(decoding: text, as: UTF8.self)
            }
            textarea = nil
        case .input, .button, .img:
            allText.space()
        case .select:
            allText.space()
            if let (form, index) = entry.field {
                let options = result.forms[form].fields[index].options
                result.forms[form].fields[index].value = (options.first { $0.selected } ?? options.first)?.value
            }
            select = nil
        default: break
        }
    }

    fileprivate mutating func characters(_ p: UnsafePointer<xmlChar>, _ length: Int) {
        guard skip == 0, length > 0 else { return }
        let text = UnsafeBufferPointer(start: p, count: length)
        if !captures.isEmpty { log.append(contentsOf: text) }
        if textarea != nil { textarea!.text.append(contentsOf: text) }
        if silent == 0, chrome == 0, opaque == 0 { allText.append(p, length) }
    }

    /// The log from `start` on, whitespace collapsed.
    func collapsedLog(from start: Int) -> String {
        var buffer = TextBuffer()
        log.withUnsafeBufferPointer { all in
            if let base = all.baseAddress, start < all.count { buffer.append(base + start, all.count - start) }
        }
        return buffer.string
    }

    // MARK: Fields

    private mutating func addField(_ atts: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ tag: Tag, domIndex: Int?,
                                   _ entry: inout Open) {
        guard let form = formStack.last else { return }
        let element: String
        var type: String
        var value = attribute(atts, names.value)
        switch tag {
        case .select:
            element = "select"
            type = "select"
            value = nil
        case .textarea:
            element = "textarea"
            type = "textarea"
        case .button:
            element = "button"
            type = attribute(atts, names.type)?.lowercased() ?? "submit"
        default:
            element = "input"
            type = attribute(atts, names.type)?.lowercased() ?? "text"
        }
        if type == "password" || Self.isOneTimeCode(attribute(atts, names.autocomplete)) { value = nil }
        result.forms[form].fields.append(PageContent.Field(
            element: element, name: attribute(atts, names.name), type: type, label: nil,
            required: hasAttribute(atts, names.required), value: value, options: [], id: attribute(atts, names.id),
            domIndex: domIndex))
        let index = result.forms[form].fields.count - 1
        entry.field = (form, index)
        labelSources.append(LabelSources(form: form, index: index, wrapping: labelStack.last,
                                         wrappingBefore: labelStack.last.flatMap(textSoFar),
                                         ariaLabel: attribute(atts, names.ariaLabel).map(collapse),
                                         placeholder: attribute(atts, names.placeholder).map(collapse)))
        switch tag {
        case .select: select = (form, index)
        case .textarea: textarea = (form, index, [])
        case .button: beginCapture(.button(source: labelSources.count - 1), &entry)
        default: break
        }
    }

    /// Whether an `autocomplete` value marks a one-time code (`one-time-code`, also with a section
    /// or shipping/billing token before it): such values are as secret as passwords.
    static func isOneTimeCode(_ autocomplete: String?) -> Bool {
        guard let autocomplete else { return false }
        return autocomplete.lowercased().split(separator: " ").contains("one-time-code")
    }

    // MARK: Attributes and URLs

    /// The value of attribute `name` in a SAX attribute list (`""` for one written without a value).
    private func attribute(_ atts: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ name: StaticString) -> String? {
        guard var a = atts else { return nil }
        while let attributeName = a[0] {
            if xmlStrEqual(attributeName, name.utf8Start) != 0 {
                guard let value = a[1] else { return "" }
                return String(cString: UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))
            }
            a += 2
        }
        return nil
    }

    private func hasAttribute(_ atts: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ name: StaticString) -> Bool {
        guard var a = atts else { return false }
        while let attributeName = a[0] {
            if xmlStrEqual(attributeName, name.utf8Start) != 0 { return true }
            a += 2
        }
        return false
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

// MARK: - The SAX handler

/// The extractor behind the parser's user data (a plain pointer: no reference counting or
/// exclusivity checks per event).
private func extractor(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<SAXExtractor> {
    context!.assumingMemoryBound(to: SAXExtractor.self)
}

/// The handler: element starts and ends and text; everything else (comments, DTDs) is ignored.
///
/// Made once and never written again: every parse, on any thread, only reads it. (A global `var`
/// passed with `&` is a write access for the whole parse, so two parses at once were a data race and,
/// in a debug build, an exclusivity trap.)
private nonisolated(unsafe) let saxHandler: UnsafeMutablePointer<xmlSAXHandler> = {
    var handler = htmlSAXHandler()
    handler.startElement = { context, name, atts in
        guard let name else { return }
        extractor(context).pointee.startElement(name, atts)
    }
    handler.endElement = { context, _ in extractor(context).pointee.endElement() }
    handler.characters = { context, text, length in
        guard let text else { return }
        extractor(context).pointee.characters(text, Int(length))
    }
    handler.ignorableWhitespace = handler.characters
    handler.cdataBlock = handler.characters
    let stored = UnsafeMutablePointer<xmlSAXHandler>.allocate(capacity: 1)
    stored.initialize(to: handler)
    return stored
}()

/// libxml2's global state (its mutexes, dictionary seed, encodings), set up once before any parser:
/// two threads creating the first parsers at once otherwise race inside `xmlDictCreate` and can
/// deadlock on a mutex neither holds. A global is initialized once, thread-safely.
private let libxml2Ready: Void = xmlInitParser()

/// Runs libxml2's HTML parser over `bytes` with the extraction handler.
private func runParser(_ bytes: UnsafeBufferPointer<UInt8>, into extractor: UnsafeMutablePointer<SAXExtractor>) -> Bool {
    libxml2Ready
    // A document with no bytes at all is an empty document.
    let empty: StaticString = "<html></html>"
    let input = bytes.isEmpty ? UnsafeBufferPointer(start: empty.utf8Start, count: empty.utf8CodeUnitCount) : bytes
    guard let base = input.baseAddress else { return false }
    let chars = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
    guard let context = htmlCreateMemoryParserCtxt(chars, Int32(input.count)) else { return false }
    // The input is UTF-8 (what a browser serializes), whatever <meta charset> says.
    let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                        | HTML_PARSE_NONET.rawValue)
    _ = htmlCtxtUseOptions(context, options)
    // As htmlReadMemory does for an explicit encoding: read as UTF-8, and let no <meta> switch it.
    if let utf8 = xmlFindCharEncodingHandler("UTF-8"), let stream = context.pointee.input {
        _ = xmlSwitchToEncoding(context, utf8)
        if let old = stream.pointee.encoding { cxml_free(UnsafeMutableRawPointer(mutating: old)) }
        stream.pointee.encoding = UnsafePointer(xmlStrdup("UTF-8"))
    }
    let libraryHandler = context.pointee.sax
    context.pointee.sax = saxHandler
    context.pointee.userData = UnsafeMutableRawPointer(extractor)
    _ = htmlParseDocument(context)
    context.pointee.sax = libraryHandler
    htmlFreeParserCtxt(context)
    return true
}

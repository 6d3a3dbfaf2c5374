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

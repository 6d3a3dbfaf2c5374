/// One node of a page's accessibility tree, as a browser reports it (flattened: children by id).
public struct AXNodeInput: Sendable, Hashable {
    public var id: String
    public var role: String
    public var name: String
    public var value: String?
    /// Nodes the browser marks as ignored are folded away; their children stay.
    public var ignored: Bool
    public var childIds: [String]
    /// The DOM node behind it, which element refs point to.
    public var backendNodeId: Int?
    /// State, by property name: `checked`, `disabled`, `expanded`, `level`, `required`, `selected`...
    public var properties: [String: String]

    public init(id: String, role: String, name: String = "", value: String? = nil, ignored: Bool = false,
                childIds: [String] = [], backendNodeId: Int? = nil, properties: [String: String] = [:]) {
        self.id = id
        self.role = role
        self.name = name
        self.value = value
        self.ignored = ignored
        self.childIds = childIds
        self.backendNodeId = backendNodeId
        self.properties = properties
    }
}

/// A compact text form of a page's accessibility tree, with a ref for every interactive element.
///
/// ```
/// - heading "Sign in" [level=1]
/// - textbox "Username" [ref=e1@3]
/// - textbox "Password" [required] [ref=e2@3]
/// - button "Sign in" [ref=e3@3]
/// ```
///
/// Refs are stamped with the document generation (`@3`): acting on a ref from an earlier document
/// fails instead of hitting a different element. Generic containers and ignored nodes are folded
/// away; text that only repeats an element's name is left out.
public struct AccessibilitySnapshot: Sendable, Hashable {
    public struct Options: Sendable, Hashable {
        /// Only the interactive elements, as a flat list.
        public var interactiveOnly = false
        /// Leave out what lies deeper than this many levels (counted in the folded tree).
        public var maxDepth: Int?
        /// Cut text lines (not names of interactive elements) after this many characters, marked
        /// with `…`: the snapshot shows structure and controls; the page's prose is in
        /// ``PageContent/mainText``. Nil keeps every character. Default 80.
        public var maxTextLength: Int?
        public init(interactiveOnly: Bool = false, maxDepth: Int? = nil, maxTextLength: Int? = 80) {
            self.interactiveOnly = interactiveOnly
            self.maxDepth = maxDepth
            self.maxTextLength = maxTextLength
        }
    }

    /// The snapshot, one element per line.
    public var text: String
    /// Each ref's DOM node (the browser's backend node id).
    public var refs: [String: Int]
    /// The document generation the refs belong to.
    public var generation: Int
    /// How many elements were left out by `maxDepth`.
    public var omittedBelowDepth: Int

    /// Roles an agent can act on: each gets a ref.
    public static let interactiveRoles: Set<String> = [
        "link", "button", "textbox", "searchbox", "checkbox", "radio", "combobox", "listbox", "option",
        "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "switch", "slider", "spinbutton", "treeitem",
    ]

    /// Roles folded away: their children take their place.
    static let folded: Set<String> = ["none", "generic", "presentation", "InlineTextBox", "LineBreak", "LabelText",
                                      "RootWebArea", "WebArea", "Section", "paragraph", "group", "Iframe"]

    /// Roles whose name is their text: the text is not repeated below them.
    static let namedByContent: Set<String> = [
        "link", "button", "heading", "tab", "option", "menuitem", "menuitemcheckbox", "menuitemradio", "checkbox",
        "radio", "cell", "columnheader", "rowheader", "treeitem", "switch", "label", "legend", "caption",
    ]

    /// Builds the snapshot of the tree under `rootId` (the first node by default).
    public init(nodes: [AXNodeInput], rootId: String? = nil, generation: Int, options: Options = Options()) {
        self.generation = generation
        var byId: [String: AXNodeInput] = [:]
        byId.reserveCapacity(nodes.count)
        for node in nodes { byId[node.id] = node }
        var lines: [String] = []
        var refs: [String: Int] = [:]
        var omitted = 0
        // Depth-first, iteratively: (node id, depth in the folded tree, inside a content-named element).
        var stack: [(String, Int, Bool)] = []
        if let root = rootId ?? nodes.first?.id { stack.append((root, 0, false)) }
        var lastText: (depth: Int, index: Int)?
        while let (id, depth, quiet) = stack.popLast() {
            guard let node = byId[id] else { continue }
            let role = node.role
            var childDepth = depth
            var childQuiet = quiet
            let isText = role == "StaticText"
            if node.ignored || Self.folded.contains(role) || (isText && (quiet || options.interactiveOnly)) {
                // Folded: the children take its place.
            } else if isText {
                var text = Self.clean(node.name)
                if let limit = options.maxTextLength, text.count > limit { text = String(text.prefix(limit)) + "…" }
                if !text.isEmpty {
                    if let last = lastText, last.depth == depth, last.index == lines.count - 1 {
                        // Adjacent text at the same level reads as one line.
                        lines[last.index] = String(lines[last.index].dropLast()) + " " + Self.quoted(text).dropFirst()
                    } else if options.maxDepth.map({ depth > $0 }) ?? false {
                        omitted += 1
                    } else {
                        lines.append(String(repeating: "  ", count: depth) + "- " + Self.quoted(text))
                        lastText = (depth, lines.count - 1)
                    }
                }
            } else {
                let interactive = Self.interactiveRoles.contains(role)
                if options.interactiveOnly && !interactive {
                    // Only its interactive descendants are listed.
                } else if let maxDepth = options.maxDepth, depth > maxDepth {
                    omitted += 1
                } else {
                    var line = String(repeating: "  ", count: options.interactiveOnly ? 0 : depth) + "- " + role
                    let name = Self.clean(node.name)
                    if !name.isEmpty { line += " " + Self.quoted(name) }
                    line += Self.state(node)
                    if interactive, let backend = node.backendNodeId {
                        let ref = "e\(refs.count + 1)@\(generation)"
                        refs[ref] = backend
                        line += " [ref=\(ref)]"
                    }
                    lines.append(line)
                    lastText = nil
                    childDepth = depth + 1
                    if !name.isEmpty && Self.namedByContent.contains(role) { childQuiet = true }
                }
            }
            for child in node.childIds.reversed() { stack.append((child, childDepth, childQuiet)) }
        }
        lines = Self.withoutRepeatedLabels(lines)
        if omitted > 0 { lines.append("(\(omitted) more elements below depth \(options.maxDepth ?? 0))") }
        text = lines.joined(separator: "\n")
        self.refs = refs
        omittedBelowDepth = omitted
    }

    /// Drops a text line that only repeats the name of the element next to it (a label and its field).
    static func withoutRepeatedLabels(_ lines: [String]) -> [String] {
        func text(_ line: String) -> Substring? {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("- \"") else { return nil }
            return trimmed.dropFirst(2)
        }
        func named(_ line: String, _ quoted: Substring) -> Bool {
            let trimmed = line.drop { $0 == " " }
            return !trimmed.hasPrefix("- \"") && trimmed.contains(" " + quoted + " ") || trimmed.hasSuffix(" " + quoted)
        }
        var kept: [String] = []
        kept.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            if let quoted = text(line) {
                let before = index > 0 && named(lines[index - 1], quoted)
                let after = index + 1 < lines.count && named(lines[index + 1], quoted)
                if before || after { continue }
            }
            kept.append(line)
        }
        return kept
    }

    private static func state(_ node: AXNodeInput) -> String {
        var parts = ""
        let p = node.properties
        if let level = p["level"], node.role == "heading" { parts += " [level=\(level)]" }
        if p["checked"] == "true" { parts += " [checked]" } else if p["checked"] == "mixed" { parts += " [mixed]" }
        if p["pressed"] == "true" { parts += " [pressed]" }
        if p["selected"] == "true" { parts += " [selected]" }
        if p["expanded"] == "true" { parts += " [expanded]" } else if p["expanded"] == "false" { parts += " [collapsed]" }
        if p["disabled"] == "true" { parts += " [disabled]" }
        if p["required"] == "true" { parts += " [required]" }
        if let value = node.value.map(clean), !value.isEmpty, node.role != "link" {
            parts += " [value=\(quoted(String(value.prefix(80))))]"
        }
        return parts
    }

    private static func clean(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingQuotes + "\""
    }
}

private extension String {
    var replacingQuotes: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for c in self { out += c == "\"" ? "\\\"" : String(c) }
        return out
    }
}

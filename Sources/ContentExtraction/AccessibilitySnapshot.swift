/// One node of a page's accessibility tree (flattened: children by id), as a browser reports it or
/// as a walk of the page computes it (what `SharedSession` does).
public struct AXNodeInput: Sendable, Hashable {
    /// The node's id in the tree.
    public var id: String
    /// The role (`button`, `link`, `heading`, `StaticText`, ...).
    public var role: String
    /// The accessible name.
    public var name: String
    /// The value (of a field), if any.
    public var value: String?
    /// Nodes the browser marks as ignored are folded away; their children stay.
    public var ignored: Bool
    /// The ids of its children, in order.
    public var childIds: [String]
    /// The id of the DOM node behind it, which element refs point to: the browser's backend node id,
    /// or any id the caller can resolve (`SharedSession` uses its isolated world's element ids).
    public var backendNodeId: Int?
    /// State, by property name: `checked`, `disabled`, `expanded`, `level`, `required`, `selected`...
    public var properties: [String: String]
    /// Whether the element lies in the viewport; nil when unknown. Budgeted views list visible
    /// elements first.
    public var visible: Bool?

    /// A node.
    public init(id: String, role: String, name: String = "", value: String? = nil, ignored: Bool = false,
                childIds: [String] = [], backendNodeId: Int? = nil, properties: [String: String] = [:],
                visible: Bool? = nil) {
        self.id = id
        self.role = role
        self.name = name
        self.value = value
        self.ignored = ignored
        self.childIds = childIds
        self.backendNodeId = backendNodeId
        self.properties = properties
        self.visible = visible
    }
}

/// A compact text form of a page's accessibility tree, with a ref for every interactive element.
///
/// ```
/// - heading "Sign in" [level=1]
/// - textbox "Username" ref=e1
/// - textbox "Password" [required] ref=e2
/// - button "Sign in" ref=e3
/// ```
///
/// Refs are stamped with the document generation (`@3`): acting on a ref from an earlier document
/// fails instead of hitting a different element. Generic containers and ignored nodes are folded
/// away; text that only repeats an element's name is left out.
public struct AccessibilitySnapshot: Sendable, Hashable {
    /// What the snapshot shows.
    public struct Options: Sendable, Hashable {
        /// Only the interactive elements, as a flat list.
        public var interactiveOnly = false
        /// Leave out what lies deeper than this many levels (counted in the folded tree).
        public var maxDepth: Int?
        /// Cut text lines (not names of interactive elements) after this many characters, marked
        /// with `…`: the snapshot shows structure and controls; the page's prose is in
        /// ``PageContent/mainText``. Nil keeps every character. Default 80.
        public var maxTextLength: Int?
        /// Options; by default the whole tree, text lines cut after 80 characters.
        public init(interactiveOnly: Bool = false, maxDepth: Int? = nil, maxTextLength: Int? = 80) {
            self.interactiveOnly = interactiveOnly
            self.maxDepth = maxDepth
            self.maxTextLength = maxTextLength
        }
    }

    /// One line of the snapshot, with what a budgeted view needs to choose lines.
    public struct Line: Sendable, Hashable {
        /// The line as printed, with its indentation.
        public var text: String
        /// Its depth in the folded tree.
        public var depth: Int
        /// The role (`StaticText` for text).
        public var role: String
        /// The refs of the interactive elements on the line (one, or several when a run of inline
        /// text and links shares a line).
        public var refs: [String] = []
        /// Whether the element lies in the viewport; nil when unknown.
        public var visible: Bool?
        /// The block (paragraph, list item, element) the line belongs to: inline runs of one block
        /// share a line.
        var block = 0
        /// The interactive elements on the line as an interactive-only snapshot lists them, without
        /// the `- ` (`link "Economy" ref=e4`).
        public var elements: [String] = []

        /// The first ref on the line.
        public var ref: String? { refs.first }
        /// Whether the line has an interactive element.
        public var isInteractive: Bool { !refs.isEmpty }
    }

    /// The snapshot, one element per line.
    public var text: String { lines.map(\.text).joined(separator: "\n") }

    /// The interactive elements, one a line, as a snapshot with ``Options/interactiveOnly`` lists
    /// them: what an agent shown this snapshot has seen of that view.
    public var interactiveLines: [String] { lines.flatMap { $0.elements.map { "- " + $0 } } }
    /// The lines of ``text``, with their roles, refs and visibility.
    public var lines: [Line]
    /// Each ref's DOM node, by its ``AXNodeInput/backendNodeId``.
    public var refs: [String: Int]
    /// The document generation the refs belong to.
    public var generation: Int
    /// The first ref number this snapshot left unused: where the numbers of a tab's next snapshot
    /// start, so that a ref never names two elements (the ones of an earlier document are not reused).
    public var nextRef: Int
    /// How many elements were left out by `maxDepth`.
    public var omittedBelowDepth: Int

    /// What a secret value (a password, a one-time code) is shown as.
    public static let hiddenValue = "•••"

    /// Roles an agent can act on: each gets a ref.
    public static let interactiveRoles: Set<String> = [
        "link", "button", "textbox", "searchbox", "checkbox", "radio", "combobox", "listbox", "option",
        "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "switch", "slider", "spinbutton", "treeitem",
    ]

    /// Roles folded away: their children take their place.
    static let folded: Set<String> = ["none", "generic", "presentation", "InlineTextBox", "LineBreak", "LabelText",
                                      "RootWebArea", "WebArea", "Section", "paragraph", "group", "Iframe",
                                      "ListMarker", "listitem", "superscript", "subscript", "emphasis", "strong", "code", "time", "mark",
                                      "MenuListPopup"]

    /// Folded roles that still separate text: the texts of two paragraphs or list items are not
    /// joined into one line.
    static let blocks: Set<String> = ["paragraph", "listitem", "Section", "group", "LabelText"]

    /// Roles whose name is their text: the text is not repeated below them.
    static let namedByContent: Set<String> = [
        "link", "button", "heading", "tab", "option", "menuitem", "menuitemcheckbox", "menuitemradio", "checkbox",
        "radio", "cell", "columnheader", "rowheader", "treeitem", "switch", "label", "legend", "caption",
    ]

    /// Builds the snapshot of the tree under `rootId` (the first node by default).
    ///
    /// - Parameters:
    ///   - nodes: the tree, flattened (as `Accessibility.getFullAXTree` returns it, or a walk of the page).
    ///   - rootId: the node to start from; the first node when nil.
    ///   - generation: the document generation the refs are stamped with.
    ///   - options: interactive only, depth, text length.
    ///   - previousRefs: the refs already handed out for this document (``refs`` of earlier
    ///     snapshots of the same generation): an element keeps its ref across snapshots, so a ref an
    ///     agent holds never comes to mean another element; new elements get new numbers.
    ///   - firstRef: the lowest number a new ref may take (a session's refs go on from page to page:
    ///     ``nextRef`` of its last snapshot), so that a ref of an earlier page names no element here.
    public init(nodes: [AXNodeInput], rootId: String? = nil, generation: Int, options: Options = Options(),
                previousRefs: [String: Int] = [:], firstRef: Int = 1) {
        self.generation = generation
        var byId: [String: AXNodeInput] = [:]
        byId.reserveCapacity(nodes.count)
        for node in nodes { byId[node.id] = node }
        var lines: [Line] = []
        var refs: [String: Int] = [:]
        var refOfBackend: [Int: String] = [:]
        var nextRef = max(1, firstRef)
        for (ref, backend) in previousRefs {
            refOfBackend[backend] = ref
            if let number = Int(ref.dropFirst().prefix { $0 != "@" }) { nextRef = max(nextRef, number + 1) }
        }
        var omitted = 0
        // Depth-first, iteratively: (node id, depth in the folded tree, inside a content-named element,
        // the block it belongs to, the nearest named printed ancestor's name and line).
        var stack: [(String, Int, Bool, Int, String, Int)] = []
        if let root = rootId ?? nodes.first?.id { stack.append((root, 0, false, 0, "", -1)) }
        var lastText: (depth: Int, index: Int)?
        var blocks = 0
        while let (id, depth, quiet, block, parentName, parentLine) = stack.popLast() {
            guard let node = byId[id] else { continue }
            let role = node.role
            var childDepth = depth
            var childQuiet = quiet
            var childBlock = block
            var childParentName = parentName
            var childParentLine = parentLine
            let isText = role == "StaticText"
            if node.ignored || Self.folded.contains(role) || (isText && (quiet || options.interactiveOnly))
                || (role == "image" && quiet) {
                // Folded: the children take its place. (An image inside a link or button named by
                // its content is already in that name.)
                if Self.blocks.contains(role) {
                    lastText = nil
                    // Items of one list may share a line (a menu of links); paragraphs may not.
                    if role != "listitem" {
                        blocks += 1
                        childBlock = blocks
                    }
                }
            } else if isText {
                var text = Self.clean(node.name)
                if let limit = options.maxTextLength, text.count > limit { text = String(text.prefix(limit)) + "…" }
                if !text.isEmpty && !Self.isPunctuation(text) {
                    if let last = lastText, last.depth == depth, last.index == lines.count - 1 {
                        // Adjacent text at the same level reads as one line, cut as one text is (a
                        // highlighted code block is many short texts).
                        let line = lines[last.index].text
                        let shown = line.count - depth * 2 - 3
                        if let limit = options.maxTextLength, shown >= limit {
                            if !line.hasSuffix("…\"") { lines[last.index].text = String(line.dropLast()) + "…\"" }
                        } else {
                            var joined = String(line.dropLast()) + " " + Self.quoted(text).dropFirst()
                            if let limit = options.maxTextLength, joined.count - depth * 2 - 3 > limit + 1 {
                                var cut = String(joined.prefix(depth * 2 + 3 + limit))
                                if cut.hasSuffix("\\") { cut.removeLast() }   // not half an escaped quote
                                joined = cut + "…\""
                            }
                            lines[last.index].text = joined
                        }
                    } else if options.maxDepth.map({ depth > $0 }) ?? false {
                        omitted += 1
                    } else {
                        lines.append(Line(text: String(repeating: "  ", count: depth) + "- " + Self.quoted(text),
                                          depth: depth, role: role, visible: node.visible, block: block))
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
                    var name = Self.clean(node.name)
                    // A cell named by a content that holds elements of its own (a layout table's cell
                    // with the page in it): the elements show, not their text again as its name.
                    if Self.cellRoles.contains(role), !name.isEmpty, Self.holdsElements(id, byId) { name = "" }
                    if !name.isEmpty {
                        if name != parentName || parentLine < 0 {
                            line += " " + Self.quoted(name)
                        } else if interactive {
                            // A link in a heading (or a row header) of the same name: the element an
                            // agent acts on keeps its name; its container no longer repeats it.
                            line += " " + Self.quoted(name)
                            lines[parentLine].text = Self.removingName(name, from: lines[parentLine].text)
                            if !lines[parentLine].elements.isEmpty {
                                lines[parentLine].elements = [String(lines[parentLine].text.drop { $0 == " " }.dropFirst(2))]
                            }
                        }
                    }
                    // The nearest named ancestor: an unnamed container (an article in a link) passes it on.
                    if !name.isEmpty { childParentName = name }
                    line += Self.state(node)
                    var lineRefs: [String] = []
                    if interactive, let backend = node.backendNodeId {
                        let ref: String
                        if let known = refOfBackend[backend] {
                            ref = known
                        } else {
                            ref = "e\(nextRef)"
                            nextRef += 1
                            refOfBackend[backend] = ref
                        }
                        refs[ref] = backend
                        line += " ref=\(ref)"
                        lineRefs = [ref]
                    }
                    lines.append(Line(text: line, depth: options.interactiveOnly ? 0 : depth, role: role, refs: lineRefs,
                                      visible: node.visible, block: block,
                                      elements: lineRefs.isEmpty ? [] : [String(line.drop { $0 == " " }.dropFirst(2))]))
                    if !name.isEmpty { childParentLine = lines.count - 1 }
                    lastText = nil
                    childDepth = depth + 1
                    blocks += 1
                    childBlock = blocks
                    if !name.isEmpty && Self.namedByContent.contains(role) { childQuiet = true }
                }
            }
            for child in node.childIds.reversed() {
                stack.append((child, childDepth, childQuiet, childBlock, childParentName, childParentLine))
            }
        }
        lines = Self.withoutRepeatedLabels(lines)
        if !options.interactiveOnly { lines = Self.joiningRows(Self.joiningInlineRuns(lines)) }
        if omitted > 0 {
            lines.append(Line(text: "(\(omitted) more elements below depth \(options.maxDepth ?? 0))", depth: 0, role: "note"))
        }
        self.lines = lines
        self.refs = refs
        self.nextRef = nextRef
        omittedBelowDepth = omitted
    }

    /// The line without the quoted `name` after its role (`- heading "News" [level=2]` becomes
    /// `- heading [level=2]`).
    static func removingName(_ name: String, from line: String) -> String {
        let quotedName = Array((" " + quoted(name)).utf8)
        let bytes = Array(line.utf8)
        guard bytes.count >= quotedName.count else { return line }
        for start in 0...(bytes.count - quotedName.count) where bytes[start..<start + quotedName.count].elementsEqual(quotedName) {
            return String(decoding: bytes[..<start] + bytes[(start + quotedName.count)...], as: UTF8.self)
        }
        return line
    }

    /// Drops a text line that only repeats the name of the element next to it (a label and its
    /// field). Only an element's name counts: two text lines that read alike (two paragraphs cut to
    /// the same first words) both stay.
    static func withoutRepeatedLabels(_ lines: [Line]) -> [Line] {
        func text(_ line: String) -> Substring? {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("- \"") else { return nil }
            return trimmed.dropFirst(2)
        }
        func named(_ line: String, _ quoted: Substring) -> Bool {
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.hasPrefix("- \""), let space = trimmed.firstIndex(of: " ") else { return false }
            // `- role "name"...`: the name right after the role.
            let afterRole = trimmed[trimmed.index(after: space)...].drop { $0 != " " }.dropFirst()
            guard afterRole.hasPrefix(quoted) else { return false }
            let rest = afterRole.dropFirst(quoted.count)
            return rest.isEmpty || rest.first == " "
        }
        var kept: [Line] = []
        kept.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            if let quoted = text(line.text) {
                let before = index > 0 && named(lines[index - 1].text, quoted)
                let after = index + 1 < lines.count && named(lines[index + 1].text, quoted)
                if before || after { continue }
            }
            kept.append(line)
        }
        return kept
    }

    /// Roles that flow inline with text.
    static let inline: Set<String> = ["StaticText", "link", "Abbr", "code", "image", "time", "mark", "emphasis", "strong",
                                      "button", "menuitem", "tab", "option"]

    /// Joins runs of inline leaves of one block (text and the links in it, the items of one list or
    /// menu) into one line each, at most 12 items or about 400 characters a line:
    /// `- "See" link "Economy" ref=e4 "for more"`.
    static func joiningInlineRuns(_ lines: [Line]) -> [Line] {
        var joined: [Line] = []
        joined.reserveCapacity(lines.count)
        var runLength = 0
        var previousLeaf = false
        for (index, line) in lines.enumerated() {
            let leaf = index + 1 == lines.count || lines[index + 1].depth <= line.depth
            let inline = leaf && Self.inline.contains(line.role)
            // Lines in view and out of view stay apart, so a budgeted view can still tell them apart.
            if inline, previousLeaf, var last = joined.last, last.depth == line.depth, last.block == line.block,
               last.visible == line.visible, runLength < 12, last.text.utf8.count < 400 {
                let content = line.text.drop { $0 == " " }.dropFirst(2)
                last.text += " " + content
                last.refs += line.refs
                last.elements += line.elements
                joined[joined.count - 1] = last
                runLength += 1
            } else {
                joined.append(line)
                runLength = 1
            }
            previousLeaf = inline
        }
        return joined
    }

    /// Roles of cells, named by their content.
    static let cellRoles: Set<String> = ["cell", "gridcell", "rowheader", "columnheader"]

    /// Whether anything under `id` prints as an element of its own (not text, not a folded container).
    static func holdsElements(_ id: String, _ byId: [String: AXNodeInput]) -> Bool {
        var stack = byId[id]?.childIds ?? []
        var seen: Set<String> = [id]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted, let node = byId[next] else { continue }
            if !node.ignored, node.role != "StaticText", !folded.contains(node.role) { return true }
            stack += node.childIds
        }
        return false
    }

    /// Roles of a table's rows and cells.
    static let rowRoles: Set<String> = ["row"]
    static let tableRoles: Set<String> = ["table", "grid", "treegrid", "row", "rowgroup"]

    /// Writes each table row on one line, its cells apart by `|` (a named cell as its quoted text,
    /// anything else as its line reads), when the row holds no table of its own and fits in about
    /// 400 characters: `- row: link "Andromeda" ref=e3 | "private"`.
    static func joiningRows(_ lines: [Line]) -> [Line] {
        var joined: [Line] = []
        joined.reserveCapacity(lines.count)
        var index = 0
        while index < lines.count {
            let row = lines[index]
            var end = index + 1
            while end < lines.count, lines[end].depth > row.depth { end += 1 }
            let inside = lines[(index + 1)..<end]
            guard rowRoles.contains(row.role), !inside.isEmpty, !inside.contains(where: { tableRoles.contains($0.role) }),
                  inside.reduce(0, { $0 + $1.text.utf8.count }) < 400 else {
                joined.append(row)
                index += 1
                continue
            }
            var cells: [String] = []
            for line in inside {
                var content = String(line.text.drop { $0 == " " }.dropFirst(2))
                if line.role == "cell", content.hasPrefix("cell \"") { content = String(content.dropFirst(5)) }
                else if line.role == "cell", content == "cell" { content = "" }
                if line.depth == row.depth + 1 || cells.isEmpty {
                    cells.append(content)
                } else if !content.isEmpty {
                    cells[cells.count - 1] += cells[cells.count - 1].isEmpty ? content : " " + content
                }
            }
            var line = row
            line.text += ": " + cells.map { $0.isEmpty ? "–" : $0 }.joined(separator: " | ")
            line.refs += inside.flatMap(\.refs)
            line.elements += inside.flatMap(\.elements)
            joined.append(line)
            index = end
        }
        return joined
    }

    /// Text that is only a few punctuation marks (the "." after a link): nothing an agent needs.
    static func isPunctuation(_ text: String) -> Bool {
        text.count <= 3 && !text.contains { $0.isLetter || $0.isNumber }
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

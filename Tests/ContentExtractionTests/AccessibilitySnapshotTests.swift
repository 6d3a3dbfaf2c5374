import ContentExtraction
import Testing

@Suite struct AccessibilitySnapshotTests {
    /// A login form as Chromium reports it: generic containers, ignored nodes, label text.
    static let nodes: [AXNodeInput] = [
        .init(id: "1", role: "RootWebArea", name: "Sign in", childIds: ["2", "3"]),
        .init(id: "2", role: "heading", name: "Sign in", childIds: ["20"], properties: ["level": "1"]),
        .init(id: "20", role: "StaticText", name: "Sign in"),
        .init(id: "3", role: "generic", childIds: ["4", "9"]),
        .init(id: "4", role: "form", childIds: ["5", "6", "7", "8", "10"]),
        .init(id: "5", role: "StaticText", name: "Username"),
        .init(id: "6", role: "textbox", name: "Username", value: "ada", backendNodeId: 106, properties: ["required": "true"]),
        .init(id: "7", role: "none", ignored: true, childIds: ["70"]),
        .init(id: "70", role: "checkbox", name: "Remember me", backendNodeId: 170, properties: ["checked": "true"]),
        .init(id: "8", role: "button", name: "Sign in", childIds: ["80"], backendNodeId: 108),
        .init(id: "80", role: "StaticText", name: "Sign in"),
        .init(id: "9", role: "paragraph", childIds: ["90", "91"]),
        .init(id: "90", role: "StaticText", name: "Forgot your   password?"),
        .init(id: "91", role: "link", name: "Reset it", backendNodeId: 191, properties: [:]),
        .init(id: "10", role: "button", name: "Cancel", backendNodeId: 110, properties: ["disabled": "true"]),
    ]

    @Test func compactTreeWithRefsForEveryInteractiveElement() {
        let snapshot = AccessibilitySnapshot(nodes: Self.nodes, generation: 7)
        #expect(snapshot.text == """
        - heading "Sign in" [level=1]
        - form
          - textbox "Username" [required] [value="ada"] ref=e1
          - checkbox "Remember me" [checked] ref=e2
          - button "Sign in" ref=e3 button "Cancel" [disabled] ref=e4
        - "Forgot your password?" link "Reset it" ref=e5
        """)
        #expect(snapshot.refs == ["e1": 106, "e2": 170, "e3": 108, "e4": 110, "e5": 191])
        #expect(snapshot.generation == 7)
    }

    @Test func interactiveOnlyDepthAndRoot() {
        let interactive = AccessibilitySnapshot(nodes: Self.nodes, generation: 1, options: .init(interactiveOnly: true))
        #expect(interactive.text.split(separator: "\n").count == 5)
        #expect(!interactive.text.contains("heading") && !interactive.text.contains("Forgot"))
        let shallow = AccessibilitySnapshot(nodes: Self.nodes, generation: 1, options: .init(maxDepth: 0))
        #expect(shallow.text.hasSuffix("more elements below depth 0)"))
        #expect(shallow.omittedBelowDepth == 6 && !shallow.text.contains("textbox"))
        let form = AccessibilitySnapshot(nodes: Self.nodes, rootId: "4", generation: 1)
        #expect(form.text.hasPrefix("- form\n  - textbox"))
        #expect(form.refs.count == 4)
    }

    @Test func deepTreesAndCyclesDoNotOverflow() {
        var nodes: [AXNodeInput] = []
        for i in 0..<100_000 { nodes.append(.init(id: "\(i)", role: "generic", childIds: ["\(i + 1)"])) }
        nodes.append(.init(id: "100000", role: "button", name: "Deep", backendNodeId: 1))
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 1)
        #expect(snapshot.text == "- button \"Deep\" ref=e1")
    }

    @Test func refsStayWithTheirElementsAcrossSnapshotsOfOneDocument() {
        let first = AccessibilitySnapshot(nodes: Self.nodes, generation: 3)
        // The page gained a button before the others: it gets a new number, the others keep theirs.
        var changed = Self.nodes
        changed[0].childIds.insert("99", at: 0)
        changed.append(.init(id: "99", role: "button", name: "Help", backendNodeId: 199))
        let second = AccessibilitySnapshot(nodes: changed, generation: 3, previousRefs: first.refs)
        for (ref, backend) in first.refs { #expect(second.refs[ref] == backend) }
        #expect(second.refs["e6"] == 199)
        #expect(second.text.hasPrefix("- button \"Help\" ref=e6"))
        // The next document's numbers go on from there: no ref of this page names an element of the next.
        let next = AccessibilitySnapshot(nodes: Self.nodes, generation: 4, firstRef: second.nextRef)
        #expect(second.nextRef == 7 && next.refs.keys.sorted() == ["e10", "e11", "e7", "e8", "e9"])
    }

    @Test func listMarkersPunctuationAndRepeatedNamesAreFoldedAndInlineRunsShareALine() {
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2", "10"]),
            .init(id: "2", role: "list", childIds: ["3", "6"]),
            .init(id: "3", role: "listitem", childIds: ["4", "5"]),
            .init(id: "4", role: "ListMarker", name: "•"),
            .init(id: "5", role: "link", name: "Home", backendNodeId: 5),
            .init(id: "6", role: "listitem", childIds: ["7", "8"]),
            .init(id: "7", role: "ListMarker", name: "•"),
            .init(id: "8", role: "link", name: "About", backendNodeId: 8),
            .init(id: "10", role: "paragraph", childIds: ["11", "12", "13", "14", "15"]),
            .init(id: "11", role: "StaticText", name: "See"),
            .init(id: "12", role: "link", name: "Economy", backendNodeId: 12),
            .init(id: "13", role: "StaticText", name: "."),
            .init(id: "14", role: "superscript", childIds: ["16"]),
            .init(id: "16", role: "link", name: "[1]", backendNodeId: 16),
            .init(id: "15", role: "heading", name: "News", childIds: ["17"], properties: ["level": "2"]),
            .init(id: "17", role: "link", name: "News", backendNodeId: 17),
        ]
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 1)
        #expect(snapshot.text == """
        - list
          - link "Home" ref=e1 link "About" ref=e2
        - "See" link "Economy" ref=e3 link "[1]" ref=e4
        - heading [level=2]
          - link "News" ref=e5
        """)
        let joined = snapshot.lines[2]
        #expect(joined.refs == ["e3", "e4"] && joined.isInteractive)
        #expect(snapshot.refs.count == 5)
    }

    @Test func visibilityIsCarriedToTheLines() {
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2", "3"]),
            .init(id: "2", role: "button", name: "Top", backendNodeId: 2, visible: true),
            .init(id: "3", role: "button", name: "Bottom", backendNodeId: 3, visible: false),
        ]
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 1)
        #expect(snapshot.lines.map(\.visible) == [true, false])
        #expect(snapshot.lines.allSatisfy { $0.isInteractive })
    }

    @Test func aLineWithARefAlwaysNamesItsElement() {
        // A table row whose header is a link of the same name, and a heading around its link.
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2", "5"]),
            .init(id: "2", role: "row", childIds: ["3"]),
            .init(id: "3", role: "rowheader", name: "Launch plan", childIds: ["4"]),
            .init(id: "4", role: "link", name: "Launch plan", backendNodeId: 4),
            .init(id: "5", role: "heading", name: "Launch plan", childIds: ["6"], properties: ["level": "3"]),
            .init(id: "6", role: "generic", childIds: ["7"]),
            .init(id: "7", role: "link", name: "Launch plan", backendNodeId: 7),
        ]
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 8)
        for line in snapshot.lines where line.isInteractive {
            #expect(line.text.contains("\"Launch plan\""), "\(line.text)")
        }
        #expect(snapshot.text == """
        - row: rowheader link "Launch plan" ref=e1
        - heading [level=3]
          - link "Launch plan" ref=e2
        """)
    }

    /// A run of short texts side by side (a highlighted code block: a text per token) reads as one
    /// line, cut as one text is: at 80 characters.
    @Test func adjacentTextsAreCutAsOneText() {
        let words = (0..<200).map { "word\($0)" }
        let nodes: [AXNodeInput] = [.init(id: "1", role: "RootWebArea", childIds: ["2"]),
                                    .init(id: "2", role: "code", childIds: words.indices.map { "t\($0)" })]
            + words.enumerated().map { .init(id: "t\($0.offset)", role: "StaticText", name: $0.element) }
        let lines = AccessibilitySnapshot(nodes: nodes, generation: 1).lines
        #expect(lines.count == 1 && lines[0].text.hasPrefix("- \"word0 word1 word2") && lines[0].text.hasSuffix("…\""), "\(lines.map(\.text))")
        #expect(lines[0].text.count <= 80 + 5, "\(lines[0].text.count)")
    }

    /// A layout table's cell that holds the page: its headings, text and links show, not all its text
    /// again as the cell's name; a cell of text alone keeps its text as its name.
    @Test func aCellThatHoldsElementsIsNotNamedByThem() {
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2"]),
            .init(id: "2", role: "table", childIds: ["3"]),
            .init(id: "3", role: "row", childIds: ["4", "9"]),
            .init(id: "4", role: "cell", name: "Story The whole story text Notes", childIds: ["5", "7", "8"]),
            .init(id: "5", role: "heading", name: "Story", childIds: ["6"], properties: ["level": "2"]),
            .init(id: "6", role: "StaticText", name: "Story"),
            .init(id: "7", role: "StaticText", name: "The whole story text"),
            .init(id: "8", role: "link", name: "Notes", backendNodeId: 8),
            .init(id: "9", role: "cell", name: "Plain", childIds: ["10"]),
            .init(id: "10", role: "StaticText", name: "Plain"),
        ]
        let text = AccessibilitySnapshot(nodes: nodes, generation: 1).text
        #expect(text == """
        - table
          - row: heading "Story" [level=2] "The whole story text" link "Notes" ref=e1 | "Plain"
        """, "\(text)")
    }

    /// A table's rows each on one line, cells apart by `|`; a row that holds a table of its own keeps
    /// its lines. Every element stays with its ref, and the interactive lines are those of an
    /// interactive-only snapshot of the same tree.
    @Test func tableRowsShareALineCellByCell() {
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2"]),
            .init(id: "2", role: "table", childIds: ["3", "6", "10"]),
            .init(id: "3", role: "row", childIds: ["4", "5"]),
            .init(id: "4", role: "columnheader", name: "Name"),
            .init(id: "5", role: "columnheader", name: "Visibility"),
            .init(id: "6", role: "row", childIds: ["7", "9"]),
            .init(id: "7", role: "cell", childIds: ["8"]),
            .init(id: "8", role: "link", name: "Andromeda", backendNodeId: 8),
            .init(id: "9", role: "cell", name: "private"),
            .init(id: "10", role: "row", childIds: ["11"]),
            .init(id: "11", role: "cell", childIds: ["12"]),
            .init(id: "12", role: "table", childIds: ["13"]),
            .init(id: "13", role: "row", childIds: ["14", "15"]),
            .init(id: "14", role: "cell", name: "inner"),
            .init(id: "15", role: "cell", childIds: ["16"]),
            .init(id: "16", role: "button", name: "Open", backendNodeId: 16),
        ]
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 2)
        #expect(snapshot.text == """
        - table
          - row: columnheader "Name" | columnheader "Visibility"
          - row: link "Andromeda" ref=e1 | "private"
          - row
            - cell
              - table
                - row: "inner" | button "Open" ref=e2
        """)
        #expect(snapshot.lines.first { $0.text.contains("Andromeda") }?.refs == ["e1"])
        let interactive = AccessibilitySnapshot(nodes: nodes, generation: 2, options: .init(interactiveOnly: true))
        #expect(snapshot.interactiveLines == interactive.text.split(separator: "\n").map(String.init))
        #expect(AccessibilitySnapshot(nodes: Self.nodes, generation: 7).interactiveLines
                == AccessibilitySnapshot(nodes: Self.nodes, generation: 7, options: .init(interactiveOnly: true)).text.split(separator: "\n").map(String.init))
    }

    @Test func linesThatReadAlikeAreAllKept() {
        // Two paragraphs that are the same after the cut at 80 characters, repeated icons, and
        // text that merely repeats other text: nothing is dropped for looking like a neighbour.
        let long = String(repeating: "The same opening words of two paragraphs ", count: 3)
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2", "4", "6", "7", "8"]),
            .init(id: "2", role: "paragraph", childIds: ["3"]),
            .init(id: "3", role: "StaticText", name: long + "end one"),
            .init(id: "4", role: "paragraph", childIds: ["5"]),
            .init(id: "5", role: "StaticText", name: long + "end two"),
            .init(id: "6", role: "image"),
            .init(id: "7", role: "image"),
            .init(id: "8", role: "paragraph", childIds: ["9"]),
            .init(id: "9", role: "StaticText", name: "image"),
        ]
        let snapshot = AccessibilitySnapshot(nodes: nodes, generation: 1)
        let cut = "- \"" + String((long + "end one").prefix(80)) + "…\""
        #expect(snapshot.lines.filter { $0.text == cut }.count == 2)
        #expect(snapshot.text.contains("image image") || snapshot.lines.filter { $0.role == "image" }.count == 2)
        #expect(snapshot.text.contains("\"image\""))
    }

    @Test func aLabelThatRepeatsItsFieldsNameIsStillFolded() {
        let nodes: [AXNodeInput] = [
            .init(id: "1", role: "RootWebArea", childIds: ["2", "3"]),
            .init(id: "2", role: "StaticText", name: "Email"),
            .init(id: "3", role: "textbox", name: "Email", backendNodeId: 3),
        ]
        #expect(AccessibilitySnapshot(nodes: nodes, generation: 1).text == "- textbox \"Email\" ref=e1")
    }
}

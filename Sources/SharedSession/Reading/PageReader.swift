import CDPTransport
import ContentExtraction
import Foundation
import SharedBrowserSupport

/// Reads the page for agents: its accessibility snapshot (with which elements are in the viewport)
/// and its HTML content (with which links are in the viewport).
enum PageReader {
    /// What one round trip tells about the page: its HTML, URL and the links in the viewport.
    struct Reading: Decodable, Sendable {
        var html: String
        var url: String
        /// `[href, text]` of the links in the viewport, in document order.
        var links: [[String]]
    }

    static let readScript = #"""
    (() => {
      const vw = innerWidth, vh = innerHeight, links = [];
      for (const a of document.querySelectorAll('a[href]')) {
        if (links.length >= 60) break;
        const r = a.getBoundingClientRect();
        if (r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < vh && r.left < vw) {
          const text = (a.textContent || a.getAttribute('aria-label') || a.title || '').replace(/\s+/g, ' ').trim();
          links.push([a.href, text.slice(0, 200)]);
        }
      }
      const root = document.documentElement;
      // The document's own URL: the extractor applies <base> itself.
      return { html: root ? root.outerHTML : '', url: location.href, links };
    })()
    """#

    /// The page's content, extracted from the HTML the browser serializes, and the links in view.
    static func content(_ tab: Tab, deadline: Deadline) async throws -> (PageContent, visibleLinks: [PageContent.Link]) {
        let reply = try await PageWorld.run(tab, deadline: deadline) { world in
            // Decoded straight into a Reading: no copy of the HTML through a generic JSON tree.
            try await tab.script(PageWorld.Evaluate<Reading>(expression: readScript, contextId: world),
                                    timeout: deadline.remaining)
        }
        if let details = reply.exceptionDetails {
            throw SessionError(.evaluationFailed, "reading the page failed: \(details.exception?.description ?? details.text)")
        }
        guard let reading = reply.result.value else { throw SessionError(.evaluationFailed, "reading the page returned nothing") }
        let content: PageContent
        do {
            content = try HTMLDocument.extract(html: reading.html, url: reading.url)
        } catch let error as ExtractionError {
            throw SessionError(.notApplicable, "the page's content cannot be extracted: \(error)")
        }
        let visible = reading.links.compactMap { pair -> PageContent.Link? in
            guard let url = pair.first else { return nil }
            return PageContent.Link(url: url, text: pair.count > 1 ? pair[1] : "", rel: nil)
        }
        return (content, visible)
    }

    /// The page's form controls, in document order (outside shadow trees, as the document's HTML
    /// has them), to point form fields at their snapshot refs.
    struct Layout: Sendable {
        struct Control: Sendable, Hashable {
            /// The element's id in the session's isolated world (what snapshot refs point to).
            var elementId: Int
            /// `input`, `select`, `textarea` or `button`.
            var tag: String
            var name: String?
        }
        var controls: [Control] = []
    }

    /// What the walk in the page returns (``SnapshotScript``).
    struct Walk: Decodable, Sendable {
        var nodes: String
        var controls: String
        var truncated: Bool
    }

    /// `Runtime.callFunctionOn` of the walker, decoding the reply straight into a ``Walk``.
    struct WalkCommand: CDPCommand {
        static let method = "Runtime.callFunctionOn"
        var functionDeclaration = SnapshotScript.walker
        var objectId: String?
        var executionContextId: Int?
        var arguments: [Runtime.CallArgument]
        var returnByValue = true
        var awaitPromise = true
        struct Response: Decodable, Sendable {
            struct Result: Decodable, Sendable { var value: Walk? }
            var result: Result
            var exceptionDetails: Runtime.ExceptionDetails?
        }
    }

    /// The most nodes a walk sends (a page larger than that is cut, and the snapshot says so).
    static let maxNodes = 200_000

    /// The accessibility snapshot of the tab (or of `root`'s subtree), with refs that stay stable
    /// within the document, and — when `visibility` — which elements lie in the viewport and the
    /// page's form controls.
    static func snapshot(_ tab: Tab, options: AccessibilitySnapshot.Options, root: ElementTarget?, visibility: Bool,
                         deadline: Deadline) async throws -> (AccessibilitySnapshot, Layout?) {
        let token = Int.random(in: 1...Int(Int32.max))
        let arguments = try JSONValue(encoding: WalkOptions(visibility: visibility, controls: visibility,
                                                            interactiveOnly: options.interactiveOnly, maxNodes: maxNodes,
                                                            token: token))
        let generation = tab.state.withLock { $0.generation }
        let walk: Walk = try await PageWorld.run(tab, deadline: deadline) { world in
            var command = WalkCommand(arguments: [Runtime.CallArgument(value: arguments)])
            if let root {
                _ = try await Elements.locate(tab, root, action: "attached", deadline: deadline)
                guard let objectId = try await Elements.object(of: root, in: tab, world: world, deadline: deadline) else {
                    throw SessionError(.staleReference, "\(root) is no longer in the page", selector: root.description)
                }
                command.objectId = objectId
            } else {
                command.executionContextId = world
            }
            let reply: WalkCommand.Response
            do {
                reply = try await tab.script(command, timeout: deadline.remaining)
            } catch let error as CDPError where error.code == .timeout {
                // Given up: the walk stops at its next pause instead of running on in the page.
                _ = try? await CDPDeadline.$current.withValue(nil) {
                    try await tab.page.send(Runtime.Evaluate(
                        expression: "globalThis.__sharedBrowser && (globalThis.__sharedBrowser.stop = \(token))",
                        contextId: world), timeout: .seconds(1))
                }
                throw error
            }
            if let details = reply.exceptionDetails {
                throw PageWorld.failure(details, "reading the page's accessibility tree failed")
            }
            guard let walk = reply.result.value else { throw SessionError(.evaluationFailed, "reading the page's accessibility tree returned nothing") }
            return walk
        }
        var nodes = Self.nodes(walk.nodes, visibility: visibility)
        if root != nil, nodes.count <= 1 {
            throw SessionError(.notApplicable, "\(root?.description ?? "the root") is not in the accessibility tree (hidden or ignored)",
                               selector: root?.description)
        }
        if walk.truncated, !nodes.isEmpty {
            nodes[0].childIds.append("truncated")
            nodes.append(AXNodeInput(id: "truncated", role: "StaticText",
                                     name: "(the page has more than \(maxNodes) nodes; the rest is left out: take snapshot(root:) of one region)"))
        }
        let previous = tab.state.withLock { s in s.refsGeneration == generation ? s.refs : [:] }
        // New elements are numbered from the session's next number, so no two elements anywhere in the
        // session share a ref. Built outside the lock (a large page takes a while) and taken only if
        // no other snapshot took numbers meanwhile; else built again from the new next number.
        var first = tab.nextRef.withLock { $0 }
        var snapshot: AccessibilitySnapshot
        while true {
            snapshot = AccessibilitySnapshot(nodes: nodes, generation: generation, options: options, previousRefs: previous, firstRef: first)
            let built = snapshot
            let moved: Int? = tab.nextRef.withLock { next in
                guard next == first else { return next }
                next = max(next, built.nextRef)
                return nil
            }
            guard let moved else { break }
            first = moved
        }
        tab.state.withLock { s in
            // Refs accumulate within a document: one an agent saw earlier still resolves.
            if s.refsGeneration != generation {
                s.refs = [:]
                s.refsFirst = first
            }
            s.refs.merge(snapshot.refs) { _, new in new }
            s.refsGeneration = generation
        }
        return (snapshot, visibility ? Layout(controls: controls(walk.controls)) : nil)
    }

    struct WalkOptions: Encodable {
        var visibility: Bool
        var controls: Bool
        var interactiveOnly: Bool
        var maxNodes: Int
        /// Names the walk, so a reader that gives up can stop it (`__sharedBrowser.stop = token`).
        var token: Int
    }

    /// The walk's lines (`depth TAB role TAB name TAB value TAB state TAB id TAB inView`) as a tree.
    static func nodes(_ text: String, visibility: Bool) -> [AXNodeInput] {
        var nodes: [AXNodeInput] = []
        // The node open at each depth, by index.
        var open: [Int] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7, let depth = Int(fields[0]) else { continue }
            var properties: [String: String] = [:]
            for pair in fields[4].split(separator: ",") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                properties[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            let id = Int(fields[5]) ?? 0
            let index = nodes.count
            var node = AXNodeInput(id: String(index), role: String(fields[1]), name: String(fields[2]),
                                   value: fields[3].isEmpty ? nil : String(fields[3]),
                                   backendNodeId: id == 0 ? nil : id, properties: properties)
            if visibility { node.visible = fields[6] == "1" }
            nodes.append(node)
            while open.count > depth { open.removeLast() }
            if let parent = open.last { nodes[parent].childIds.append(node.id) }
            open.append(index)
        }
        return nodes
    }

    static func controls(_ text: String) -> [Layout.Control] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let id = Int(fields[0]) else { return nil }
            return Layout.Control(elementId: id, tag: String(fields[1]), name: fields[2].isEmpty ? nil : String(fields[2]))
        }
    }

    /// The snapshot refs of the form fields of `content`, by ``PageContent/Field/domIndex``: a field
    /// gets the ref of the very DOM node it was read from (same position among the controls, same
    /// tag and name), never one found by its label.
    static func fieldRefs(_ content: PageContent, layout: Layout, snapshot: AccessibilitySnapshot) -> [Int: String] {
        var refOfElement: [Int: String] = [:]
        for (ref, element) in snapshot.refs { refOfElement[element] = ref }
        var refs: [Int: String] = [:]
        for form in content.forms {
            for field in form.fields {
                guard let index = field.domIndex, index < layout.controls.count else { continue }
                let control = layout.controls[index]
                guard control.tag == field.element, (control.name ?? "") == (field.name ?? ""),
                      let ref = refOfElement[control.elementId] else { continue }
                refs[index] = ref
            }
        }
        return refs
    }
}

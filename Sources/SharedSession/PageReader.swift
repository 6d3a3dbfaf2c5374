import CDPTransport
import ContentExtraction
import Foundation
import WebSockets

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

    /// `Runtime.evaluate` of ``readScript``, decoding the reply straight into a ``Reading`` (no copy
    /// of the HTML through a generic JSON tree).
    struct ReadCommand: CDPCommand {
        static let method = "Runtime.evaluate"
        var expression = PageReader.readScript
        var returnByValue = true
        struct Response: Decodable, Sendable {
            struct Result: Decodable, Sendable { var value: Reading? }
            var result: Result
            var exceptionDetails: Runtime.ExceptionDetails?
        }
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
    static func content(_ tab: Tab, deadline: ContinuousClock.Instant) async throws -> (PageContent, visibleLinks: [PageContent.Link]) {
        let reply = try await tab.page.send(ReadCommand(), timeout: Navigation.remaining(deadline))
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

    /// What the layout of the page tells: which nodes meet the viewport, and the form controls of
    /// the main document in document order (to point form fields at their snapshot refs).
    struct Layout: Sendable {
        struct Control: Sendable, Hashable {
            var backendNodeId: Int
            /// `input`, `select`, `textarea` or `button`.
            var tag: String
            var name: String?
        }
        var visible: Set<Int> = []
        var controls: [Control] = []
    }

    /// Values that must never be shown: those of one-time-code and password fields. The snapshot
    /// shows a field with one of these values as `[value=•••]`.
    static let secretsScript = #"""
    (() => {
      const out = [];
      for (const el of document.querySelectorAll('input')) {
        const ac = (el.getAttribute('autocomplete') || '').toLowerCase().split(/\s+/);
        if ((el.type === 'password' || ac.includes('one-time-code')) && el.value) out.push(el.value);
        if (out.length >= 100) break;
      }
      return out;
    })()
    """#

    /// The accessibility snapshot of the tab (or of `root`'s subtree), with refs that stay stable
    /// within the document, and — when `visibility` — which elements lie in the viewport and the
    /// page's form controls.
    static func snapshot(_ tab: Tab, options: AccessibilitySnapshot.Options, root: ElementTarget?, visibility: Bool,
                         deadline: ContinuousClock.Instant) async throws -> (AccessibilitySnapshot, Layout?) {
        if !tab.state.withLock({ $0.domEnabled }) {
            try await tab.page.send(DOM.Enable(), timeout: Navigation.remaining(deadline))
            tab.state.withLock { $0.domEnabled = true }
        }
        let generation = tab.state.withLock { $0.generation }
        var rootBackend: Int?
        if let root {
            _ = try await Elements.locate(tab, root, action: "attached", deadline: deadline)
            let objectId: String?
            if root.kind == .ref {
                objectId = try await Elements.resolve(ref: root.value, in: tab)
            } else {
                let request = PageScripts.Request(kind: root.kind.rawValue, value: root.value, action: "element", timeoutMs: 0)
                objectId = try await tab.page.send(Runtime.Evaluate(expression: PageScripts.locate(request), awaitPromise: true),
                                                   timeout: Navigation.remaining(deadline)).result.objectId
            }
            guard let objectId else {
                throw SessionError(.staleReference, "\(root) is no longer in the page", selector: root.description)
            }
            rootBackend = try await tab.page.send(DOM.DescribeNode(objectId: objectId), timeout: Navigation.remaining(deadline)).node.backendNodeId
        }
        async let layoutReading = visibility ? try? layout(tab, deadline: deadline) : nil
        async let secretsReading = try? tab.page.send(Runtime.Evaluate(expression: secretsScript, returnByValue: true),
                                                      timeout: Navigation.remaining(deadline))
        let tree = try await tab.page.send(Accessibility.GetFullAXTree(), timeout: Navigation.remaining(deadline))
        let layout = await layoutReading
        let secrets = Set((await secretsReading)?.result.value?.arrayValue?.compactMap(\.stringValue) ?? [])
        var nodes = tree.nodes.map(SharedBrowserSession.snapshotNode)
        for i in nodes.indices {
            if let layout, let backend = nodes[i].backendNodeId { nodes[i].visible = layout.visible.contains(backend) }
            if let value = nodes[i].value, secrets.contains(value) {
                // The value, and the field's inner text that repeats it.
                nodes[i].value = AccessibilitySnapshot.hiddenValue
                nodes[i].childIds = []
            }
        }
        let rootId = rootBackend.flatMap { backend in tree.nodes.first { $0.backendDOMNodeId == backend }?.nodeId }
        if rootBackend != nil, rootId == nil {
            throw SessionError(.notApplicable, "\(root?.description ?? "the root") is not in the accessibility tree (hidden or ignored)",
                               selector: root?.description)
        }
        let previous = tab.state.withLock { s in s.refsGeneration == generation ? s.refs : [:] }
        let snapshot = AccessibilitySnapshot(nodes: nodes, rootId: rootId, generation: generation, options: options,
                                             previousRefs: previous)
        tab.state.withLock { s in
            // Refs accumulate within a document: one an agent saw earlier still resolves.
            if s.refsGeneration != generation { s.refs = [:] }
            s.refs.merge(snapshot.refs) { _, new in new }
            s.refsGeneration = generation
        }
        return (snapshot, layout)
    }

    /// Only the parts of `DOMSnapshot.captureSnapshot` needed to tell what is in the viewport and
    /// which nodes are form controls.
    struct LayoutProbe: CDPCommand {
        static let method = "DOMSnapshot.captureSnapshot"
        var computedStyles: [String] = []
        struct Response: Decodable, Sendable {
            struct RareStrings: Decodable, Sendable { var index: [Int] }
            struct Document: Decodable, Sendable {
                struct Nodes: Decodable, Sendable {
                    var backendNodeId: [Int]?
                    var parentIndex: [Int]?
                    var nodeName: [Int]?
                    var attributes: [[Int]]?
                    var shadowRootType: RareStrings?
                }
                struct Layout: Decodable, Sendable {
                    var nodeIndex: [Int]
                    var bounds: [[Double]]
                }
                var nodes: Nodes
                var layout: Layout
            }
            var documents: [Document]
            var strings: [String]
        }
    }

    /// The backend ids of the main document's nodes whose layout box meets the viewport, and its
    /// form controls (outside shadow trees, as the document's HTML has them) in document order.
    static func layout(_ tab: Tab, deadline: ContinuousClock.Instant) async throws -> Layout {
        async let metrics = tab.page.send(Page.GetLayoutMetrics(), timeout: Navigation.remaining(deadline))
        let probe = try await tab.page.send(LayoutProbe(), timeout: Navigation.remaining(deadline))
        let viewport = try await metrics.cssLayoutViewport
        guard let document = probe.documents.first, let backendIds = document.nodes.backendNodeId else { return Layout() }
        var result = Layout()
        let left = Double(viewport.pageX), top = Double(viewport.pageY)
        let right = left + Double(viewport.clientWidth), bottom = top + Double(viewport.clientHeight)
        for (index, node) in document.layout.nodeIndex.enumerated() where index < document.layout.bounds.count {
            let box = document.layout.bounds[index]
            guard box.count == 4, node < backendIds.count, box[2] > 0, box[3] > 0 else { continue }
            if box[0] < right, box[0] + box[2] > left, box[1] < bottom, box[1] + box[3] > top { result.visible.insert(backendIds[node]) }
        }
        result.controls = controls(document.nodes, strings: probe.strings)
        return result
    }

    /// The form controls among `nodes` in document order, leaving out shadow trees.
    static func controls(_ nodes: LayoutProbe.Response.Document.Nodes, strings: [String]) -> [Layout.Control] {
        guard let names = nodes.nodeName, let backendIds = nodes.backendNodeId else { return [] }
        let parents = nodes.parentIndex ?? []
        let attributes = nodes.attributes ?? []
        var inShadow = [Bool](repeating: false, count: names.count)
        for root in nodes.shadowRootType?.index ?? [] where root < inShadow.count { inShadow[root] = true }
        let tags: [String: String] = ["INPUT": "input", "SELECT": "select", "TEXTAREA": "textarea", "BUTTON": "button"]
        var controls: [Layout.Control] = []
        for index in names.indices {
            // Parents come before their children: a node is in a shadow tree when its parent is.
            if index < parents.count, parents[index] >= 0, parents[index] < index, inShadow[parents[index]] { inShadow[index] = true }
            guard !inShadow[index], names[index] >= 0, names[index] < strings.count, let tag = tags[strings[names[index]]],
                  index < backendIds.count else { continue }
            var name: String?
            if index < attributes.count {
                let pairs = attributes[index]
                var i = 0
                while i + 1 < pairs.count {
                    if pairs[i] >= 0, pairs[i] < strings.count, strings[pairs[i]] == "name", pairs[i + 1] < strings.count {
                        name = strings[pairs[i + 1]]
                        break
                    }
                    i += 2
                }
            }
            controls.append(.init(backendNodeId: backendIds[index], tag: tag, name: name))
        }
        return controls
    }

    /// The snapshot refs of the form fields of `content`, by ``PageContent/Field/domIndex``: a field
    /// gets the ref of the very DOM node it was read from (same position among the controls, same
    /// tag and name), never one found by its label.
    static func fieldRefs(_ content: PageContent, layout: Layout, snapshot: AccessibilitySnapshot) -> [Int: String] {
        var refOfBackend: [Int: String] = [:]
        for (ref, backend) in snapshot.refs { refOfBackend[backend] = ref }
        var refs: [Int: String] = [:]
        for form in content.forms {
            for field in form.fields {
                guard let index = field.domIndex, index < layout.controls.count else { continue }
                let control = layout.controls[index]
                guard control.tag == field.element, (control.name ?? "") == (field.name ?? ""),
                      let ref = refOfBackend[control.backendNodeId] else { continue }
                refs[index] = ref
            }
        }
        return refs
    }
}

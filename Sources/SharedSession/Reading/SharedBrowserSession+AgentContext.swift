public import ContentExtraction
public import Coordination
import Foundation
import SharedBrowserSupport

/// A function an agent framework calls before each model call: it returns the current
/// ``AgentContext`` text for the system prompt.
///
/// ```swift
/// let context = session.contextHook(budget: 4000, for: agent)
/// for turn in conversation {
///     let prompt = basePrompt + "\n\n" + (await context())
///     ...
/// }
/// ```
public struct AgentContextHook: Sendable {
    let session: SharedBrowserSession
    let budget: Int
    let participant: Participant?

    /// The context as it is now.
    public func callAsFunction() async -> String {
        await session.agentContext(budget: budget, for: participant).text
    }

    /// The context with its sections and sizes.
    public func context() async -> AgentContext {
        await session.agentContext(budget: budget, for: participant)
    }
}

extension SharedBrowserSession {
    // MARK: Reading the page for agents

    /// What an agent should know about the browser, composed to `budget` tokens for a system prompt:
    /// the URL, title and status; the last errors; every form; the interactive elements (those in
    /// view first) with their refs; an outline of the page's text; and its main links.
    ///
    /// Reading does not need control and does not appear in the event log, so any participant can
    /// call it before each model call. Parts that cannot be read (a dialog blocks the page, the
    /// browser is gone) are named in the browser section; the call itself never fails.
    ///
    /// - Parameters:
    ///   - budget: the most tokens the text may have, as `composer`'s counter counts them.
    ///   - participant: when given, the context says whether it holds control, and who does.
    ///   - composer: section budgets and token counter; ``ContextComposer`` defaults otherwise.
    public func agentContext(budget: Int = 4000, for participant: Participant? = nil,
                             composer: ContextComposer = ContextComposer()) async -> AgentContext {
        var composer = composer
        composer.budgets.total = budget
        let input = await contextInput(for: participant, interactiveOnly: false)
        return composer.compose(input)
    }

    /// A hook returning ``agentContext(budget:for:composer:)``'s text, for a framework to call before
    /// each model call.
    public nonisolated func contextHook(budget: Int = 4000, for participant: Participant? = nil) -> AgentContextHook {
        AgentContextHook(session: self, budget: budget, participant: participant)
    }

    /// The browser as an agent sees it now: URL, title, status, a page summary, the interactive
    /// elements in view with refs, recent errors and pending requests. Never fails; what could not
    /// be read is in ``AgentBrowserState/notes``.
    public func browserStateForAgent(for participant: Participant? = nil) async -> AgentBrowserState {
        let input = await contextInput(for: participant, interactiveOnly: true)
        let state = input.state
        let summary = input.content.map { PageSummary(content: $0, url: state.url, visibleLinks: input.visibleLinks) }
        let visible = (input.snapshot?.lines ?? []).filter { $0.isInteractive && $0.visible != false }
        return AgentBrowserState(
            url: state.url, title: state.title, loading: state.loading, canGoBack: state.canGoBack,
            canGoForward: state.canGoForward, dialog: state.openDialog, summary: summary,
            visibleElements: Array(visible.prefix(60)), errors: input.errors.map { ContextComposer.clip($0.summary, 300) },
            pendingRequests: input.pendingRequests, notes: input.notes)
    }

    /// Everything extracted from the active tab's HTML (``ActionResult/content``): links, forms,
    /// headings, images, meta and main text. Does not need control.
    public func pageContent(as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.pageContent, source: EventCause(participant)), options: options)
    }

    func executePageContent(_ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: nil, options: options) { _, tab, deadline in
            .content(try await PageReader.content(tab, deadline: deadline).0)
        }
    }

    /// The page's main text, page by page (`page` counts from 1), each page at most `tokensPerPage`
    /// tokens; ``ActionResult/value`` is the text with a first line saying which part it is and how
    /// many there are. A page past the end fails with ``SessionError/Code/notApplicable``. Does not
    /// need control.
    public func pageText(page: Int = 1, tokensPerPage: Int = 2000, as participant: Participant,
                         options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.pageText, ActionParams(page: page, tokens: tokensPerPage), source: EventCause(participant)), options: options)
    }

    func executePageText(page: Int = 1, tokensPerPage: Int = 2000, _ action: BrowserAction,
                         options: ActionOptions) async -> ActionResult {
        await perform(action, target: "page \(page)", options: options) { _, tab, deadline in
            let content = try await PageReader.content(tab, deadline: deadline).0
            let pages = ContextComposer.pages(of: content.mainText, tokensPerPage: max(50, tokensPerPage),
                                              counter: EstimatedTokenCounter())
            guard page >= 1, page <= max(1, pages.count) else {
                throw SessionError(.notApplicable, "the page text has \(pages.count) parts; there is no part \(page)")
            }
            let body = pages.isEmpty ? "(the page has no text)" : pages[page - 1]
            let next = page < pages.count ? "\n(next: pageText(page: \(page + 1)))" : ""
            return .value(.string("Page text, part \(page) of \(max(1, pages.count)):\n" + body + next))
        }
    }

    /// What ``agentContext(budget:for:composer:)`` composes from, read from the active tab: the state,
    /// the latest errors, the page's content and visible links, the snapshot with visibility, pending
    /// requests, and notes on what could not be read. For frameworks that compose their own view.
    ///
    /// Reads run beside actions: no queue, no control, no events.
    public func contextInput(for participant: Participant? = nil, interactiveOnly: Bool = false) async -> ContextComposer.Input {
        await recovered()
        // The participant's own tab when it has one, else the active one.
        let tab = participant.map { actingTab(named: nil, for: $0) } ?? active
        var state = sink.state
        if tab !== active {
            // The state's page is the active tab's; this participant's page is its own tab's.
            state.activeTab = tab.targetId
            state.url = tab.url
            state.title = tab.title
            state.openDialog = tab.dialog
            state.loading = false
            state.canGoBack = false
            state.canGoForward = false
        }
        var notes: [String] = []
        if let notice = contextNotice(for: participant) { notes.append(notice) }
        if let brief = takeBriefForContext(participant) { notes.append(brief) }
        notes += takeMessagesForContext(participant)
        if let participant, options.coordination {
            let holder = await coordinator.holder(of: tab.targetId)
            let whole = await coordinator.holder != nil
            let lane = whole ? "" : " of this tab (\(tab.targetId))"
            if holder == participant {
                notes.append("Control: you (\(participant.id)) hold control\(lane).")
            } else if let holder {
                notes.append("Control: \(holder.kind.rawValue) \(holder.id) holds control\(lane); wait for your turn before acting"
                             + (whole ? "." : ", or open a tab of your own."))
            } else {
                notes.append("Control: nobody holds control\(lane); your first action takes it.")
            }
        }
        let pending = tab.state.withLock { s in s.requests.values.filter { !$0.answered }.map { "\($0.method) \(Redaction.url($0.url))" } }.sorted()
        var input = ContextComposer.Input(state: state, errors: sink.recentErrors, pendingRequests: pending, notes: notes)
        input.participant = participant.map(EventCause.init)
        input.pageStartSequence = sink.pageStart(of: tab.targetId)
        if let closed = browser.connection.closedError {
            input.notes.append("The browser is gone (\(closed.message)); nothing can be read or done.")
            return input
        }
        if tab.dialog != nil {
            input.notes.append("The page cannot be read while its dialog is open.")
            return input
        }
        let deadline = tab.clock.deadline(in: .seconds(10))
        // Every command of the reads ends by the deadline (`DOM.enable` too).
        let (reading, snapshot) = await deadline.bounding {
            async let reading = Result.of { try await PageReader.content(tab, deadline: deadline) }
            async let snapshot = Result.of { try await PageReader.snapshot(tab, options: .init(interactiveOnly: interactiveOnly), root: nil,
                                                                           visibility: true, deadline: deadline) }
            return await (reading, snapshot)
        }
        do {
            let (content, visible) = try reading.get()
            input.content = content
            input.visibleLinks = visible
        } catch {
            input.notes.append("The page's content could not be read: \(SessionError.from(error, selector: nil).message)")
        }
        do {
            let (tree, layout) = try snapshot.get()
            input.snapshot = tree
            if let content = input.content, let layout {
                input.fieldRefs = PageReader.fieldRefs(content, layout: layout, snapshot: tree)
            }
        } catch {
            input.notes.append("The accessibility tree could not be read: \(SessionError.from(error, selector: nil).message)")
        }
        return input
    }

    /// The page after a navigation or click, for ``ActionResult/page``; nil when it cannot be read.
    static func summary(_ tab: Tab, _ options: ActionOptions, deadline: Deadline) async -> Outcome {
        guard options.pageSummary, tab.dialog == nil else { return .page(nil) }
        let soon = deadline.within(.seconds(5))
        guard let (content, visible) = try? await PageReader.content(tab, deadline: soon) else { return .page(nil) }
        return .page(PageSummary(content: content, url: tab.url, visibleLinks: visible))
    }
}

extension ContextComposer {
    /// `text` in pages of at most `tokensPerPage` tokens, cut between blocks (lines) where it can,
    /// else between words.
    public static func pages(of text: String, tokensPerPage: Int, counter: any TokenCounter = EstimatedTokenCounter()) -> [String] {
        var pages: [String] = []
        var current: [Substring] = []
        var used = 0
        func flush() {
            if !current.isEmpty { pages.append(current.joined(separator: "\n")) }
            current = []
            used = 0
        }
        for block in text.split(separator: "\n") {
            let cost = counter.count(String(block)) + 1
            if cost > tokensPerPage {
                // A block larger than a page: cut it between words.
                flush()
                var piece: [Substring] = []
                var pieceCost = 0
                for word in block.split(separator: " ") {
                    let wordCost = counter.count(String(word)) + 1
                    if pieceCost + wordCost > tokensPerPage, !piece.isEmpty {
                        pages.append(piece.joined(separator: " "))
                        piece = []
                        pieceCost = 0
                    }
                    piece.append(word)
                    pieceCost += wordCost
                }
                if !piece.isEmpty {
                    current = [Substring(piece.joined(separator: " "))]
                    used = pieceCost
                }
                continue
            }
            if used + cost > tokensPerPage { flush() }
            current.append(block)
            used += cost
        }
        flush()
        return pages
    }
}

extension Result where Failure == any Error {
    /// The value or the error of an async throwing body.
    static func of(_ body: () async throws -> Success) async -> Result {
        do { return .success(try await body()) } catch { return .failure(error) }
    }
}

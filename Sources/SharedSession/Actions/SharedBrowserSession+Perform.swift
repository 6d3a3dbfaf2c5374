import CDPTransport
import Coordination
import EventBuffer
import ContentExtraction
import Foundation
import Logging
import SharedBrowserSupport

extension SharedBrowserSession {
    // MARK: Running actions

    enum Outcome: Sendable {
        case none
        case value(JSONValue)
        case evaluated(JSONValue, notes: [String])
        case data(Data)
        case snapshot(AccessibilitySnapshot)
        case page(PageSummary?)
        case content(PageContent)
    }

    /// Validates a URL before anything is sent.
    nonisolated func validate(_ url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), !scheme.isEmpty else {
            throw SessionError(.invalidURL, "\"\(url)\" is not a URL (expected for example https://example.com/)", url: url)
        }
        guard options.allowedURLSchemes.contains(scheme) else {
            throw SessionError(.urlNotAllowed, "\(scheme): URLs are not allowed in this session (allowed: \(options.allowedURLSchemes.sorted().joined(separator: ", ")))", url: url)
        }
        if scheme == "http" || scheme == "https", (components.host ?? "").isEmpty {
            throw SessionError(.invalidURL, "\"\(url)\" has no host", url: url)
        }
    }

    /// The one path every action takes: queue, control check, attribution, the dialog race, the
    /// events it caused, and the result. What it may do comes from the kind's declaration
    /// (``ActionPolicy``), never from the caller.
    ///
    /// Actions on a page queue in that tab's queue (a tab that hangs delays no other tab); page-less
    /// actions in the browser's. Reads (not ``ActionPolicy/queued``: snapshot, content, screenshot)
    /// queue nowhere: they run beside the actions and never hold them up.
    func perform(
        _ action: BrowserAction, target: String?, options actionOptions: ActionOptions,
        _ body: @escaping @Sendable (SharedBrowserSession, Tab, Deadline) async throws -> Outcome
    ) async -> ActionResult {
        let policy = action.type.declaration?.policy ?? ActionPolicy()
        let participant = Participant(action.source)
        let name = action.type.rawValue
        let needsPage = policy.needsPage, allowWithDialog = policy.runsWithDialogOpen
        let feedback = policy.reportsPageFeedback
        let started = clock.elapsed
        let coordinated = options.coordination && policy.needsControl && participant.kind != .system
        // The tab it acts in: the one it names, else its own, else the active one.
        let namedTab = needsPage ? action.params.tab : nil
        let lane = controlLane(of: action, needsPage: needsPage, participant: participant)
        // Waiting for a turn happens before the queue: a participant waiting for control holds up
        // nobody (the holder's actions, a person's input, go on meanwhile).
        var controlRefusal: (any Error)?
        if coordinated, case .lane(let tab) = lane, let wait = actionOptions.waitForControl, await coordinator.holder(of: tab) != participant {
            do { try await coordinator.requestControl(for: participant, tab: tab, timeout: wait) } catch { controlRefusal = error }
        }
        let (tab, queue, tabGone) = await queueUp(needsPage: needsPage, queued: policy.queued,
                                                  tab: needsPage ? namedTab ?? ownTab(of: participant) : nil)
        defer { queue?.release() }
        let capture = events.subscribe(bufferSize: 8192)
        // What is recorded and reported never carries a secret from a URL.
        let target = target.map(Redaction.url)
        let urlBefore = tab.url
        let cause = EventCause(participant)
        var outcome: Outcome = .none
        var failure: SessionError?
        var dialog: DialogInfo?
        var before: PageFeedback.Reading?
        var pageFeedback: PageFeedback?
        // The title as the page says it after the action, when read.
        var titleAfter: String?
        var generationBefore = 0
        var typedTextIsSafe = false
        var startedSequence: UInt64?
        var pictureTaken = false
        let pictured = recorder?.pictures(action) ?? false
        let notes = ActionNotes(queue: queue)
        do {
            if closing { throw SessionError(.connectionClosed, "the session is closed") }
            if needsPage, tabGone { throw SessionError(.noSuchTab, "every tab is closed: open one with openTab") }
            if let namedTab, namedTab != tab.targetId {
                throw SessionError(.noSuchTab, "no tab \(namedTab); open tabs: \(tabIDs.joined(separator: ", "))")
            }
            if let controlRefusal { throw controlRefusal }
            // An agent acting in a lane no one holds takes it (an implicit turn: a lone agent never
            // asks); a person takes over explicitly. An action in a tab needs that tab's control only.
            if coordinated {
                switch lane {
                case .lane(let laneTab):
                    try await coordinator.checkControl(participant, tab: needsPage ? tab.targetId : laneTab,
                                                       implicitly: participant.kind == .agent)
                case .noneButTheWholeBrowser:
                    if let holder = await coordinator.holder, holder != participant {
                        throw CoordinationError(.notInControl, heldBy: holder,
                                                "\(participant) is not in control; \(holder) holds control of the whole browser")
                    }
                }
            }
            if needsPage, !allowWithDialog, let open = tab.dialog {
                throw SessionError(.dialogOpen, "a \(open.type) dialog is open in the tab (\"\(open.message)\"); handle it first")
            }
            if feedback {
                generationBefore = tab.state.withLock { $0.generation }
                before = await PageFeedback.read(tab)
            }
            // One decision per action on what it types: made now, kept for every event of it.
            if action.type.carriesTypedText, needsPage {
                typedTextIsSafe = await !Elements.typingIsSecret(tab, target: action.params.target.map { ElementTarget($0) })
            }
            // The picture after the action before it comes first: it shows that action's effects alone.
            if pictured, let recording = options.recording { await recorder?.waitForPicture(on: tab, upTo: recording.pictureWait) }
            sink.setCause(cause, target: tab.targetId)
            let startEvent = sink.emit(.actionStarted, target: tab.targetId, payload: .action(ActionInfo(
                name: name, target: target, action: action.redacted(typedTextIsSafe: typedTextIsSafe))))
            if pictured { recorder?.actionStarted(startEvent.sequence, tab: tab) }
            startedSequence = startEvent.sequence
            // The action's time starts when it may run (not while it waited for its turn or its queue).
            let deadline = clock.deadline(in: actionOptions.timeout ?? options.actionTimeout)
            // A dialog answered at once does not interrupt the action; one left open does.
            let staysOpen = options.dialogPolicy.staysOpen(humanInControl: sink.humanHoldsControl(of: tab.targetId))
            // Every command the action sends, however deep, ends by the action's deadline.
            let result = try await ActionNotes.$current.withValue(notes) {
                try await Self.race(tab, dialogs: needsPage && !allowWithDialog && staysOpen, deadline: deadline) {
                    try await body(self, tab, deadline)
                }
            }
            // Its effects are done: the screen is captured beside the rest of it (its after-shot).
            if pictured, let startedSequence {
                recorder?.actionEnded(startedSequence, tab: tab)
                pictureTaken = true
            }
            switch result {
            case .finished(let value): outcome = value
            case .dialog(let info):
                dialog = info
                // Leaving the page waits for the person's answer: the navigation has not happened.
                if info.type == "beforeunload" {
                    throw SessionError(.dialogOpen, "the page asks before it is left (a beforeunload dialog); accept it with "
                                       + "handleDialog(accept: true) to leave, or dismiss it to stay")
                }
            }
            if feedback, dialog == nil {
                let newDocument = tab.state.withLock { $0.generation } != generationBefore
                let after = await PageFeedback.read(tab)
                titleAfter = after?.title
                pageFeedback = PageFeedback.difference(before: before, after: after, newDocument: newDocument)
            }
        } catch {
            if pictured, let startedSequence, !pictureTaken { recorder?.actionEnded(startedSequence, tab: tab) }
            // When the browser went away, say so, not what the interrupted wait happened to see.
            failure = SessionError.from(await failureCause(error), selector: target)
            // An action that ran out of time on a page whose main thread is stuck frees the page.
            if failure?.code == .timeout, needsPage { await tab.stopScriptIfBusy() }
        }
        if failure?.code != .notInControl { await flushEvents(tab) }
        // What was typed is shown only when, before the action started, it was going into a field that
        // is neither a password nor a one-time code (the same decision as its start event's).
        let recorded = action.redacted(typedTextIsSafe: typedTextIsSafe)
        let duration = clock.elapsed - started
        let ms = Navigation.milliseconds(duration)
        statisticsBox.withLock {
            $0.record(kind: action.type.rawValue, outcome: failure?.code.name ?? "ok",
                      seconds: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
        let noted = notes.values.withLock { $0 }
        sink.emit(failure == nil ? .actionFinished : .actionFailed, target: tab.targetId, payload: .action(ActionInfo(
            name: name, target: target, error: failure?.message, durationMilliseconds: ms, action: recorded,
            element: noted.spot.flatMap { $0.role == "page" ? nil : $0.words }, point: noted.point, box: noted.spot?.elementBox ?? noted.box)),
                  cause: cause)
        sink.resetCause(cause, target: tab.targetId)
        capture.cancel()
        var captured: [BrowserEvent] = []
        for await element in capture {
            // Another tab's events belong to the actions running there.
            if let event = element.event, !needsPage || event.target == nil || event.target == tab.targetId { captured.append(event) }
        }
        if dialog == nil, let opened = captured.first(where: { $0.kind == .dialogOpened }), case .dialog(let info) = opened.payload {
            dialog = info
        }
        // An opened tab's result tells of that tab.
        let now = noted.openedTab.flatMap { id in tabList.first { $0.targetId == id } } ?? (needsPage ? tab : active)
        var result = ActionResult(
            action: name, participant: participant, target: target, error: failure,
            navigatedTo: now.url != urlBefore ? now.url : nil, url: now.url, title: (now === tab ? titleAfter : nil) ?? now.title,
            tab: noted.openedTab ?? (needsPage ? tab.targetId : nil),
            duration: duration, events: captured, dialog: dialog, state: sink.state)
        if now === tab { result.urlBefore = urlBefore }
        if let notice = recoveryNotice, toldInResult.insert(participant).inserted { result.notices.append(notice) }
        if let notices = noticesForNextResult.removeValue(forKey: participant) { result.notices += notices }
        if let brief = takeBriefForResult(participant) { result.notices.append(brief) }
        result.notices += takeMessagesForResult(participant)
        if participant.kind == .human { recordPersonAction(recorded) }
        result.feedback = pageFeedback
        result.actionValue = recorded
        result.approval = noted.approval
        switch outcome {
        case .value(let value): result.value = value
        case .evaluated(let value, let notes):
            result.value = value
            result.valueNotes = notes
        case .data(let data): result.data = data
        case .snapshot(let snapshot):
            result.snapshot = snapshot
            result.value = .string(snapshot.text)
        case .page(let summary): result.page = summary
        case .content(let content): result.content = content
        case .none: break
        }
        return result
    }

    /// The lane whose control an action needs.
    enum ControlLaneOfAction {
        /// The tab's (nil: the whole browser's).
        case lane(String?)
        /// None of its own, but not while another holds the whole browser (opening a tab).
        case noneButTheWholeBrowser
    }

    /// An action on a page needs its tab's control; closing a tab, that tab's; opening one or
    /// switching the active one, none (but no one else may hold the whole browser); an action on the
    /// whole browser (cookies and storage), the whole browser's.
    func controlLane(of action: BrowserAction, needsPage: Bool, participant: Participant) -> ControlLaneOfAction {
        if needsPage { return .lane(action.params.tab ?? ownTab(of: participant) ?? active.targetId) }
        switch action.type {
        // Which tab is active (what people watch) takes no lane; closing one takes that tab's.
        case .openTab, .switchTab: return .noneButTheWholeBrowser
        case .closeTab: return .lane(action.params.tab ?? ownTab(of: participant) ?? active.targetId)
        default: return .lane(nil)
        }
    }

    /// Waits for a recovery under way, then for the queue of the action's tab (or the browser's);
    /// returns the tab and the queue held. The tab is `named` while it is open (else the active one:
    /// the caller tells a named tab that went away by its id).
    /// `tabGone`: every tab is closed, so there is no page to act on (an action that needs one fails).
    private func queueUp(needsPage: Bool, queued: Bool, tab named: String?) async -> (tab: Tab, queue: ActionQueue?, tabGone: Bool) {
        while true {
            await recovered()
            let tab = named.flatMap { id in tabList.first { $0.targetId == id } } ?? active
            let queue = queued ? (needsPage ? tab.queue : browserQueue) : nil
            await queue?.acquire()
            // A recovery while waiting replaced the tabs: queue again for the new one.
            if closing || tabList.contains(where: { $0 === tab }) { return (tab, queue, false) }
            if tabList.isEmpty { return (tab, queue, true) }
            queue?.release()
        }
    }

    enum Raced: Sendable {
        case finished(Outcome)
        case dialog(DialogInfo)
    }

    /// Runs `body` with every CDP command it sends bounded by the action's deadline, returning as soon
    /// as a dialog opens in the tab when `dialogs` (a dialog blocks the page, and with it whatever
    /// command caused it). The body's own waits end when the session's clock passes the deadline.
    static func race(_ tab: Tab, dialogs: Bool, deadline: Deadline, _ body: @escaping @Sendable () async throws -> Outcome) async throws -> Raced {
        guard dialogs else { return .finished(try await deadline.bounding(body)) }
        let opened = tab.page.events(Page.JavascriptDialogOpening.self, bufferingNewest: 4)
        return try await withThrowingTaskGroup(of: Raced?.self) { group in
            group.addTask { .finished(try await deadline.bounding(body)) }
            group.addTask {
                for await opening in opened { return .dialog(DialogInfo(type: opening.type.rawValue, message: opening.message)) }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let raced = next { return raced }
            }
            throw SessionError(.connectionClosed, "the tab went away during the action")
        }
    }

    /// Waits until every event the browser sent so far is published (tab and browser-wide).
    func flushEvents(_ tab: Tab) async {
        flushCounter += 1
        let id = flushCounter
        await tab.flush(id: id)
        flushCounter += 1
        let rootId = flushCounter
        let connection = browser.connection
        await browserFlush.wait(rootId) {
            connection.injectEvent(method: Tab.flushMethod, params: ["id": .number(Double(rootId))], sessionId: "")
        }
    }
}

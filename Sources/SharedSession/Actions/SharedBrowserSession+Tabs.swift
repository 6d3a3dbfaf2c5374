public import CDPTransport
public import Coordination
import EventBuffer
import ContentExtraction
public import Foundation
import Logging
import SharedBrowserSupport

extension SharedBrowserSession {
    // MARK: Tabs

    /// The open tabs, in the order they were opened, each with who may act in it (its lane's holder),
    /// whose own tab it is and what for.
    public func tabs() async -> [TabInfo] {
        let lanes = await coordinator.lanes
        let whole = lanes.first?.holder
        let owners = Dictionary(ownTabs.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        return tabList.map { tab in
            TabInfo(id: tab.targetId, url: tab.url, title: tab.title, isActive: tab === active,
                    holder: whole ?? lanes.first { $0.tab == tab.targetId }?.holder,
                    owner: owners[tab.targetId], purpose: tabPurposes[tab.targetId])
        }
    }

    /// Where an action of `participant` naming `named` acts: that tab while open, else the
    /// participant's own tab, else the active one.
    func actingTab(named: String?, for participant: Participant) -> Tab {
        let id = named ?? ownTab(of: participant)
        return id.flatMap { id in tabList.first { $0.targetId == id } } ?? active
    }

    /// A small picture of each open tab (at most `maxWidth` pixels wide, JPEG), for people choosing
    /// which tab to watch: by tab id; a tab that does not answer within 2 s is left out. Taken beside
    /// the actions (no queue, no control, no events).
    ///
    /// The active tab is left out unless `includingActive`: a scaled capture of the tab the screencast
    /// shows gives the screencast frames of that scale meanwhile (use its frames instead).
    public func tabThumbnails(maxWidth: Int = 240, quality: Int = 50, includingActive: Bool = false) async -> [String: Data] {
        let tabs = tabList.filter { includingActive || $0 !== active }
        return await withTaskGroup(of: (String, Data?).self) { group in
            for tab in tabs {
                group.addTask { (tab.targetId, await tab.picture(maxWidth: Double(max(16, maxWidth)), quality: quality)?.jpeg) }
            }
            var pictures: [String: Data] = [:]
            for await (id, jpeg) in group { pictures[id] = jpeg }
            return pictures
        }
    }

    /// The ids of the open tabs, in order.
    var tabIDs: [String] { tabList.map(\.targetId) }

    /// The tab `participant`'s actions go to when they name none: its own tab while open, else nil
    /// (the active one).
    public func ownTab(of participant: Participant) -> String? {
        ownTabs[participant].flatMap { id in tabList.contains { $0.targetId == id } ? id : nil }
    }

    /// The active tab.
    public var activeTab: TabInfo {
        TabInfo(id: active.targetId, url: active.url, title: active.title, isActive: true)
    }

    /// The CDP session of the active tab, for what watches the page beside the session's own work (the
    /// live view's screencast). It changes when another tab becomes active (`tabActivated`) and after a
    /// relaunch or reconnect (`browserRestarted`, `reconnected`); what the caller enables on it is its own.
    public var activePageSession: CDPSession { active.page }

    /// The active tab.
    var activeTabObject: Tab { active }

    /// Opens a tab, makes it the active one, and navigates it to `url` when given.
    public func openTab(url: String? = nil, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.openTab, ActionParams(url: url), source: EventCause(participant)), options: options)
    }

    /// Opens a tab of `participant`'s own in the same browser (same cookies and storage, so the same
    /// sign-in): a lane where it acts beside others acting in theirs.
    ///
    /// The tab opens behind the active one (what people watch does not change) and runs at full speed
    /// there. `participant` holds it at once (an implicit turn, renewed by its actions; a person can
    /// still take it over), and its later actions that name no tab go there. ``ActionResult/tab`` is
    /// the new tab's id; ``tabs()`` lists it with its owner and `purpose`.
    /// - Parameters:
    ///   - participant: whose tab it is.
    ///   - url: where to go in it, when given.
    ///   - purpose: what it is for, shown to people beside the tab ("invoices").
    ///   - options: the action's timeout and the like.
    public func openTab(for participant: Participant, url: String? = nil, purpose: String? = nil,
                        options: ActionOptions = .init()) async -> ActionResult {
        var params = ActionParams(url: url)
        params.own = true
        params.purpose = purpose
        return await run(BrowserAction(.openTab, params, source: EventCause(participant)), options: options)
    }

    func executeOpenTab(url: String? = nil, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        let own = action.params.own == true
        let participant = Participant(action.source)
        return await perform(action, target: url, options: options) { session, _, deadline in
            // A URL the session refuses opens nothing.
            if let url { try session.validate(url) }
            if url != nil { try await session.reach(action, await session.active, deadline: deadline) }
            // An own tab opens in a window of its own: shown, so it paints and runs at full speed
            // (a tab behind another is hidden: no animation frames) while the active tab stays in front.
            let created = try await session.browser.session.send(Target.CreateTarget(url: "about:blank", newWindow: own ? true : nil))
            let tab = try await Self.openTab(targetId: created.targetId, browser: session.browser, sink: session.sink, options: session.options)
            await session.coordinator.tabOpened(tab.targetId)
            if own {
                // The caller's lane: held by it, where its actions naming no tab go; what people watch stays.
                await session.own(tab, by: participant, purpose: action.params.purpose)
            } else {
                // In front, as a browser shows the tab it opens.
                _ = try? await session.browser.session.send(Target.ActivateTarget(targetId: created.targetId))
                await session.activate(tab)
            }
            ActionNotes.current?.values.withLock { $0.openedTab = tab.targetId }
            if let url { try await Navigation.go(tab, to: url, waitUntil: .load, deadline: deadline) }
            return .none
        }
    }

    /// Makes `tab` `participant`'s own: listed, held by it (an agent by an implicit turn, which its
    /// actions renew; a person explicitly), and where its actions that name no tab go.
    func own(_ tab: Tab, by participant: Participant, purpose: String?) async {
        adopt(tab)
        ownTabs[participant] = tab.targetId
        if let purpose { tabPurposes[tab.targetId] = purpose }
        switch participant.kind {
        case .agent: try? await coordinator.checkControl(participant, tab: tab.targetId, implicitly: true)
        case .human: await coordinator.tryRequestControl(for: participant, tab: tab.targetId)
        case .system, .page: break
        }
    }

    /// Makes another tab the active one.
    public func switchTab(to targetId: String, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.switchTab, ActionParams(tab: targetId), source: EventCause(participant)), options: options)
    }

    func executeSwitchTab(to targetId: String, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: targetId, options: options) { session, _, _ in
            guard let tab = await session.tab(targetId) else {
                throw SessionError(.noSuchTab, "no tab \(targetId); open tabs: \(await session.tabs().map(\.id).joined(separator: ", "))")
            }
            _ = try? await session.browser.session.send(Target.ActivateTarget(targetId: targetId))
            await session.activate(tab)
            return .none
        }
    }

    /// Closes a tab (by default the participant's own tab, else the active one); when it was the
    /// active one, another becomes active.
    public func closeTab(_ targetId: String? = nil, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.closeTab, ActionParams(tab: targetId), source: EventCause(participant)), options: options)
    }

    func executeCloseTab(_ targetId: String? = nil, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        let participant = Participant(action.source)
        return await perform(action, target: targetId, options: options) { session, active, _ in
            let own = await session.ownTab(of: participant)
            let id = targetId ?? own ?? active.targetId
            guard await session.tab(id) != nil else { throw SessionError(.noSuchTab, "no tab \(id)") }
            if await session.tabs().count == 1 {
                // Keep one tab: the session always has an active page.
                _ = try await session.browser.session.send(Target.CreateTarget(url: "about:blank"))
                let created = try await session.browser.session.send(Target.GetTargets()).targetInfos
                    .first { $0.type == "page" && $0.targetId != id && $0.url == "about:blank" }
                if let created {
                    let tab = try await Self.openTab(targetId: created.targetId, browser: session.browser, sink: session.sink, options: session.options)
                    await session.adopt(tab)
                }
            }
            _ = try await session.browser.session.send(Target.CloseTarget(targetId: id))
            await session.forgetTab(id)
            return .none
        }
    }

    private func tab(_ targetId: String) -> Tab? { tabList.first { $0.targetId == targetId } }

    /// Attaches to a tab the page opened and lists it (the opener stays active).
    func adoptPopup(_ targetId: String) async {
        guard !closing, tab(targetId) == nil else { return }
        do {
            let tab = try await Self.openTab(targetId: targetId, browser: browser, sink: sink, options: options)
            if self.tab(targetId) == nil { adopt(tab) } else { tab.stopPump() }
        } catch {
            options.logger.debug("a tab the page opened closed before it could be attached", metadata: ["target": "\(targetId)"])
        }
    }

    func adopt(_ tab: Tab) { if !tabList.contains(where: { $0 === tab }) { tabList.append(tab) } }

    func activate(_ tab: Tab) {
        adopt(tab)
        active = tab
        sink.emit(.tabActivated, target: tab.targetId, payload: .page(PageInfo(url: tab.url, title: tab.title)))
    }
}

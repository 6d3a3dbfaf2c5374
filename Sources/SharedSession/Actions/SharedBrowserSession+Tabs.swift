public import CDPTransport
public import Coordination
import EventBuffer
import ContentExtraction
import Foundation
import Logging
import SharedBrowserSupport

extension SharedBrowserSession {
    // MARK: Tabs

    /// The open tabs, in the order they were opened.
    public func tabs() -> [TabInfo] {
        tabList.map { TabInfo(id: $0.targetId, url: $0.url, title: $0.title, isActive: $0 === active) }
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

    func executeOpenTab(url: String? = nil, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: url, options: options) { session, _, deadline in
            // A URL the session refuses opens nothing.
            if let url { try session.validate(url) }
            if url != nil { try await session.reach(action, await session.active, deadline: deadline) }
            let created = try await session.browser.session.send(Target.CreateTarget(url: "about:blank"))
            let tab = try await Self.openTab(targetId: created.targetId, browser: session.browser, sink: session.sink, options: session.options)
            // In front, as a browser shows the tab it opens: a tab behind others does not paint.
            _ = try? await session.browser.session.send(Target.ActivateTarget(targetId: created.targetId))
            await session.activate(tab)
            if let url { try await Navigation.go(tab, to: url, waitUntil: .load, deadline: deadline) }
            return .none
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

    /// Closes a tab (the active one by default); another becomes active.
    public func closeTab(_ targetId: String? = nil, as participant: Participant, options: ActionOptions = .init()) async -> ActionResult {
        await run(BrowserAction(.closeTab, ActionParams(tab: targetId), source: EventCause(participant)), options: options)
    }

    func executeCloseTab(_ targetId: String? = nil, _ action: BrowserAction, options: ActionOptions) async -> ActionResult {
        await perform(action, target: targetId, options: options) { session, active, _ in
            let id = targetId ?? active.targetId
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

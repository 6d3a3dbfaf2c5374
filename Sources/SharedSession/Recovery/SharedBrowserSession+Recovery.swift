import CDPTransport
import EventBuffer
import Foundation
import Logging
import SharedBrowserSupport

extension SharedBrowserSession {
    /// Where the session is in its life: running, or recovering from a crash or a dropped connection.
    public var lifecycleState: LifecycleState { lifecycle.publicState }

    /// Whether the session is closing or closed.
    var closing: Bool { lifecycle.isClosing }

    /// Gives the lifecycle an input. An input the machine says cannot happen is a bug of ours: logged,
    /// and nothing is done.
    @discardableResult
    func lifecycleInput(_ input: (inout Lifecycle) throws -> Lifecycle.Action) -> Lifecycle.Action {
        do { return try input(&lifecycle) } catch {
            options.logger.error("\(error)")
            return .none
        }
    }

    /// Called once the session runs: starts watching the browser.
    func running() {
        lifecycleInput { try $0.started() }
        startMonitor()
    }

    /// Waits for a recovery under way (an action that arrives meanwhile runs on the recovered browser).
    /// A connection that ended without the browser pump noticing yet starts the recovery here.
    /// A session that gave up reconnecting (the network was gone longer than the tries) tries once more
    /// here, so it comes back once the browser can be reached.
    func recovered() async {
        if lifecycle.isRunning, browser.connection.closedError != nil {
            await browserGone(browser.connection.closedError)
        } else if recovery == nil, lifecycle.gaveUp {
            let action = lifecycle.retryRequested()
            if action.work != .none { recovery = Task { await self.recover(action.work, since: self.clock.elapsed) } }
        }
        await recovery?.value
    }

    /// The browser pump ended: the connection closed or the browser died.
    func browserGone(_ error: CDPError?) async {
        guard lifecycle.isRunning, recovery == nil else { return }
        let downSince = clock.elapsed
        monitor?.cancel()
        // The socket closes a moment before the process's exit is seen: give a dying browser that moment.
        let alive = !(await browser.exits(within: .milliseconds(300)))
        guard lifecycle.isRunning, recovery == nil else { return }
        let action = lifecycle.connectionLost(browserAlive: alive)
        report(action.report, error: error, since: downSince)
        guard action.work != .none else { return }
        recovery = Task { await self.recover(action.work, since: downSince) }
    }

    /// Why an action failed when the browser went away: a crash when the process died (even if the
    /// socket's close was seen first), else what the connection reported.
    func failureCause(_ error: any Error) async -> any Error {
        guard let closed = browser.connection.closedError else { return error }
        if closed.code == .connectionClosed, await browser.exits(within: .milliseconds(300)) {
            return CDPError(.browserCrashed, "the browser process died")
        }
        return closed
    }

    /// The thin shell around the lifecycle: does the work each answer names, gives the outcome back
    /// as the next input, and reports what the answer says to report.
    private func recover(_ first: Lifecycle.Work, since downSince: Duration) async {
        var work = first
        while !closing, work != .none {
            let action: Lifecycle.Action
            var restoredTabs: Int?
            var failure: (any Error)?
            switch work {
            case .none:
                action = .none
            case .reconnect(_, let delay):
                if delay > .zero { try? await clock.sleep(for: delay) }
                guard !closing else { action = .none; break }
                lifecycleInput { try $0.reconnectStarted() }
                do {
                    restoredTabs = try await reconnect(since: downSince)
                    action = lifecycleInput { [restoredTabs] in try $0.reconnected(restarted: restoredTabs != nil) }
                } catch {
                    failure = error
                    let alive = browser.isRunning
                    action = lifecycleInput { try $0.reconnectFailed(browserAlive: alive) }
                }
            case .relaunch:
                lifecycleInput { try $0.relaunchStarted() }
                do {
                    restoredTabs = try await relaunch()
                    action = lifecycleInput { try $0.relaunched() }
                } catch {
                    failure = error
                    action = lifecycleInput { try $0.relaunchFailed() }
                }
            }
            if closing { break }
            report(action.report, error: failure, since: downSince, restoredTabs: restoredTabs, relaunched: work == .relaunch)
            work = action.work
        }
        recovery = nil
    }

    /// The event (and the notice agents get once) for what the lifecycle says to report.
    private func report(_ report: Lifecycle.Report?, error: (any Error)?, since downSince: Duration,
                        restoredTabs: Int? = nil, relaunched: Bool = false) {
        let message = error.map { SessionError.from($0).message }
        let ms = Int(Navigation.milliseconds(clock.elapsed - downSince))
        switch report {
        case nil: break
        case .crashed(nil)?:
            sink.emit(.browserCrashed, target: nil, payload: .recovery(RecoveryInfo(
                detail: message ?? "the browser connection closed")), cause: .system)
        case .crashed(let tries?)?:
            sink.emit(.browserCrashed, target: nil, payload: .recovery(RecoveryInfo(
                detail: "the browser does not answer after \(tries) tries to reconnect")), cause: .system)
        case .disconnected?:
            sink.emit(.disconnected, target: nil, payload: .recovery(RecoveryInfo(
                detail: "the browser connection dropped (\(message ?? "closed")); the browser still runs")), cause: .system)
        case .gaveUp(let tries)?:
            sink.emit(.error, target: nil, payload: .message(
                "the browser connection did not come back after \(tries) tries (\(message ?? "no answer")); "
                    + "the next action tries again"), cause: .system)
        case .reconnected(let attempt)?:
            sink.emit(.reconnected, target: nil, payload: .recovery(RecoveryInfo(
                detail: "the browser connection is back (try \(attempt))", downtimeMilliseconds: ms)), cause: .system)
            announce("The browser connection dropped and came back after \(ms) ms; the pages were not reloaded.")
        case .restarted?:
            let restored = restoredTabs ?? 0
            let (detail, what) = relaunched
                ? ("the browser was relaunched on the same profile", "The browser crashed and was restarted")
                : ("the browser behind the endpoint was restarted; its tabs were reopened",
                   "The browser behind the endpoint was restarted and came back")
            sink.emit(.browserRestarted, target: nil, payload: .recovery(RecoveryInfo(
                detail: detail, downtimeMilliseconds: ms, restoredTabs: restored)), cause: .system)
            announce("\(what) after \(ms) ms: \(restored) tab(s) reopened at their URLs, "
                     + "cookies kept; what was typed but not submitted is gone, and element refs are new.")
        case .relaunchFailed?:
            sink.emit(.error, target: nil, payload: .message(
                "the browser could not be relaunched: \(message ?? "unknown")"), cause: .system)
        }
    }

    /// Tells each participant once, in its next result and its next context.
    private func announce(_ notice: String) {
        recoveryNotice = notice
        toldInResult.removeAll()
        toldInContext.removeAll()
    }

    /// A new connection to the same browser; its tabs are attached again with fresh handlers. When
    /// the endpoint answers with another browser (restarted behind it), that one gets the tabs' URLs
    /// and the cookies, as after a relaunch: returns how many tabs were reopened then, else nil.
    private func reconnect(since downSince: Duration) async throws -> Int? {
        let old = browser
        let fresh = try await old.reconnect()
        do {
            if fresh.webSocketDebuggerURL != old.webSocketDebuggerURL {
                var urls = tabList.map { $0.state.withLock { $0.url } }
                var activeIndex = tabList.firstIndex { $0 === active } ?? 0
                var owners = tabOwners
                // A browser shut down in order closed its tabs just before its connection went: all
                // of them, or some, when the connection went before the last closes were heard.
                if let before = tabsBeforeCloses, before.at >= downSince - .seconds(2), before.urls.count > urls.count {
                    (urls, activeIndex, owners) = (before.urls, before.active, before.owners)
                }
                return try await restore(onto: fresh, urls: urls.isEmpty ? ["about:blank"] : urls, activeIndex: activeIndex, owners: owners)
            }
            try await adopt(fresh, tabs: tabList.map { ($0.targetId, nil) })
            return nil
        } catch {
            await fresh.connection.close()
            throw error
        }
    }

    /// Launches the browser again on the same profile, restores its cookies and reopens the tabs at
    /// their URLs. Returns how many tabs were reopened.
    private func relaunch() async throws -> Int {
        guard var launch = launchOptions else { throw SessionError(.browserCrashed, "an attached browser cannot be relaunched") }
        let old = browser
        let urls = tabList.map { $0.state.withLock { $0.url } }
        let activeIndex = tabList.firstIndex { $0 === active } ?? 0
        let owners = tabOwners
        launch.userDataDirectory = profileDirectory ?? old.temporaryProfile
        launch.removeProfileWhenClosed = profileDirectory == nil && old.temporaryProfile != nil
        await old.abandon()
        if let directory = launch.userDataDirectory { ProfileLock.clearChromiumLock(in: directory) }
        let fresh = try await CDPBrowser.launch(launch)
        do {
            return try await restore(onto: fresh, urls: urls, activeIndex: activeIndex, owners: owners)
        } catch {
            try? await fresh.close()
            throw error
        }
    }

    /// Gives a new browser the session's cookies and its tabs at `urls` (its first page becomes the
    /// first tab), the active one as before, each own tab its owner's again (in a window of its own).
    /// Returns how many tabs were opened.
    private func restore(onto fresh: CDPBrowser, urls: [String], activeIndex: Int, owners: [Int: TabOwner]) async throws -> Int {
        if !savedCookies.isEmpty {
            try await fresh.session.send(Storage.SetCookies(cookies: savedCookies.map(Self.param)))
        }
        let first = try await fresh.session.send(Target.GetTargets()).targetInfos
            .first { $0.type == "page" && !$0.url.hasPrefix("devtools://") }?.targetId
        var targets: [(String, String?)] = []
        for (index, url) in urls.enumerated() {
            var id = index == 0 ? first : nil
            if id == nil {
                id = try await fresh.session.send(Target.CreateTarget(url: "about:blank", newWindow: owners[index] != nil ? true : nil)).targetId
            }
            guard let id else { continue }
            targets.append((id, url))
        }
        // Own tabs load fully, as the active one does: their owners' next actions run there.
        try await adopt(fresh, tabs: targets, activeIndex: activeIndex, loaded: Set(owners.keys))
        // The tabs are new: each own tab is its owner's again, its lane taken by the owner's next action.
        ownTabs = [:]
        tabPurposes = [:]
        for (index, owner) in owners {
            guard let tab = tabList[safe: index] else { continue }
            ownTabs[owner.participant] = tab.targetId
            if let purpose = owner.purpose { tabPurposes[tab.targetId] = purpose }
        }
        return targets.count
    }

    /// Makes `fresh` the session's browser: the browser-wide pump, a tab per target (navigated to its
    /// URL when given), the active one as before, the monitor.
    private func adopt(_ fresh: CDPBrowser, tabs targets: [(id: String, url: String?)], activeIndex: Int? = nil,
                       loaded: Set<Int> = []) async throws {
        browserPump?.cancel()
        for tab in tabList { tab.stopPump() }
        let (events, dropped) = try await Self.setUpBrowser(fresh, downloads: downloadsDirectory)
        var tabs: [Tab] = []
        // The viewports set for single tabs, in the order of `targets` (the tabs' order before).
        let viewports = tabList.map { $0.state.withLock { $0.viewport } }
        for (index, target) in targets.enumerated() {
            let tab = try await Self.openTab(targetId: target.id, browser: fresh, sink: sink, options: options)
            if let viewport = viewports[safe: index] ?? nil {
                try await tab.page.send(Emulation.SetDeviceMetricsOverride(width: viewport.width, height: viewport.height,
                                                                           deviceScaleFactor: 1, mobile: false))
                tab.state.withLock { $0.viewport = viewport }
            }
            tabs.append(tab)
        }
        let previous = tabList.firstIndex { $0 === active } ?? 0
        // All tabs load at once: the active one and own tabs until their load events (the next
        // actions run there), the others until their navigation commits (their URL is theirs again).
        let activeTab = activeIndex ?? previous
        await withTaskGroup(of: Void.self) { group in
            for (index, (tab, target)) in zip(tabs, targets).enumerated() {
                guard let url = target.url, url != "about:blank" else { continue }
                group.addTask {
                    if index == activeTab || loaded.contains(index) {
                        try? await Navigation.go(tab, to: url, waitUntil: .load, deadline: tab.clock.deadline(in: .seconds(10)))
                    } else {
                        _ = try? await tab.page.send(Page.Navigate(url: url), timeout: .seconds(10))
                    }
                }
            }
        }
        browserBox.withLock { $0 = fresh }
        // Lanes of tabs that are gone end (their holders lose them; their waiters are told).
        let gone = Set(tabList.map(\.targetId)).subtracting(tabs.map(\.targetId))
        for id in gone { await coordinator.tabClosed(id) }
        for tab in tabs { await coordinator.tabOpened(tab.targetId) }
        tabList = tabs
        if let tab = tabs[safe: activeTab] ?? tabs.first { activate(tab) }
        startBrowserPump(events, dropped: dropped)
        startMonitor()
    }

    /// Reads the cookies every 500 ms (they are restored after a relaunch), which also checks that
    /// the connection lives: no answer within 1 s, and nothing else from the browser in that second
    /// either, means it stalled, and it is closed so that the recovery begins. (A reply late behind a
    /// flood of events is no stall: closing then would cost a reconnect, or over a pipe the browser.)
    func startMonitor() {
        monitor?.cancel()
        let connection = browser.connection
        let root = browser.session
        let clock = self.clock
        monitor = Task { [weak self] in
            while !Task.isCancelled {
                try? await clock.sleep(for: .milliseconds(500))
                guard !Task.isCancelled, connection.closedError == nil else { return }
                do {
                    let cookies = try await root.send(Storage.GetCookies(), timeout: .seconds(1)).cookies
                    await self?.keepCookies(cookies)
                } catch let error as CDPError where error.code == .timeout {
                    guard connection.isSilent(for: .seconds(1)) else { continue }
                    connection.fail(with: CDPError(.connectionClosed, "the browser connection stalled: no answer within 1 s"))
                    await connection.close()
                    return
                } catch {
                    return
                }
            }
        }
    }

    /// The cookies restored after a relaunch.
    func keepCookies(_ cookies: [Network.Cookie]) { savedCookies = cookies }

    /// The notice for `participant`'s next context, once.
    func contextNotice(for participant: Participant?) -> String? {
        guard let notice = recoveryNotice, let participant, toldInContext.insert(participant).inserted else { return nil }
        return notice
    }

    static func param(_ cookie: Network.Cookie) -> Network.CookieParam {
        Network.CookieParam(
            name: cookie.name, value: cookie.value, domain: cookie.domain, path: cookie.path, secure: cookie.secure,
            httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, expires: cookie.session ? nil : cookie.expires,
            priority: cookie.priority, sourceScheme: cookie.sourceScheme, sourcePort: cookie.sourcePort,
            partitionKey: cookie.partitionKey)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

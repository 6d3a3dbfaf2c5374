public import CDPTransport
public import Coordination
import EventBuffer
import Foundation

extension SharedBrowserSession {
    /// A CDP session of its own on a tab (the active one by default), for a person's DevTools.
    ///
    /// Whoever holds it drives the tab as DevTools does: past turns, the JavaScript setting and the
    /// allowed URLs, and nothing of it is recorded as actions. So it is for a person's own debugging,
    /// never for an agent: the live view serves it only with its `devTools` option on and behind its
    /// control token, and no agent tool returns it. A `devToolsOpened` event names `person` and the
    /// tab, and ``closeDevTools(_:for:)`` a `devToolsClosed` one, so the timeline shows the span.
    ///
    /// - Throws: ``SessionError/Code/noSuchTab`` for a tab the session does not have, or the browser's
    ///   error when it cannot attach.
    public func openDevTools(tab targetId: String? = nil, for person: Participant) async throws -> CDPSession {
        let id = targetId ?? active.targetId
        guard tabList.contains(where: { $0.targetId == id }) else {
            throw SessionError(.noSuchTab, "no tab \(id) in this session")
        }
        let page: CDPSession
        do {
            let attached = try await browser.session.send(Target.AttachToTarget(targetId: id, flatten: true))
            guard let found = browser.connection.session(id: attached.sessionId) else {
                throw SessionError(.noSuchTab, "the tab \(id) closed while DevTools attached")
            }
            page = found
        } catch { throw SessionError.from(error) }
        sink.emit(.devToolsOpened, target: id, payload: .message(
            "\(person) opened DevTools on this tab: until they close it, what they do there bypasses turns "
            + "and the session's settings, and is not recorded as actions"), cause: EventCause(person))
        return page
    }

    /// Detaches a session from ``openDevTools(tab:for:)`` and records that `person` closed DevTools.
    public func closeDevTools(_ page: CDPSession, for person: Participant) async {
        try? await page.detach()
        sink.emit(.devToolsClosed, target: page.targetId, payload: .message("\(person) closed DevTools"),
                  cause: EventCause(person))
    }
}

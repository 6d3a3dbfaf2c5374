public import Coordination
public import EventBuffer
import Foundation
import SharedBrowserSupport

/// Where the session's event pumps publish: numbers events in the hub, reduces them into the state,
/// tells state watchers about notable changes, and tags events with the participant whose action
/// is running.
final class EventSink: Sendable {
    let hub: EventHub
    /// The session's clock (it stamps the hub's events too).
    let clock: SessionClock
    /// The session's next snapshot ref number, for every tab and across relaunches: a ref names one
    /// element in the whole session. Snapshots number their new elements while holding it.
    let nextRef = LockedValue(1)
    private struct Shared {
        var state: BrowserState
        /// Per tab, who its running action is for; `browserCause` for browser-wide events.
        var causes: [String: EventCause] = [:]
        var browserCause: EventCause = .page
        var watchers: [Int: AsyncStream<BrowserState>.Continuation] = [:]
        var nextWatcher = 0
        /// The latest errors, newest last (the hub's ring may have dropped them among other events).
        var errors: [BrowserEvent] = []
        /// Per tab, the sequence number of the main-frame navigation that began its document.
        var pageStarts: [String: UInt64] = [:]
    }
    static let keptErrors = 100
    private let shared: LockedValue<Shared>

    init(hub: EventHub, sessionId: String, clock: SessionClock) {
        self.clock = clock
        self.hub = hub
        shared = LockedValue(Shared(state: BrowserState(sessionId: sessionId)))
    }

    var state: BrowserState { shared.withLock { $0.state } }

    /// The latest errors (at most ``keptErrors``), newest last.
    var recentErrors: [BrowserEvent] { shared.withLock { $0.errors } }

    /// Whether a human holds control of `tab` (or of the whole browser), as the `control` events tell.
    func humanHoldsControl(of tab: String) -> Bool { state.holder(of: tab)?.hasPrefix("human:") == true }

    /// The sequence number of the event that began `target`'s current document.
    func pageStart(of target: String) -> UInt64? { shared.withLock { $0.pageStarts[target] } }

    /// Events of tab `target` (and browser-wide ones) from now on are attributed to `cause`, the
    /// participant whose action runs there.
    func setCause(_ cause: EventCause, target: String) {
        shared.withLock { s in
            s.causes[target] = cause
            s.browserCause = cause
        }
    }

    /// Who causes what happens in tab `target` now: the participant whose action runs there, else the page.
    func cause(for target: String) -> EventCause { shared.withLock { $0.causes[target] ?? .page } }

    /// The action of `cause` in tab `target` ended: its events are the page's again.
    func resetCause(_ cause: EventCause, target: String) {
        shared.withLock { s in
            if s.causes[target] == cause { s.causes[target] = nil }
            if s.browserCause == cause { s.browserCause = .page }
        }
    }

    @discardableResult
    func emit(_ kind: BrowserEvent.Kind, target: String?, payload: BrowserEvent.Payload = .none,
              cause: EventCause? = nil) -> BrowserEvent {
        // One lock around publish and reduce, so the state sees events in sequence order.
        let (event, notify) = shared.withLock { s -> (BrowserEvent, (BrowserState, [AsyncStream<BrowserState>.Continuation])?) in
            let event = hub.publish(kind, cause: cause ?? target.flatMap { s.causes[$0] } ?? s.browserCause, target: target,
                                    payload: Redaction.payload(payload))
            s.state.apply(event)
            if event.kind == .navigation, case .navigation(let info) = event.payload, info.isMainFrame, let target {
                s.pageStarts[target] = event.sequence
            }
            if event.isError {
                if s.errors.count == Self.keptErrors { s.errors.removeFirst() }
                s.errors.append(event)
            }
            return (event, BrowserState.isNotable(event) ? (s.state, Array(s.watchers.values)) : nil)
        }
        if let (state, watchers) = notify { for watcher in watchers { watcher.yield(state) } }
        return event
    }

    func stateUpdates() -> AsyncStream<BrowserState> {
        let (stream, continuation) = AsyncStream.makeStream(of: BrowserState.self, bufferingPolicy: .bufferingNewest(64))
        let id = shared.withLock { s -> Int in
            s.nextWatcher += 1
            s.watchers[s.nextWatcher] = continuation
            return s.nextWatcher
        }
        continuation.onTermination = { [weak self] _ in _ = self?.shared.withLock { $0.watchers.removeValue(forKey: id) } }
        return stream
    }

    func finish() {
        let watchers = shared.withLock { s in
            defer { s.watchers.removeAll() }
            return Array(s.watchers.values)
        }
        watchers.forEach { $0.finish() }
    }
}

extension EventCause {
    /// The cause of what `participant` does.
    public init(_ participant: Participant) {
        switch participant.kind {
        case .agent: self = .agent(participant.id)
        case .human: self = .human(participant.id)
        case .system: self = .system
        case .page: self = .page
        }
    }
}

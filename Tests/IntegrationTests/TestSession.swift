import DemoSite
import Foundation
import SharedSession
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One demo site and one shared session per test process.
actor TestSession {
    static let shared = TestSession()
    private var value: (SharedBrowserSession, DemoSite)?

    func get() async throws -> (SharedBrowserSession, DemoSite) {
        if let value { return value }
        let site = try await DemoSite.start()
        var options = SharedBrowserSession.Options(id: "integration-tests")
        options.persistentProfile = false
        let session = WireFormatAudit.shared.watch(try await SharedBrowserSession.start(options))
        if let pid = session.browserProcessID { registerForKillAtExit(pid) }
        value = (session, site)
        return (session, site)
    }
}

/// Runs `body` while `person` holds control (taken over, then handed back whatever happens), once the
/// session's state knows it.
func inControl(of person: Participant, _ session: SharedBrowserSession, _ body: () async throws -> Void) async throws {
    let holder = EventCause(kind: .human, id: person.id).description
    let control = session.events.subscribe(kinds: [.control])
    defer { control.cancel() }
    try await session.coordinator.takeOver(by: person)
    #expect(await firstEvent(control, .control) { event in
        if case .control(let info) = event.payload { return info.holder == holder }
        return false
    } != nil)
    do {
        try await body()
    } catch {
        try? await session.coordinator.handBack(by: person)
        throw error
    }
    try await session.coordinator.handBack(by: person)
    #expect(await firstEvent(control, .control) { event in
        if case .control(let info) = event.payload { return info.holder != holder }
        return false
    } != nil)
}

/// Waits for the first hub event of `kind` that `predicate` accepts.
func firstEvent(_ subscription: EventSubscription, _ kind: BrowserEvent.Kind, within timeout: Duration = .seconds(10),
                where predicate: @escaping @Sendable (BrowserEvent) -> Bool = { _ in true }) async -> BrowserEvent? {
    await within(timeout) {
        for await element in subscription {
            if let event = element.event, event.kind == kind, predicate(event) { return event }
        }
        return nil
    }
}

let system = Participant.system

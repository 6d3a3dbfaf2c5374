import DemoSite
import Foundation
import SharedSession
import Testing

extension Chromium {
@Suite struct LateEventsTests {
    /// The events of a failed navigation (the browser's error page commits and loads after the
    /// failure is known) belong to that navigation, not to the next action.
    @Test func aFailedNavigationKeepsItsErrorPageEvents() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/"), as: system).get()
        for _ in 0..<3 {
            let failed = await session.navigate(to: "http://127.0.0.1:1/nothing-here", as: system)
            #expect(failed.error?.code == .navigationFailed)
            // The error page's commit is among the failed navigation's own events...
            #expect(failed.events.contains { event in
                if case .navigation(let info) = event.payload { return info.errorText == "the page could not be loaded" }
                return false
            })
            // ...and none of its events reach the next action.
            let next = await session.evaluate("location.href", as: system)
            let stray = next.events.filter { $0.kind == .navigation || $0.kind == .pageLoaded || $0.kind == .titleChanged }
            #expect(stray.isEmpty, "\(stray.map(\.summary))")
            try await session.navigate(to: site.url("/"), as: system).get()
        }
    }

    /// A request's failure that comes after the action that sent it is credited to whoever caused
    /// the request, not to the participant acting when it arrives.
    @Test func aRequestsLateFailureIsCreditedToItsCause() async throws {
        let (session, site) = try await TestSession.shared.get()
        try await session.navigate(to: site.url("/"), as: system).get()
        try await session.evaluate("""
            const b = document.createElement('button'); b.id = 'late'; b.textContent = 'Late';
            b.onclick = () => { const c = new AbortController(); fetch('/slow?ms=5000&late=1', {signal: c.signal}).catch(() => {});
                                setTimeout(() => c.abort(), 300); };
            document.body.append(b); 0
            """, as: system).get()
        let clicker = Participant.agent("clicker"), waiter = Participant.agent("waiter")
        let failures = session.events.subscribe(kinds: [.requestFailed])
        _ = try await session.coordinator.withTurn(for: clicker) {
            try await session.click("#late", as: clicker).get()
        }
        try await session.coordinator.withTurn(for: waiter) {
            // Acting while the request fails.
            let waited = try await session.evaluate("new Promise(r => setTimeout(() => r(1), 800))", as: waiter).get()
            #expect(waited.value == 1)
        }
        let failed = await firstEvent(failures, .requestFailed) { event in
            if case .request(let info) = event.payload { return info.url.contains("late=1") }
            return false
        }
        failures.cancel()
        #expect(failed?.cause == .agent("clicker"))
    }
}
}

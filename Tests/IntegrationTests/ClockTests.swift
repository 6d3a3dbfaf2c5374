import DemoSite
import EventBuffer
import Foundation
import SharedSession
import TestSupport
import Testing

extension Chromium {
/// The session's timers follow the clock it is given.
@Suite struct ClockTests {
    /// `dismiss(after: 30 s)` on a manual clock: the dialog stays open until the clock is moved.
    @Test func dialogDelaysFollowTheInjectedClock() async throws {
        let clock = ManualClock()
        try await withOwnSession("manual-clock", configure: {
            $0.clock = clock
            $0.dialogPolicy = .dismiss(after: .seconds(30))
        }) { session in
            try await session.navigate(to: dataURL("<button id=b onclick=\"document.title = confirm('Sure?') ? 'yes' : 'no'\">ask</button>"),
                                       as: system).get()
            let closed = session.events.subscribe(kinds: [.dialogClosed])
            let clicked = await session.click("#b", as: system)
            #expect(clicked.dialog?.type == "confirm")
            #expect(session.state.openDialog != nil, "open until the clock moves")
            // The answer is asleep on the clock (beside the keep-alive's sleep).
            #expect(await eventually(within: .seconds(5)) { clock.sleeperCount >= 2 })
            clock.advance(by: .seconds(29))
            #expect(session.events.recent(20).allSatisfy { $0.kind != .dialogClosed })
            clock.advance(by: .seconds(1))
            let event = await firstEvent(closed, .dialogClosed)
            if case .dialog(let info)? = event?.payload { #expect(info.accepted == false) } else { Issue.record("no dialogClosed") }
        }
    }
}
}

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
            #expect(await clock.sleepers(atLeast: 2))
            clock.advance(by: .seconds(29))
            #expect(session.events.recent(20).allSatisfy { $0.kind != .dialogClosed })
            clock.advance(by: .seconds(1))
            let event = await firstEvent(closed, .dialogClosed)
            if case .dialog(let info)? = event?.payload { #expect(info.accepted == false) } else { Issue.record("no dialogClosed") }
        }
    }

    /// An action's deadline and the times of events follow the session's clock: a wait for a
    /// navigation with 30 s to go ends when the manual clock has moved 30 s, not before, and its
    /// events are stamped 30 s apart.
    @Test func actionDeadlinesAndEventTimesFollowTheInjectedClock() async throws {
        let clock = ManualClock()
        try await withOwnSession("manual-deadline", configure: { $0.clock = clock }) { session in
            let asleep = clock.sleeperCount
            let ended = session.events.subscribe(kinds: [.actionStarted, .actionFailed])
            let waiting = Task { await session.waitForNavigation(as: system, options: .init(timeout: .seconds(30))) }
            let started = await firstEvent(ended, .actionStarted)
            #expect(await clock.sleepers(atLeast: asleep + 1), "the action's deadline sleeps on the clock")
            clock.advance(by: .seconds(29))
            #expect(session.events.recent(20).allSatisfy { $0.kind != .actionFailed }, "29 s of 30: still waiting")
            clock.advance(by: .seconds(1))
            let result = await waiting.value
            #expect(result.error?.code == .timeout, "\(String(describing: result.error))")
            #expect(result.duration >= .seconds(30) && result.duration < .seconds(31), "\(result.duration) by the clock")
            let failed = await firstEvent(ended, .actionFailed)
            if let started, let failed {
                let apart = failed.timestamp.timeIntervalSince(started.timestamp)
                #expect(apart >= 30 && apart < 31, "stamped \(apart) s apart")
            } else {
                Issue.record("no actionStarted and actionFailed events")
            }
        }
    }
}
}

import DemoSite
import Foundation
import CDPTransport
@testable import SharedSession
import TestSupport
import Testing

extension Chromium {
/// Pages that hang the renderer or never answer: every action ends by its deadline, and the tab is
/// usable again afterwards.
@Suite(.serialized) struct HungPageTests {
    static func timeout(_ duration: Duration) -> SharedBrowserSession.ActionOptions {
        SharedBrowserSession.ActionOptions(timeout: duration)
    }

    @Test func aRunawayScriptIsStoppedAtItsDeadlineAndTheTabAnswersAgain() async throws {
        try await withOwnSession("runaway") { session in
            let hung = await session.evaluate("while (true) {}", as: system, options: Self.timeout(.seconds(1)))
            #expect(hung.error?.code == .timeout)
            #expect(hung.duration < .seconds(10), "took \(hung.duration), not the 30 s default")
            let next = await session.evaluate("1 + 1", as: system, options: Self.timeout(.seconds(5)))
            #expect(next.value == 2, "\(String(describing: next.error))")
        }
    }

    /// Terminating when nothing runs would stop the next script instead: a script that only waits is
    /// left alone.
    @Test func aScriptThatOnlyWaitsTimesOutWithoutHarmingTheNext() async throws {
        try await withOwnSession("waiting") { session in
            let waiting = await session.evaluate("new Promise(() => {})", as: system, options: Self.timeout(.milliseconds(500)))
            #expect(waiting.error?.code == .timeout)
            let next = await session.evaluate("'still here'", as: system)
            #expect(next.value == "still here", "\(String(describing: next.error))")
        }
    }

    /// A click on a page whose main thread hangs ends at the click's deadline (every command inside the
    /// action is bounded by it), and stops the hanging script.
    @Test func aClickOnAHungPageEndsAtItsDeadline() async throws {
        try await withOwnSession("hung-click") { session in
            try await session.navigate(to: dataURL("<button id=b onclick='while (true) {}'>go</button>"), as: system).get()
            let click = await session.click("#b", as: system, options: Self.timeout(.seconds(2)))
            #expect(click.error?.code == .timeout, "\(String(describing: click.error))")
            #expect(click.duration < .seconds(10), "took \(click.duration), not the 30 s default")
            let next = await session.evaluate("document.querySelector('#b').textContent", as: system, options: Self.timeout(.seconds(5)))
            #expect(next.value == "go", "\(String(describing: next.error))")
        }
    }

    /// A snapshot of a hung page fails at its deadline instead of the 30 s default.
    @Test func aReadOfAHungPageEndsAtItsDeadline() async throws {
        try await withOwnSession("hung-read") { session in
            try await session.navigate(to: dataURL("<p>text</p>"), as: system).get()
            // Hang the page behind the session's back (a raw command, which nothing stops).
            let page = await session.active.page
            _ = try? await page.send(Runtime.Evaluate(expression: "while (true) {}"), timeout: .milliseconds(300))
            let snapshot = await session.snapshot(as: system, options: Self.timeout(.seconds(1)))
            #expect(snapshot.error?.code == .timeout, "\(String(describing: snapshot.error))")
            #expect(snapshot.duration < .seconds(10), "took \(snapshot.duration), not the 30 s default")
            #expect(try await session.snapshot(as: system).get().value?.stringValue?.contains("text") == true)
        }
    }
}
}

extension Chromium {
/// Tabs and reads do not wait for each other.
@Suite(.serialized) struct ConcurrencyTests {
    /// An action stuck in one tab holds up nothing in another tab.
    @Test func aHungTabDoesNotDelayAnotherTab() async throws {
        let (_, site) = try await TestSession.shared.get()
        try await withOwnSession("two-tabs") { session in
            try await session.navigate(to: dataURL("<button id=b onclick='while (true) {}'>hang</button>"), as: system).get()
            let started = session.events.subscribe(kinds: [.actionStarted])
            let done = LockedFlag()
            let stuck = Task {
                let result = await session.click("#b", as: system, options: .init(timeout: .seconds(3)))
                done.set()
                return result
            }
            #expect(await firstEvent(started, .actionStarted) != nil)
            let opened = await session.openTab(url: site.url("/widgets"), as: system)
            #expect(opened.error == nil, "\(String(describing: opened.error))")
            let answered = await session.evaluate("document.title.length > 0", as: system)
            #expect(answered.value == true, "\(String(describing: answered.error))")
            #expect(!done.value, "the other tab's work waited for the hung click")
            #expect(await stuck.value.error?.code == .timeout)
        }
    }

    /// While one participant reads a page of 10,000 fields, another's `evaluate("1")` answers in
    /// under a second: the read queues nowhere and lets the page run other scripts as it goes.
    @Test func anotherParticipantIsAnsweredWhileAHugePageIsRead() async throws {
        try await withOwnSession("huge-read") { session in
            try await session.navigate(to: dataURL("<form id=f></form>"), as: system).get()
            // One assignment: 10,000 form controls appended one by one cost Chromium 20 s.
            try await session.evaluate("""
                document.getElementById('f').innerHTML = Array.from({ length: 10000 },
                  (_, i) => '<label>Field ' + i + ' <input name=f' + i + '></label>').join('');
                // Rendered once, as a page a person looks at is.
                new Promise(done => requestAnimationFrame(() => setTimeout(() => done(document.forms[0].elements.length))))
                """, as: system).get()
            let reader = Participant.agent("reader")
            let readDone = LockedFlag()
            let read = Task {
                let snapshot = await session.snapshot(as: reader)
                readDone.set()
                return snapshot
            }
            var slowest: Duration = .zero
            var answers = 0
            let clock = ContinuousClock()
            while !readDone.value {
                let sent = clock.now
                let one = await session.evaluate("1", as: system)
                #expect(one.value == 1)
                slowest = max(slowest, sent.duration(to: clock.now))
                answers += 1
            }
            let snapshot = await read.value
            #expect(snapshot.value?.stringValue?.contains("Field 9999") == true, "the read finished")
            #expect(answers >= 2, "evaluate ran while the read did")
            #expect(slowest < .seconds(1), "evaluate(\"1\") waited \(slowest) while the page was read")
        }
    }
}
}

/// A flag set once, read from any task.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}

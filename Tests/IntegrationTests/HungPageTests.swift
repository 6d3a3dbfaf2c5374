import DemoSite
import Foundation
import CDPTransport
@testable import SharedSession
import TestSupport
import Testing

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
            #expect(hung.duration < .seconds(5), "took \(hung.duration), not the 30 s default")
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
            #expect(click.duration < .seconds(5), "took \(click.duration), not the 30 s default")
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
            #expect(snapshot.duration < .seconds(5), "took \(snapshot.duration), not the 30 s default")
            #expect(try await session.snapshot(as: system).get().value?.stringValue?.contains("text") == true)
        }
    }
}

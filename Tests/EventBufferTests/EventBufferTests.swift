import EventBuffer
import Foundation
import Testing

/// A clock that moves only when told to.
final class StepClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)
    func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        current += 1
        return current
    }
}

func console(_ level: String, _ text: String) -> BrowserEvent.Payload {
    .console(ConsoleInfo(level: level, text: text))
}

@Suite struct EventBufferTests {
    @Test func hubNumbersAndStampsEveryEvent() {
        let clock = StepClock()
        let hub = EventHub(now: { clock.now() })
        let first = hub.publish(.navigation, cause: .agent("collector"), target: "T1",
                                payload: .navigation(NavigationInfo(url: "https://example.test/")))
        let second = hub.publish(BrowserEvent(sequence: 999, kind: .pageLoaded, cause: .page))
        #expect(first.sequence == 1 && second.sequence == 2)
        #expect(second.timestamp == first.timestamp + 1)
        #expect(hub.lastSequence == 2)
        #expect(first.summary == "navigation agent:collector https://example.test/")
    }

    @Test func keepsTheNewestFiftyAndAnswersQueries() {
        let hub = EventHub()
        for i in 1...120 {
            if i % 10 == 0 {
                hub.publish(.console, cause: .page, payload: console("error", "failure \(i)"))
            } else {
                hub.publish(.request, cause: .page, payload: .request(RequestInfo(id: "\(i)", url: "https://x.test/\(i)")))
            }
        }
        let buffer = hub.buffer
        #expect(buffer.capacity == 50 && buffer.count == 50)
        #expect(buffer.droppedCount == 70)
        #expect(buffer.oldestSequence == 71 && buffer.newestSequence == 120)
        #expect(hub.recent(3).map(\.sequence) == [118, 119, 120])
        #expect(hub.errors().map(\.sequence) == [80, 90, 100, 110, 120])
        #expect(hub.events(of: [.console]).count == 5)
        #expect(hub.since(115).map(\.sequence) == [116, 117, 118, 119, 120])
        #expect(hub.since(120).isEmpty)
    }

    @Test func errorsIncludeEveryFailureKind() {
        var buffer = EventBuffer()
        buffer.add(BrowserEvent(sequence: 1, kind: .console, cause: .page, payload: console("warning", "meh")))
        buffer.add(BrowserEvent(sequence: 2, kind: .console, cause: .page, payload: console("error", "bad")))
        buffer.add(BrowserEvent(sequence: 3, kind: .pageError, cause: .page, payload: .pageError(PageErrorInfo(message: "x"))))
        buffer.add(BrowserEvent(sequence: 4, kind: .requestFailed, cause: .page, payload: .request(RequestInfo(id: "1", url: "u", errorText: "net::ERR_FAILED"))))
        buffer.add(BrowserEvent(sequence: 5, kind: .actionFailed, cause: .agent("a"), payload: .action(ActionInfo(name: "click", error: "timeout"))))
        buffer.add(BrowserEvent(sequence: 6, kind: .actionFinished, cause: .agent("a"), payload: .action(ActionInfo(name: "click"))))
        buffer.add(BrowserEvent(sequence: 7, kind: .navigation, cause: .agent("a"), payload: .navigation(NavigationInfo(url: "u", errorText: "net::ERR_NAME_NOT_RESOLVED"))))
        #expect(buffer.errors().map(\.sequence) == [2, 3, 4, 5, 7])
    }

    @Test func eventsAreJSON() throws {
        let event = BrowserEvent(sequence: 7, timestamp: Date(timeIntervalSince1970: 1_800_000_000), kind: "app.checkpoint",
                                 cause: .human("alice"), target: "T9", payload: .custom(["step": "3"]))
        let data = try JSONEncoder().encode(event)
        #expect(try JSONDecoder().decode(BrowserEvent.self, from: data) == event)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""kind":"app.checkpoint""#))
    }
}

@Suite struct ContextStringTests {
    func sampleHub() -> EventHub {
        let clock = StepClock()
        let hub = EventHub(now: { clock.now() })
        hub.publish(.navigation, cause: .agent("collector"), payload: .navigation(NavigationInfo(url: "https://shop.test/login")))
        for i in 0..<12 {
            hub.publish(.request, cause: .page, payload: .request(RequestInfo(id: "\(i)", url: "https://shop.test/poll", method: "GET")))
            if i % 4 == 0 { hub.publish(.console, cause: .page, payload: console("error", "TypeError: cart is undefined")) }
        }
        hub.publish(.pageLoaded, cause: .page, payload: .page(PageInfo(url: "https://shop.test/login")))
        hub.publish(.actionFailed, cause: .agent("collector"), payload: .action(ActionInfo(name: "click", target: "#buy", error: "element not found")))
        return hub
    }

    @Test func errorsFirstRepeatsFoldedNewestLast() {
        let text = sampleHub().contextString(maxTokens: 1000)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "Browser events (newest last):")
        #expect(lines[1] == "Errors:")
        let errorIndex = lines.firstIndex { $0.contains("TypeError: cart is undefined") }!
        let actionIndex = lines.firstIndex { $0.contains("click #buy failed") }!
        #expect(lines[errorIndex].hasSuffix("×3"))
        #expect(errorIndex < actionIndex)      // newest error last
        #expect(lines.contains { $0.hasPrefix("Other recent events:") })
        // Identical requests fold once the errors between them have moved to their own section.
        #expect(lines.contains { $0.contains("request page GET https://shop.test/poll ×12") })
        #expect(lines.last!.contains("pageLoaded"))
        #expect(!text.contains("Left out"))
    }

    @Test func neverExceedsTheBudgetAndSaysWhatItLeftOut() {
        let hub = sampleHub()
        for budget in 0...400 {
            let text = hub.contextString(maxTokens: budget)
            #expect(EventBuffer.estimatedTokens(text) <= budget, "budget \(budget)")
        }
        let small = hub.contextString(maxTokens: 80)
        #expect(small.contains("Left out: 3 older errors; 14 older events (12 request, 1 navigation, 1 pageLoaded)."))
        // The newest error survives longest.
        #expect(small.contains("element not found"))
        #expect(!small.contains("pageLoaded page"))
        // Too small for any event: only the note.
        #expect(hub.contextString(maxTokens: 30).hasPrefix("Left out:"))
    }

    @Test func aCustomTokenCounterIsHonoured() {
        let hub = sampleHub()
        let words: (String) -> Int = { $0.split(whereSeparator: \.isWhitespace).count }
        let text = hub.contextString(maxTokens: 40, countTokens: words)
        #expect(words(text) <= 40)
        #expect(!text.isEmpty)
    }

    @Test func mentionsEventsTheBufferNoLongerHolds() {
        let hub = EventHub(capacity: 3)
        for i in 0..<10 { hub.publish(.titleChanged, cause: .page, payload: .page(PageInfo(title: "t\(i)"))) }
        let text = hub.contextString(maxTokens: 500)
        #expect(text.contains("7 before those, no longer held"))
        #expect(EventBuffer().contextString(maxTokens: 100) == "No browser events yet.")
    }
}

@Suite struct EventHubSubscriptionTests {
    @Test func subscribersGetEventsInOrderFilteredByKind() async {
        let hub = EventHub()
        let all = hub.subscribe()
        let errorsOnly = hub.subscribe(kinds: [.pageError])
        hub.publish(.navigation, cause: .system)
        hub.publish(.pageError, cause: .page, payload: .pageError(PageErrorInfo(message: "boom")))
        hub.publish(.pageLoaded, cause: .page)
        hub.close()
        var seen: [UInt64] = []
        for await element in all { seen.append(element.event!.sequence) }
        #expect(seen == [1, 2, 3])
        var errors: [String] = []
        for await element in errorsOnly { errors.append(element.event!.summary) }
        #expect(errors == ["pageError page boom"])
    }

    /// A second loop over the same subscription goes on where the first stopped: events the first
    /// loop's batch had taken but not returned are not lost.
    @Test func aSecondLoopGoesOnWhereTheFirstStopped() async {
        let hub = EventHub()
        let subscription = hub.subscribe()
        for _ in 0..<5 { hub.publish(.request, cause: .page) }
        var first: UInt64?
        for await element in subscription {
            first = element.event?.sequence
            break
        }
        var second: UInt64?
        for await element in subscription {
            second = element.event?.sequence
            break
        }
        hub.close()
        var rest: [UInt64] = []
        for await element in subscription { rest.append(element.event!.sequence) }
        #expect(first == 1 && second == 2 && rest == [3, 4, 5])
    }

    @Test func aSlowSubscriberLosesTheOldestAndIsToldHowMany() async {
        let hub = EventHub()
        let slow = hub.subscribe(bufferSize: 10)
        for _ in 0..<25 { hub.publish(.request, cause: .page) }
        hub.close()
        var elements: [EventSubscription.Element] = []
        for await element in slow { elements.append(element) }
        #expect(elements.first == .missed(count: 15))
        #expect(elements.dropFirst().map { $0.event!.sequence } == Array(16...25))
    }

    @Test func aStalledSubscriberNeitherBlocksNorGrows() async {
        let hub = EventHub()
        let stalled = hub.subscribe(bufferSize: 100)
        for _ in 0..<200_000 { hub.publish(.request, cause: .page) }
        hub.close()
        var count = 0
        var missed = 0
        for await element in stalled {
            if case .missed(let n) = element { missed += n } else { count += 1 }
        }
        #expect(count == 100)
        #expect(missed == 199_900)
    }

    @Test func resumingFromASequenceReplaysWhatIsHeldAndReportsTheGap() async {
        let hub = EventHub(capacity: 5)
        for _ in 0..<8 { hub.publish(.request, cause: .page) }   // holds 4...8
        let resumed = hub.subscribe(from: 2)
        hub.publish(.pageLoaded, cause: .page)                    // 9
        hub.close()
        var elements: [EventSubscription.Element] = []
        for await element in resumed { elements.append(element) }
        #expect(elements.first == .missed(count: 2))              // 2 and 3 are gone
        #expect(elements.dropFirst().map { $0.event!.sequence } == [4, 5, 6, 7, 8, 9])

        let upToDate = EventHub(capacity: 5)
        for _ in 0..<3 { upToDate.publish(.request, cause: .page) }
        let fromTwo = upToDate.subscribe(from: 2)
        upToDate.close()
        var sequences: [UInt64] = []
        for await element in fromTwo { sequences.append(element.event!.sequence) }
        #expect(sequences == [2, 3])
    }

    @Test func concurrentPublishersAreDeliveredInSequenceOrder() async {
        let hub = EventHub()
        let subscription = hub.subscribe(bufferSize: 50_000)
        await withTaskGroup(of: Void.self) { group in
            for p in 0..<4 {
                group.addTask {
                    for i in 0..<5_000 { hub.publish(.custom, cause: .agent("p\(p)"), payload: .custom(["i": "\(i)"])) }
                }
            }
        }
        hub.close()
        var last: UInt64 = 0
        var count = 0
        for await element in subscription {
            let sequence = element.event!.sequence
            #expect(sequence == last + 1)
            last = sequence
            count += 1
        }
        #expect(count == 20_000)
    }

    @Test func aLiveConsumerWakesForEachBurst() async {
        let hub = EventHub()
        let subscription = hub.subscribe()
        let consumer = Task {
            var got: [UInt64] = []
            for await element in subscription {
                got.append(element.event!.sequence)
                if got.count == 3 { break }
            }
            return got
        }
        // Published while the consumer runs concurrently: whether it is asleep or draining, it must
        // get all three, in order.
        for _ in 0..<3 { hub.publish(.request, cause: .page) }
        #expect(await consumer.value == [1, 2, 3])
    }

    @Test func droppingOrCancellingASubscriptionUnsubscribes() async {
        let hub = EventHub()
        do {
            let subscription = hub.subscribe()
            #expect(hub.subscriberCount == 1)
            _ = subscription
        }
        #expect(hub.subscriberCount == 0)
        let cancelled = hub.subscribe()
        cancelled.cancel()
        #expect(hub.subscriberCount == 0)
        var iterator = cancelled.makeAsyncIterator()
        #expect(await iterator.next() == nil)

        let waiting = hub.subscribe()
        let task = Task { () -> Int in
            var n = 0
            for await _ in waiting { n += 1 }
            return n
        }
        task.cancel()
        #expect(await task.value == 0)
    }
}

extension BrowserEvent.Kind {
    static let custom: Self = "test.custom"
}

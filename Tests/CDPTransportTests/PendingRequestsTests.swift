@testable import CDPTransport
import Foundation
import Testing

@Suite struct PendingRequestsTests {
    typealias Registry = PendingRequests<String>

    func entry(_ id: Int, deadline: UInt64, session: String = "") -> Registry.Entry {
        .init(id: id, method: "M\(id)", sessionId: session, deadline: deadline, waiter: "w\(id)")
    }

    @Test func completesByIdOnce() {
        var registry = Registry()
        registry.add(entry(1, deadline: 100))
        registry.add(entry(2, deadline: 200))
        registry.add(entry(3, deadline: 50))
        let earliest = registry.nextDeadline
        #expect(earliest == 50)
        let completed = registry.complete(2)
        let again = registry.complete(2)
        let unknown = registry.complete(99)
        #expect(completed?.waiter == "w2")
        #expect(again == nil && unknown == nil)
        #expect(registry.count == 2)
    }

    @Test func expiresInDeadlineOrderAndSkipsCompleted() {
        var registry = Registry()
        for (id, deadline) in [(1, 300), (2, 100), (3, 200), (4, 400)] { registry.add(entry(id, deadline: UInt64(deadline))) }
        _ = registry.complete(3)
        let next = registry.nextDeadline
        let expired = registry.expire(now: 250).map(\.id)
        let following = registry.nextDeadline
        let rest = registry.expire(now: 1000).map(\.id)
        let none = registry.nextDeadline
        #expect(next == 100 && expired == [2])
        #expect(following == 300 && rest == [1, 4])
        #expect(registry.isEmpty && none == nil)
    }

    @Test func failsOneSessionOrEverything() {
        var registry = Registry()
        registry.add(entry(1, deadline: 10, session: "A"))
        registry.add(entry(2, deadline: 10, session: "B"))
        registry.add(entry(3, deadline: 10, session: "A"))
        let sessionA = Set(registry.removeAll(sessionId: "A").map(\.id))
        #expect(sessionA == [1, 3])
        #expect(registry.outstanding.map(\.id) == [2])
        let everything = registry.removeAll().map(\.id)
        #expect(everything == [2])
        #expect(registry.isEmpty)
    }

    @Test func manyRandomDeadlinesExpireInOrder() {
        var registry = Registry()
        var generator = SystemRandomNumberGenerator()
        for id in 0..<2000 { registry.add(entry(id, deadline: UInt64.random(in: 0..<10_000, using: &generator))) }
        var last: UInt64 = 0
        for now in stride(from: UInt64(0), through: 10_036, by: 37) {
            let batch = registry.expire(now: now)
            for expired in batch {
                #expect(expired.deadline <= now && expired.deadline >= last)
                last = expired.deadline
            }
        }
        #expect(registry.isEmpty)
    }
}

@Suite struct ReplyScanTests {
    func scan(_ text: String) -> Int? { Data(text.utf8).withUnsafeBytes { scanReplyID($0) } }

    @Test func readsTheIdOfRepliesOnly() {
        #expect(scan(#"{"id":12,"result":{}}"#) == 12)
        #expect(scan(#"{"id":7}"#) == 7)
        #expect(scan(#"{"method":"Page.loadEventFired","params":{}}"#) == nil)
        #expect(scan(#"{"id":"x"}"#) == nil)
        #expect(scan(#"{"id":12x}"#) == nil)
        #expect(scan(#"{"id":"#) == nil)
        #expect(scan("") == nil)
        #expect(scan(#"{"id":99999999999999999999999,"result":{}}"#) == nil)
    }
}

@Suite struct JSONValueTests {
    @Test func roundTripsAndReads() throws {
        let value: JSONValue = ["a": 1, "b": [true, nil, "x"], "c": ["d": 2.5]]
        let decoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
        #expect(decoded == value)
        #expect(value["a"]?.intValue == 1)
        #expect(value["b"]?[0]?.boolValue == true)
        #expect(value["b"]?[1]?.isNull == true)
        #expect(value["c"]?["d"]?.doubleValue == 2.5)
        #expect(value["missing"] == nil)
        #expect(value.description == #"{"a":1,"b":[true,null,"x"],"c":{"d":2.5}}"#)
    }

    @Test func stringEnumsTolerateUnknownValues() throws {
        let known = try JSONDecoder().decode(Page.TransitionType.self, from: Data(#""link""#.utf8))
        #expect(known == .link)
        let future = try JSONDecoder().decode(Page.TransitionType.self, from: Data(#""teleport""#.utf8))
        #expect(future.rawValue == "teleport")
    }

    @Test func commandsEncodeOnlyWhatIsSet() throws {
        let json = try JSONValue(encoding: Page.Navigate(url: "https://example.test/"))
        #expect(json == ["url": "https://example.test/"])
        #expect(Page.Navigate.method == "Page.navigate")
    }
}

import EventBuffer
import Testing

@Suite struct RingBufferTests {
    @Test func keepsTheNewestAndCountsWhatItOverwrote() {
        var ring = RingBuffer<Int>(capacity: 3)
        #expect(ring.isEmpty)
        for i in 1...5 { ring.append(i) }
        #expect(ring.elements == [3, 4, 5])
        #expect(ring.overwrittenCount == 2)
        #expect(ring.isFull)
        #expect(ring.suffix(2) == [4, 5])
        #expect(ring.suffix(10) == [3, 4, 5])
        #expect(ring.popFirst() == 3)
        ring.append(6)
        #expect(ring.elements == [4, 5, 6])
        ring.removeAll()
        #expect(ring.elements.isEmpty && ring.overwrittenCount == 2)
    }

    @Test func memoryStaysBoundedUnderManyAppends() {
        var ring = RingBuffer<Int>(capacity: 50)
        for i in 0..<100_000 { ring.append(i) }
        #expect(ring.count == 50)
        #expect(ring.elements.first == 99_950)
        #expect(ring.overwrittenCount == 99_950)
    }

    @Test func growsAsItFillsAndKeepsOrderAcrossGrowth() {
        var ring = RingBuffer<Int>(capacity: 100)
        for i in 0..<10 { ring.append(i) }
        for _ in 0..<5 { _ = ring.popFirst() }              // head moves before the storage grows
        for i in 10..<60 { ring.append(i) }
        #expect(ring.elements == Array(5..<60))
        for i in 60..<200 { ring.append(i) }
        #expect(ring.count == 100 && ring.elements == Array(100..<200))
        #expect(ring.overwrittenCount == 95)
    }
}

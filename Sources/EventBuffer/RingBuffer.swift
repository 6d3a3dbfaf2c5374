/// A fixed-capacity first-in, first-out buffer that overwrites its oldest element when full.
///
/// The storage the event buffer and per-subscriber queues are built on: memory stays bounded however
/// many elements are appended, and the buffer counts what it overwrote so callers can say so. Storage
/// grows as elements arrive (doubling, up to the capacity), so a large capacity costs nothing until
/// it is used.
public struct RingBuffer<Element>: Sendable where Element: Sendable {
    private var storage: [Element?] = []
    private var head = 0
    /// The most elements the buffer holds.
    public let capacity: Int
    /// How many elements are held.
    public private(set) var count = 0
    /// How many elements were overwritten because the buffer was full, since creation.
    public private(set) var overwrittenCount = 0

    /// Creates an empty buffer holding at most `capacity` elements.
    /// - Precondition: `capacity` is at least 1.
    public init(capacity: Int) {
        precondition(capacity >= 1, "a ring buffer needs a capacity of at least 1, got \(capacity)")
        self.capacity = capacity
    }

    /// Whether it holds nothing.
    public var isEmpty: Bool { count == 0 }
    /// Whether the next append drops the oldest element.
    public var isFull: Bool { count == capacity }

    /// Appends `element`; when full, the oldest element is dropped and returned.
    @discardableResult
    public mutating func append(_ element: Element) -> Element? {
        if count == storage.count, storage.count < capacity { grow() }
        if count < storage.count {
            storage[(head + count) % storage.count] = element
            count += 1
            return nil
        }
        let dropped = storage[head]
        storage[head] = element
        head = (head + 1) % storage.count
        overwrittenCount += 1
        return dropped
    }

    /// Removes and returns the oldest element.
    public mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// Removes every element; `overwrittenCount` is kept.
    public mutating func removeAll() {
        storage = []
        head = 0
        count = 0
    }

    /// Doubles the storage (within the capacity), putting the elements in order from slot 0.
    private mutating func grow() {
        let size = Swift.min(capacity, Swift.max(16, storage.count * 2))
        var grown: [Element?] = []
        grown.reserveCapacity(size)
        for i in 0..<count { grown.append(storage[(head + i) % storage.count]) }
        grown.append(contentsOf: repeatElement(nil, count: size - count))
        storage = grown
        head = 0
    }

    /// The elements from oldest to newest.
    public var elements: [Element] { (0..<count).map { storage[(head + $0) % storage.count]! } }

    /// The newest `n` elements (or fewer), oldest first.
    public func suffix(_ n: Int) -> [Element] {
        let k = max(0, min(n, count))
        return (count - k..<count).map { storage[(head + $0) % storage.count]! }
    }
}

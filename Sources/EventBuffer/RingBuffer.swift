/// A fixed-capacity first-in, first-out buffer that overwrites its oldest element when full.
///
/// The storage the event buffer and per-subscriber queues are built on: memory stays bounded however
/// many elements are appended, and the buffer counts what it overwrote so callers can say so.
public struct RingBuffer<Element>: Sendable where Element: Sendable {
    private var storage: [Element?]
    private var head = 0
    /// How many elements are held.
    public private(set) var count = 0
    /// How many elements were overwritten because the buffer was full, since creation.
    public private(set) var overwrittenCount = 0

    /// Creates an empty buffer holding at most `capacity` elements.
    /// - Precondition: `capacity` is at least 1.
    public init(capacity: Int) {
        precondition(capacity >= 1, "a ring buffer needs a capacity of at least 1, got \(capacity)")
        storage = Array(repeating: nil, count: capacity)
    }

    /// The most elements the buffer holds.
    public var capacity: Int { storage.count }
    public var isEmpty: Bool { count == 0 }
    public var isFull: Bool { count == storage.count }

    /// Appends `element`; when full, the oldest element is dropped and returned.
    @discardableResult
    public mutating func append(_ element: Element) -> Element? {
        let tail = (head + count) % storage.count
        if count < storage.count {
            storage[tail] = element
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
        for i in storage.indices { storage[i] = nil }
        head = 0
        count = 0
    }

    /// The elements from oldest to newest.
    public var elements: [Element] { (0..<count).map { storage[(head + $0) % storage.count]! } }

    /// The newest `n` elements (or fewer), oldest first.
    public func suffix(_ n: Int) -> [Element] {
        let k = max(0, min(n, count))
        return (count - k..<count).map { storage[(head + $0) % storage.count]! }
    }
}

/// The commands awaiting a reply on one connection, with their deadlines.
///
/// A pure value: the connection keeps it under its lock and resumes the waiters it hands back.
/// Deadlines are kept in a min-heap with lazy deletion, so registering and completing are O(log n) and
/// O(1), and finding what expired is O(k log n).
struct PendingRequests<Waiter> {
    struct Entry {
        var id: Int
        var method: String
        var sessionId: String
        var deadline: UInt64
        var waiter: Waiter
    }

    private(set) var entries: [Int: Entry] = [:]
    private var heap: [(deadline: UInt64, id: Int)] = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// Registers a command.
    mutating func add(_ entry: Entry) {
        entries[entry.id] = entry
        heap.append((entry.deadline, entry.id))
        siftUp(heap.count - 1)
    }

    /// Removes and returns the command with `id` (a reply arrived), or nil if unknown or already gone.
    mutating func complete(_ id: Int) -> Entry? {
        let entry = entries.removeValue(forKey: id)
        if entries.isEmpty { heap.removeAll(keepingCapacity: true) }
        return entry
    }

    /// Removes and returns every command whose deadline is at or before `now`.
    mutating func expire(now: UInt64) -> [Entry] {
        var expired: [Entry] = []
        while let top = heap.first, top.deadline <= now {
            popHeap()
            if let entry = entries[top.id], entry.deadline == top.deadline {
                entries.removeValue(forKey: top.id)
                expired.append(entry)
            }
        }
        return expired
    }

    /// The earliest deadline still pending, if any.
    var nextDeadline: UInt64? {
        mutating get {
            while let top = heap.first {
                if let entry = entries[top.id], entry.deadline == top.deadline { return top.deadline }
                popHeap()
            }
            return nil
        }
    }

    /// Removes and returns every command sent on `sessionId`.
    mutating func removeAll(sessionId: String) -> [Entry] {
        let matching = entries.values.filter { $0.sessionId == sessionId }
        for entry in matching { entries.removeValue(forKey: entry.id) }
        return matching
    }

    /// Removes and returns every command.
    mutating func removeAll() -> [Entry] {
        defer {
            entries.removeAll()
            heap.removeAll()
        }
        return Array(entries.values)
    }

    /// For diagnostics: what is outstanding, oldest id first.
    var outstanding: [(id: Int, method: String, sessionId: String)] {
        entries.values.sorted { $0.id < $1.id }.map { ($0.id, $0.method, $0.sessionId) }
    }

    private mutating func popHeap() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// Finds the id of a reply from its first bytes: Chrome writes replies as `{"id":N,...`. Anything else
/// (events, other layouts) returns nil and goes the slow, fully decoded way.
func scanReplyID(_ bytes: UnsafeRawBufferPointer) -> Int? {
    let prefix: StaticString = #"{"id":"#
    let n = prefix.utf8CodeUnitCount
    guard bytes.count > n else { return nil }
    let p = prefix.utf8Start
    for i in 0..<n where bytes[i] != p[i] { return nil }
    var value = 0
    var index = n
    while index < bytes.count, index < n + 18 {
        let byte = bytes[index]
        guard byte >= 0x30, byte <= 0x39 else { break }
        value = value * 10 + Int(byte - 0x30)
        index += 1
    }
    guard index > n, index < bytes.count, bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "}") else {
        return nil
    }
    return value
}

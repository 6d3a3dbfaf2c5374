import SharedBrowserSupport
import Testing

@Suite struct OneShotTests {
    /// Whoever comes first resumes the waiter; every later resume is ignored (no double-resume trap).
    @Test func resumesExactlyOnce() async {
        let shot = OneShot<Int>()
        let value = await shot.wait {
            #expect(shot.resume(returning: 1))
            #expect(!shot.resume(returning: 2))
        }
        #expect(value == 1)
        #expect(!shot.resume(returning: 3))
    }

    @Test func racingResumersAgreeOnOne() async {
        for _ in 0..<200 {
            let shot = OneShot<Int>()
            let value = await shot.wait {
                for n in 1...4 { Task.detached { shot.resume(returning: n) } }
            }
            #expect((1...4).contains(value))
        }
    }
}

@Suite struct ActionQueueTests {
    /// Waiters get the queue in the order they asked, one at a time.
    @Test func handsOverInOrder() async {
        let queue = ActionQueue()
        let order = LockedValue<[Int]>([])
        await queue.acquire()
        var tasks: [Task<Void, Never>] = []
        for n in 1...5 {
            let queued = OneShot<Void>()
            tasks.append(Task {
                await queue.acquire()
                order.withLock { $0.append(n) }
                queue.release()
            })
            // Each task is in line before the next one starts.
            await queued.wait { Task { while !queue.hasWaiters(atLeast: n) { await Task.yield() }; queued.resume(returning: ()) } }
        }
        queue.release()
        for task in tasks { await task.value }
        #expect(order.withLock { $0 } == [1, 2, 3, 4, 5])
    }
}

@Suite struct FlushGateTests {
    @Test func aMarkerReleasesItsWaiterAndAClosedGateReleasesEveryone() async {
        let gate = FlushGate()
        await gate.wait(1) { gate.release(1) }
        gate.close()
        await gate.wait(2) { Issue.record("a closed gate sends no marker") }
    }
}

// Helpers shared by the test targets.
public import CDPTransport
public import Testing

/// Runs `body` and returns the `CDPError` it throws; records an issue when it throws nothing or
/// something else.
public func cdpError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> CDPError? {
    do {
        try await body()
        Issue.record("expected a CDPError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as CDPError {
        return error
    } catch {
        Issue.record("expected a CDPError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Runs `operation`, giving up after `timeout`: its result, or nil when time ran out first.
public func within<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async -> T?) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

extension AsyncStream where Element: Sendable {
    /// The next element, or nil if the stream ends or `timeout` passes first.
    public func next(within timeout: Duration) async -> Element? {
        await within(timeout) {
            var iterator = self.makeAsyncIterator()
            return await iterator.next()
        }
    }
}

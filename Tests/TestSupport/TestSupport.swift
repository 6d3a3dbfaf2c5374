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

extension AsyncStream where Element: Sendable {
    /// The next element, or nil if the stream ends or `timeout` passes first.
    public func next(within timeout: Duration) async -> Element? {
        await withTaskGroup(of: Element?.self) { group in
            group.addTask {
                var iterator = self.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

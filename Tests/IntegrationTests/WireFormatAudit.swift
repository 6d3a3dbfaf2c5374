import EventBuffer
import Foundation
import SharedBrowserSupport
import SharedSession
import TestSupport
import Testing

/// Checks every event (and the action inside each action event) the real-browser tests produce
/// against the published JSON Schemas: sessions made by the test helpers are watched, and once every
/// real-browser test has run, each event that did not fit is an issue of the `Chromium` suite.
final class WireFormatAudit: Sendable {
    static let shared = WireFormatAudit()

    private struct Tally {
        var watched = 0
        var checked = 0
        var kinds: Set<String> = []
        var actions: Set<String> = []
        var failures: [String] = []
    }
    private let tally = LockedValue(Tally())
    private let tasks = LockedValue<[Task<Void, Never>]>([])
    private let schemas = Result { try JSONSchemaSet.published() }

    /// Checks every event `session` publishes from now on, until it closes.
    @discardableResult
    func watch(_ session: SharedBrowserSession) -> SharedBrowserSession {
        let events = session.events.subscribe(bufferSize: 1 << 16)
        tally.withLock { $0.watched += 1 }
        let task = Task.detached { [self] in
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            for await element in events {
                guard let event = element.event, let data = try? encoder.encode(event) else { continue }
                check(event, data, encoder)
            }
        }
        tasks.withLock { $0.append(task) }
        return session
    }

    private func check(_ event: BrowserEvent, _ data: Data, _ encoder: JSONEncoder) {
        var failures: [String] = []
        switch schemas {
        case .success(let set):
            failures = set.errors(in: data, against: "event.schema.json")
            // Read back and written again, it is the same JSON (times are kept to the millisecond).
            let again = (try? JSONDecoder().decode(BrowserEvent.self, from: data)).flatMap { try? encoder.encode($0) }
            if failures.isEmpty, again != data { failures = ["does not read back as the same event"] }
        case .failure(let error):
            failures = ["the schemas cannot be read: \(error)"]
        }
        let line = String(decoding: data.prefix(600), as: UTF8.self)
        tally.withLock { tally in
            tally.checked += 1
            tally.kinds.insert(event.kind.rawValue)
            if case .action(let info) = event.payload, let action = info.action { tally.actions.insert(action.type.rawValue) }
            if !failures.isEmpty, tally.failures.count < 20 { tally.failures.append("\(line): \(failures.joined(separator: "; "))") }
        }
    }

    /// Waits for the watchers to finish what they have read (sessions closed or not), then answers.
    func finish() async -> (watched: Int, checked: Int, kinds: Set<String>, actions: Set<String>, failures: [String]) {
        let running = tasks.withLock { tasks in defer { tasks = [] }; return tasks }
        for task in running { task.cancel() }
        for task in running { await task.value }
        return tally.withLock { ($0.watched, $0.checked, $0.kinds, $0.actions, $0.failures) }
    }
}

/// Runs the `Chromium` suite, then reports what the wire-format audit found.
struct WireFormatAuditTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await function()
        let audit = await WireFormatAudit.shared.finish()
        guard audit.watched > 0 else { return }
        #expect(audit.checked > 0, "sessions were watched but no event was checked")
        for failure in audit.failures { Issue.record("an event does not fit Documentation/schemas: \(failure)") }
        print("wire-format audit: \(audit.checked) events of \(audit.kinds.count) kinds and actions of \(audit.actions.count) types fit the schemas")
    }
}

extension Trait where Self == WireFormatAuditTrait {
    /// Checks the events of the suite's sessions against the published schemas.
    static var wireFormatAudit: Self { WireFormatAuditTrait() }
}

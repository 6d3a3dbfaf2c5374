import Dispatch
import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// Closes registered sessions and exits when SIGINT or SIGTERM arrives.
final class TerminationSignals: Sendable {
    static let shared = TerminationSignals()

    private struct State {
        var sessions: [ObjectIdentifier: SharedBrowserSession] = [:]
        var sources: [any DispatchSourceSignal] = []
        var closing = false
    }
    private let state = LockedValue(State())

    func add(_ session: SharedBrowserSession) {
        state.withLock { s in
            s.sessions[ObjectIdentifier(session)] = session
            guard s.sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in received(number) }
                source.resume()
                s.sources.append(source)
            }
        }
    }

    private func received(_ number: Int32) {
        let (sessions, again) = state.withLock { s -> ([SharedBrowserSession], Bool) in
            defer { s.closing = true }
            return (Array(s.sessions.values), s.closing)
        }
        if again { exit(128 + number) }
        Task {
            await withTaskGroup(of: Void.self) { group in
                for session in sessions { group.addTask { await session.close() } }
            }
            exit(128 + number)
        }
    }
}

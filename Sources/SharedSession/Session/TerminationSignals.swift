import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// The write end of the pipe a termination signal's handler writes its number to.
private nonisolated(unsafe) var signalPipeWriteEnd: Int32 = -1

/// The signal handler: async-signal-safe, it only writes the signal's number to the pipe.
private func noteTerminationSignal(_ number: Int32) {
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteEnd, &byte, 1)
}

/// Closes registered sessions and exits when SIGINT or SIGTERM arrives.
///
/// A handler installed with `sigaction` writes the signal's number to a pipe that a thread of its own
/// reads. (A `DispatchSource` with the signal ignored lost it whenever the kernel delivered it to a
/// thread that did not block it — a reader thread of ours, say — since an ignored signal is dropped
/// there: the host then never closed.)
final class TerminationSignals: Sendable {
    static let shared = TerminationSignals()

    private struct State {
        var sessions: [ObjectIdentifier: SharedBrowserSession] = [:]
        var installed = false
        var closing = false
    }
    private let state = LockedValue(State())

    func add(_ session: SharedBrowserSession) {
        let install = state.withLock { s -> Bool in
            s.sessions[ObjectIdentifier(session)] = session
            defer { s.installed = true }
            return !s.installed
        }
        guard install else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        signalPipeWriteEnd = ends[1]
        let readEnd = ends[0]
        let reader = Thread { [self] in
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 { received(Int32(byte)) } else if count < 0, errno == EINTR { continue } else { return }
            }
        }
        reader.name = "SharedSession.TerminationSignals"
        reader.start()
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = noteTerminationSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
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

import Foundation
import WebSockets
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a profile directory, held while a session uses it.
///
/// An advisory `flock` on `<profile>/SharedBrowser.lock`: a second session (in this or another
/// process) fails at once, and the kernel drops the lock when the holder dies, so a killed session
/// never leaves a stale lock behind. Chromium's own `SingletonLock` from a killed browser is removed
/// when its process is gone.
final class ProfileLock: Sendable {
    let directory: String
    private let descriptor: Int32

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    static func acquire(_ directory: String) throws -> ProfileLock {
        let path = directory + "/SharedBrowser.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SessionError(.profileLocked, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw SessionError(.profileLocked,
                               "the profile \(directory) is in use by another session; close that session or use another session id")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBufferPointer { pwrite(fd, $0.baseAddress, $0.count, 0) }
        let lock = ProfileLock(directory: directory, descriptor: fd)
        do { try lock.clearStaleChromiumLock() } catch {
            lock.release()
            throw error
        }
        return lock
    }

    /// Chromium marks a profile in use with a `SingletonLock` symlink to `host-pid`. If that process
    /// is gone (a killed browser), the lock and its companions are removed; if it runs, the profile is
    /// in use by a browser outside this library.
    private func clearStaleChromiumLock() throws {
        let lockPath = directory + "/SingletonLock"
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: lockPath) else { return }
        var hostBuffer = [CChar](repeating: 0, count: 256)
        gethostname(&hostBuffer, hostBuffer.count)
        let host = String(decoding: hostBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let dash = target.lastIndex(of: "-"), let pid = Int32(target[target.index(after: dash)...]),
           String(target[..<dash]) == host, kill(pid, 0) == 0 || errno == EPERM {
            throw SessionError(.profileLocked, "Chromium (pid \(pid)) is using the profile \(directory)")
        }
        for name in ["SingletonLock", "SingletonCookie", "SingletonSocket"] {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Runs actions one at a time, in the order they were asked for.
final class ActionQueue: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = LockedValue(State())

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.busy {
                    s.busy = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()   // stays busy: handed straight to the next
        }
        next?.resume()
    }
}

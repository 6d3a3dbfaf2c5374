import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a profile directory, held while a session uses it.
///
/// An advisory `flock` on `<profile>/SharedBrowser.lock`: a second session (in this or another
/// process) fails at once, and the kernel drops the lock when the holder dies, so a killed session
/// never leaves a stale lock behind. Chromium's own `SingletonLock` from a killed browser is removed
/// when its process is gone; a browser still running from a host that died (its environment names the
/// host) is ended first, so the profile is reclaimed.
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

    private func clearStaleChromiumLock() throws { try Self.clearStaleChromiumLock(in: directory) }

    /// Removes Chromium's lock files of a browser that is gone (before a relaunch on the same profile).
    static func clearChromiumLock(in directory: String) {
        for name in ["SingletonLock", "SingletonCookie", "SingletonSocket"] {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Chromium marks a profile in use with a `SingletonLock` symlink to `host-pid`. If that process
    /// is gone (a killed browser), the lock and its companions are removed; if it runs, the profile is
    /// in use by a browser outside this library.
    private static func clearStaleChromiumLock(in directory: String) throws {
        let lockPath = directory + "/SingletonLock"
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: lockPath) else { return }
        var hostBuffer = [CChar](repeating: 0, count: 256)
        gethostname(&hostBuffer, hostBuffer.count)
        let host = String(decoding: hostBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let dash = target.lastIndex(of: "-"), let pid = Int32(target[target.index(after: dash)...]),
           String(target[..<dash]) == host, Self.isRunning(pid) {
            guard let host = Self.hostOf(pid), !Self.isRunning(host) else {
                throw SessionError(.profileLocked, "Chromium (pid \(pid)) is using the profile \(directory)")
            }
            // A browser whose host died (the profile's lock is free, so no session holds it): end it.
            let group = getpgid(pid)
            _ = kill(group > 1 ? -group : pid, SIGKILL)
            var waited = 0
            while Self.isRunning(pid), waited < 300 {
                usleep(10_000)
                waited += 1
            }
            if Self.isRunning(pid) {
                throw SessionError(.profileLocked, "Chromium (pid \(pid)), left by a session whose process died, still holds the profile \(directory)")
            }
        }
        clearChromiumLock(in: directory)
    }

    /// Whether `pid` runs (a zombie does not).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// The pid of the host that launched the browser `pid`, from its environment (a browser this
    /// library launched names its host); nil for any other process.
    static func hostOf(_ pid: pid_t) -> pid_t? {
        guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = Array("SHARED_BROWSER_HOST_PID=".utf8)
        for entry in environment.split(separator: 0) where entry.starts(with: prefix) {
            return pid_t(String(decoding: entry.dropFirst(prefix.count), as: UTF8.self))
        }
        return nil
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

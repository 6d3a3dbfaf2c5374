import Foundation
import SharedBrowserSupport
#if canImport(Glibc)
import Glibc
#endif

/// A child process in its own process group, with its stderr tail kept and its exit observed.
///
/// Spawned with `posix_spawn` (no fork of a multithreaded Swift process), stdin and stdout on
/// `/dev/null`, stderr on a pipe read by a thread that keeps the last 4 KiB. Another thread waits for
/// the exit, so the owner learns of a crash at once.
final class ChildProcess: Sendable {
    let pid: pid_t
    private struct State {
        /// Set as soon as the process is reaped.
        var exited: Int32?
        /// Set once the stderr tail is complete too.
        var exitStatus: Int32?
        var exitWaiters: [Int: OneShot<Bool>] = [:]
        var nextWaiter = 0
        var onExit: [@Sendable (Int32) -> Void] = []
        var stderrTail: [UInt8] = []
    }
    private let state = LockedValue(State())
    private static let tailLimit = 4096

    /// The watchdog's pid and the write end of its pipe, while the process runs.
    private let watchdog: LockedValue<(pid: pid_t, fd: Int32)?>

    /// Starts `executable`. With `watchdog`, a small shell process watches a pipe that only this
    /// process holds open: when this process dies, by any signal, the kernel closes the pipe and the
    /// watchdog ends the child's process group (SIGTERM, then SIGKILL 1.5 s later) and removes
    /// `removeOnOrphan` (a temporary profile), so the child never outlives its host.
    ///
    /// With `pipe`, the child gets that descriptor as its 3 and 4 (what `--remote-debugging-pipe`
    /// reads and writes); it is closed here once the child has it.
    init(executable: String, arguments: [String], environment: [String: String]? = nil,
         watchdog: Bool = false, removeOnOrphan: String? = nil, pipe: Int32? = nil) throws {
        defer { if let pipe { close(pipe) } }
        var pipeFDs: [Int32] = [0, 0]
        guard pipeClosedOnExec(&pipeFDs) else {
            throw CDPError(.launchFailed, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        var env = environment ?? ProcessInfo.processInfo.environment
        // Names the host, so a later start can tell a browser orphaned by a dead host (ProfileLock).
        env[Self.hostVariable] = String(getpid())
        var child: pid_t = 0
        let rc = Self.spawn(executable, arguments, environment: env, stdin: nil, stderr: pipeFDs[1], pipe: pipe, pid: &child)
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw CDPError(.launchFailed, "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        if watchdog, let started = Self.startWatchdog(group: child, removing: removeOnOrphan) {
            self.watchdog = LockedValue(started)
        } else {
            self.watchdog = LockedValue(nil)
        }
        pid = child
        let readFD = pipeFDs[0]
        let stderrClosed = DispatchSemaphore(value: 0)
        let reader = Thread { [state] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(readFD, &buffer, buffer.count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                state.withLock { s in
                    s.stderrTail.append(contentsOf: buffer[0..<n])
                    if s.stderrTail.count > Self.tailLimit { s.stderrTail.removeFirst(s.stderrTail.count - Self.tailLimit) }
                }
            }
            close(readFD)
            stderrClosed.signal()
        }
        reader.name = "chromium-stderr"
        reader.start()
        let spawned = child
        let waiter = Thread { [self] in
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) < 0, errno == EINTR {}
            stopWatchdog()
            // Crash handlers first: pending work must fail at once.
            let handlers = state.withLock { s in
                defer { s.onExit.removeAll() }
                s.exited = status
                return s.onExit
            }
            handlers.forEach { $0(status) }
            // Let the reader take in what the process wrote last, so a launch failure can show it.
            // Helpers that inherited stderr may keep it open; do not wait for them long.
            _ = stderrClosed.wait(timeout: .now() + .milliseconds(300))
            let waiters = state.withLock { s in
                s.exitStatus = status
                defer { s.exitWaiters.removeAll() }
                return Array(s.exitWaiters.values)
            }
            waiters.forEach { $0.resume(returning: true) }
        }
        waiter.name = "chromium-wait"
        waiter.start()
    }

    /// The environment variable that names the host process's pid in the browser's environment.
    static let hostVariable = "SHARED_BROWSER_HOST_PID"

    /// Spawns with `posix_spawn` in a new process group, stdin from `stdin` (or `/dev/null`), stdout on
    /// `/dev/null`, stderr on `stderr`, `pipe` (when given) as 3 and 4, no other descriptor, default
    /// signal handling. Returns the error number (0 on success).
    private static func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
                              stdin: Int32?, stderr: Int32?, pipe: Int32? = nil, pid: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        if let stderr { posix_spawn_file_actions_adddup2(&actions, stderr, 2) } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // The child gets stdin, stdout and stderr only: no descriptor of the host process leaks into
        // the browser (which would also keep files the host writes "busy" for as long as it runs).
        var firstClosed: Int32 = 3
        if let pipe {
            posix_spawn_file_actions_adddup2(&actions, pipe, 3)
            posix_spawn_file_actions_adddup2(&actions, pipe, 4)
            firstClosed = 5
        }
        if let closeFrom = spawnCloseFrom {
            _ = closeFrom(&actions, firstClosed)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group: closing the browser can signal every process it started, and a Ctrl-C
        // meant for the host's group does not reach it.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGHUP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: another thread's spawn briefly inherited a write handle to a just-written
        // executable. It clears within milliseconds.
        var retries = 0
        while rc == ETXTBSY, retries < 50 {
            usleep(2000)
            retries += 1
            rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        return rc
    }

    /// Starts the watchdog of `group`; nil when it cannot (the child then runs without one).
    private static func startWatchdog(group: pid_t, removing directory: String?) -> (pid: pid_t, fd: Int32)? {
        var fds: [Int32] = [0, 0]
        // Close-on-exec on both ends: no other child of the host may hold the pipe open.
        guard pipeClosedOnExec(&fds) else { return nil }
        // `read` returns at end of file, that is when the host is gone. SIGTERM lets the browser write
        // its cookies and storage to disk; SIGKILL ends whatever is left.
        let script = """
            trap '' HUP INT TERM
            read -r _
            kill -TERM -"$1" 2>/dev/null
            i=0
            while [ $i -lt 15 ] && kill -0 -"$1" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
            kill -KILL -"$1" 2>/dev/null
            [ -n "$2" ] && rm -rf -- "$2"
            """
        var pid: pid_t = 0
        let rc = spawn("/bin/sh", ["-c", script, "shared-browser-watchdog", String(group), directory ?? ""],
                       environment: ["PATH": "/usr/bin:/bin"], stdin: fds[0], stderr: nil, pid: &pid)
        close(fds[0])
        guard rc == 0 else {
            close(fds[1])
            return nil
        }
        return (pid, fds[1])
    }

    /// Stops the watchdog (the child exited or is being closed by its owner).
    private func stopWatchdog() {
        guard let (pid, fd) = watchdog.withLock({ w in defer { w = nil }; return w }) else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        close(fd)
    }

    /// The last lines the process wrote to stderr.
    var stderrTail: String { state.withLock { String(decoding: $0.stderrTail, as: UTF8.self) } }

    /// Whether the process has exited (it is reaped at once).
    var hasExited: Bool { state.withLock { $0.exited != nil } }

    /// Whether the process is dead, even before it is reaped: a zombie counts (the kernel has ended
    /// it; only its exit status waits to be read).
    var isDead: Bool {
        if hasExited { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state == "Z" || state == "X"
    }

    /// The raw wait status once the process has exited.
    var exitStatus: Int32? { state.withLock { $0.exitStatus } }

    /// Calls `handler` (on another thread) when the process exits, or at once if it has.
    func onExit(_ handler: @escaping @Sendable (Int32) -> Void) {
        let status = state.withLock { s -> Int32? in
            if s.exited == nil { s.onExit.append(handler) }
            return s.exited
        }
        if let status { handler(status) }
    }

    /// Waits for the exit; returns false if the process is still running after `timeout`. The exit
    /// and the deadline race for one continuation: whichever comes first resumes it.
    func waitForExit(timeout: Duration) async -> Bool {
        let shot = OneShot<Bool>()
        var key: Int?
        var timer: Task<Void, Never>?
        let exited = await shot.wait {
            key = state.withLock { s -> Int? in
                guard s.exitStatus == nil else { return nil }
                s.nextWaiter += 1
                s.exitWaiters[s.nextWaiter] = shot
                return s.nextWaiter
            }
            guard key != nil else {
                shot.resume(returning: true)
                return
            }
            timer = Task {
                try? await Task.sleep(for: timeout)
                shot.resume(returning: false)
            }
        }
        timer?.cancel()
        if let key { state.withLock { _ = $0.exitWaiters.removeValue(forKey: key) } }
        return exited
    }

    /// Sends `signal` to the whole process group (the browser and every helper it started).
    func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with code \((status >> 8) & 0xff)" }
        return "killed by signal \(signal)"
    }
}

/// A pipe whose ends are closed on exec (`pipe2` is not exported to Swift).
private func pipeClosedOnExec(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
}

/// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), which Swift's Glibc module does not
/// export; nil on older systems, where descriptors without close-on-exec may leak into the child.
private let spawnCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

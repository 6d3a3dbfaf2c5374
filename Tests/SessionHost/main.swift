// A host process for fault tests: starts a session and waits to be killed or signalled.
//
//   session-host PROFILE_DIR|- [URL]
//
// Prints `ready <browser pid> <downloads folder>` once the session runs (after loading URL), then
// waits. SIGINT and SIGTERM close the session and exit; SIGKILL leaves the cleanup to the watchdog.
// With SESSION_HOST_RECORDING=DIR it records its timeline there, and after URL it keeps acting
// (reloading every 200 ms) so the recording grows until the host dies. With SESSION_HOST_LIVE_VIEW=1
// it serves a live view and prints `live <watch URL>` before `ready`; with SESSION_HOST_FILE_LIMIT=N
// it then lowers its own soft limit of open files to N (the browser, started before, keeps its own);
// SESSION_HOST_LIVE_VIEW_CONNECTIONS=N sets the live view's connection cap.
import Foundation
import LiveView
import SharedSession

let arguments = CommandLine.arguments.dropFirst()
var options = SharedBrowserSession.Options(id: "session-host")
if let profile = arguments.first, profile != "-" {
    options.profileDirectory = profile
} else {
    options.persistentProfile = false
}
// Without its watchdog, to leave an orphaned browser behind when killed.
if ProcessInfo.processInfo.environment["SESSION_HOST_NO_WATCHDOG"] == "1" { options.launch.closeWithHost = false }
let recording = ProcessInfo.processInfo.environment["SESSION_HOST_RECORDING"]
if let recording { options.recording = RecordingOptions(directory: recording) }
let session = try await SharedBrowserSession.start(options)
session.closeOnTerminationSignals()
if arguments.count > 1 {
    try await session.navigate(to: arguments[arguments.startIndex + 1], as: .system).get()
}
var liveView: LiveView?
if ProcessInfo.processInfo.environment["SESSION_HOST_LIVE_VIEW"] == "1" {
    var viewOptions = LiveView.Options()
    if let cap = ProcessInfo.processInfo.environment["SESSION_HOST_LIVE_VIEW_CONNECTIONS"].flatMap(Int.init) {
        viewOptions.maxConnections = cap
    }
    let view = try await session.liveView(viewOptions)
    liveView = view
    FileHandle.standardOutput.write(Data("live \(view.watchURL ?? "")\n".utf8))
}
if let limit = ProcessInfo.processInfo.environment["SESSION_HOST_FILE_LIMIT"].flatMap({ rlim_t($0) }) {
    var files = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
    files.rlim_cur = limit
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
}
FileHandle.standardOutput.write(Data("ready \(session.browserProcessID ?? 0) \(session.downloadsDirectory)\n".utf8))
while true {
    if recording != nil, arguments.count > 1 {
        _ = await session.reload(as: .system)
        try await Task.sleep(for: .milliseconds(200))
    } else {
        try await Task.sleep(for: .seconds(3600))
    }
}

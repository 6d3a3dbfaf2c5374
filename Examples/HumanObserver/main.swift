// HumanObserver: an agent signs in on the demo site, meets a "human check" it must not pass itself,
// and asks a person for help through the live view. Run it with `make observe` (or
// `swift run HumanObserver --wait 300`), open the control link it prints, click "Take over", tick
// "I am a human" (a click at the centre of the screen does it), and click "Hand back".
//
// Prints, one line at a time as it happens:
//   live view (watch): URL
//   live view (control): URL
//   waiting for help: REASON
//   handed back by human:person
//   (the brief: what changed while the person drove)
//   timeline recording: DIR, timeline report: PATH, timeline trace: PATH (what everyone did)
// Exits 0 when the task is done, 1 with a message when nobody helped within --wait seconds.
import DemoSite
import Foundation
import LiveView
import SharedSession
import Timeline

/// Writes a line at once, also when stdout is not a terminal.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

var wait = 300
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--wait", let value = arguments.popFirst().flatMap(Int.init), value > 0 {
        wait = value
    } else {
        FileHandle.standardError.write(Data("usage: HumanObserver [--wait SECONDS]\n".utf8))
        exit(2)
    }
}

let site = try await DemoSite.start()
var options = SharedBrowserSession.Options(id: "human-observer-demo")
options.persistentProfile = false
options.recording = RecordingOptions()
options.onHelpRequested = { request in
    // A real host would notify a person here (chat, e-mail) with the control link.
    FileHandle.standardError.write(Data("(notify someone: \(request.agent) needs \(request.reason))\n".utf8))
}
let session = try await SharedBrowserSession.start(options)
session.closeOnTerminationSignals()   // Ctrl-C closes the browser too

let view = try await session.liveView()
say("live view (watch): \(view.watchURL ?? "revoked")")
say("live view (control): \(view.controlURL ?? "revoked")")

let agent = Participant.agent("signer")
var exitCode: Int32 = 0
do {
    _ = await session.coordinator.tryRequestControl(for: agent)
    try await session.navigate(to: site.url("/login"), as: agent).get()
    try await session.fill("#username", DemoSite.username, as: agent).get()
    try await session.fill("#password", DemoSite.password, as: agent).get()
    try await session.click("#sign-in", as: agent).get()
    say("signed in: \(session.state.url)")

    try await session.navigate(to: site.url("/human-check"), as: agent).get()
    let reason = "a human check: tick \"I am a human\" (it is not mine to tick)"
    say("waiting for help: \(reason)")
    let brief = try await session.requestHumanHelp(reason: reason, by: agent, timeout: .seconds(wait))
    say("handed back by \(brief.person)")
    say(brief.description)

    // The agent takes over again and finishes: the box must be ticked by now.
    let ticked = try await session.evaluate("document.querySelector('#human').checked", as: agent).get()
    guard ticked.value == true else {
        throw SessionError(.notApplicable, "the box is not ticked: the person handed back without ticking \"I am a human\"")
    }
    let done = try await session.click("#continue", as: agent).get()
    say("done: \(done.title)")
} catch let error as SessionError where error.code == .timeout {
    FileHandle.standardError.write(Data("nobody helped within \(wait) s: open the control link, click Take over, tick the box, click Hand back\n".utf8))
    exitCode = 1
} catch {
    FileHandle.standardError.write(Data("failed: \(error)\n".utf8))
    exitCode = 1
}
await session.close()
await site.stop()
if let folder = session.recordingDirectory, let (report, trace) = try? Timeline(directory: folder).writeReportAndTrace() {
    say("timeline recording: \(folder)")
    say("timeline report: \(report)")
    say("timeline trace: \(trace)")
}
exit(exitCode)

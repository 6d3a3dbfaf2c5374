// HumanObserver: an agent signs in on the demo site, meets a "human check" it must not pass itself,
// and asks a person for help through the live view; then it waits for a word from the person and
// creates a project, which a person must approve. Run it with `make observe` (or
// `swift run HumanObserver --wait 300`), open the control link it prints, and:
//   1. click "Take over", tick "I am a human" (a click at the centre of the screen does it), click
//      "Hand back";
//   2. write the project's name in the Messages field and click "Send";
//   3. click "Approve" when the agent asks to click "Create project".
//
// Prints, one line at a time as it happens:
//   live view (watch): URL
//   live view (control): URL
//   waiting for help: REASON
//   handed back by human:person
//   (the brief: what the person did, in words)
//   waiting for a message: …
//   message from human:person: TEXT
//   waiting for approval: click button "Create project" …
//   approved by human:person
//   done: TITLE
//   timeline recording: DIR, timeline report: PATH, timeline trace: PATH (what everyone did)
// Exits 0 when the task is done, 1 with a message when nobody helped, wrote or approved within
// --wait seconds (or a person denied the approval).
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
// Creating a project is the person's call: the agent's click on "Create project" waits for Approve.
options.approvals = [try ApprovalRule(parsing: "click:Create*")]
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
    try await session.click("#continue", as: agent).get()

    // A word from the person: the project's name.
    let messages = session.events.subscribe(kinds: [.message], bufferSize: 16)
    say("waiting for a message: write the new project's name under Messages and click Send")
    let message = try await firstMessage(messages, within: .seconds(wait))
    say("message from \(message.from): \(message.text)")

    // The project, created once a person approves.
    let approvals = session.events.subscribe(kinds: [.approvalRequested, .approvalAnswered], bufferSize: 16)
    let watcher = Task {
        for await element in approvals {
            guard let event = element.event, case .approval(let info) = event.payload else { continue }
            if event.kind == .approvalRequested { say("waiting for approval: \(info.words)") }
            else { say("\(info.decision ?? "answered") by \(info.decidedBy ?? "nobody")" + (info.reason.map { ": \($0)" } ?? "")) }
        }
    }
    defer { watcher.cancel() }
    try await session.navigate(to: site.url("/projects/new"), as: agent).get()
    try await session.fill("#name", String(message.text.prefix(80)), as: agent).get()
    try await session.check("#agree", as: agent).get()
    let created = await session.click("#create", as: agent, options: .init(timeout: .seconds(wait)))
    if created.outcome == .rejected { throw SessionError(.notApplicable, "the site rejected the project: \(created.feedback?.description ?? "")") }
    let done = try created.get()
    say("done: \(done.title)")
} catch let error as SessionError where error.code == .timeout {
    FileHandle.standardError.write(Data("nobody answered within \(wait) s (\(error.message)): open the control link and follow the steps\n".utf8))
    exitCode = 1
} catch {
    FileHandle.standardError.write(Data("failed: \(error)\n".utf8))
    exitCode = 1
}
await session.close()
await site.stop()

/// The first message a person writes, or a timeout.
func firstMessage(_ messages: EventSubscription, within limit: Duration) async throws -> (from: String, text: String) {
    let found = await withTaskGroup(of: (String, String)?.self) { group in
        group.addTask {
            for await element in messages {
                if let event = element.event, event.cause.kind == .human, case .message(let text) = event.payload {
                    return (event.cause.description, text)
                }
            }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return await group.next() ?? nil
    }
    guard let found else { throw SessionError(.timeout, "no message from a person") }
    messages.cancel()
    return found
}
if let folder = session.recordingDirectory, let (report, trace) = try? Timeline(directory: folder).writeReportAndTrace() {
    say("timeline recording: \(folder)")
    say("timeline report: \(report)")
    say("timeline trace: \(trace)")
}
exit(exitCode)

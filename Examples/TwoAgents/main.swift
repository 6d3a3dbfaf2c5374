// TwoAgents: one shared browser, two agents taking turns.
//
// "collector" signs in to the demo site inside its turn; "creator" then creates a project inside
// its own turn, using the same signed-in session (the cookie the collector got). Every event is
// printed as it happens, tagged with who caused it. Run it with `make demo`.
import DemoSite
import Foundation
import SharedSession
import Timeline

let site = try await DemoSite.start()
var options = SharedBrowserSession.Options(id: "two-agents-demo")
options.persistentProfile = false            // a throwaway profile: the demo leaves only its recording
// Every event, and the screen before and after each step, for review afterwards. These scripted agents
// act back to back (a model thinks between steps), so each step waits for the picture of the one before.
options.recording = RecordingOptions(pictureWait: .seconds(1))
let session = try await SharedBrowserSession.start(options)
session.closeOnTerminationSignals()   // Ctrl-C closes the browser too
print("session \(session.id) started; demo site at \(site.baseURL)\n")

// Stream events to the terminal, tagged by participant (requests are left out to keep it readable).
let subscription = session.events.subscribe()
let printer = Task {
    for await element in subscription {
        guard let event = element.event, event.kind != .request, event.kind != .response else { continue }
        print("  #\(event.sequence) \(event.summary)")
    }
}

let collector = Participant.agent("collector")
let creator = Participant.agent("creator")

do {
    print("collector: signing in")
    try await session.coordinator.withTurn(for: collector, timeout: .seconds(30)) {
        try await session.navigate(to: site.url("/login"), as: collector).get()
        try await session.fill("#username", DemoSite.username, as: collector).get()
        try await session.fill("#password", DemoSite.password, as: collector).get()
        let signedIn = try await session.click("text=Sign in", as: collector).get()   // the button, not the heading
        print("collector: now at \(signedIn.url) — \"\(signedIn.title)\"")
        // The creator cannot act during the collector's turn:
        let refused = await session.click("#new-project", as: creator)
        print("creator during the collector's turn: \(refused.error?.code.description ?? "allowed?!")\n")
    }

    print("creator: creating a project")
    try await session.coordinator.withTurn(for: creator, timeout: .seconds(30)) {
        let form = try await session.click("#new-project", as: creator).get()
        // What a model would be told about this page, within 500 tokens:
        let context = await session.agentContext(budget: 500, for: creator)
        print("creator's view (\(context.tokens) tokens, \(form.page?.forms.first?.fields.count ?? 0) form fields):")
        print(context.text.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        try await session.fill("#name", "Launch plan", as: creator).get()
        try await session.fill("#description", "Created by the creator agent, signed in by the collector.", as: creator).get()
        try await session.selectOption("#visibility", ["team"], as: creator).get()
        try await session.check("#agree", as: creator).get()
        let created = try await session.click("#create", as: creator).get()
        print("creator: project page \(created.url)")
    }
} catch {
    print("error: \(error)")
}

let state = session.state
print("""

final state:
  url      \(state.url)
  title    \(state.title)
  loading  \(state.loading), back \(state.canGoBack), forward \(state.canGoForward)
  errors   \(state.consoleErrorCount) console errors, last error: \(state.lastError ?? "none")
""")
for project in site.projects {
    print("created project #\(project.id): \"\(project.name)\" (\(project.visibility)) owned by \(project.owner)")
}
await session.close()
await printer.value
await site.stop()
print("closed")
if let folder = session.recordingDirectory {
    let (report, trace) = try Timeline(directory: folder).writeReportAndTrace()
    print("timeline recording: \(folder)")
    print("timeline report: \(report)")
    print("timeline trace: \(trace)")
}

// Lanes: three agents at once in one signed-in browser, each in a tab of its own.
//
// One sign-in (the cookie is the browser's, so every tab has it); then "planner", "writer" and
// "checker" each open a tab of their own and create a project there at the same time. Each agent's
// steps are printed as they finish, with the tab they ran in. Nobody asks for control: acting in
// one's own tab holds it. Run it with `swift run Lanes`.
import DemoSite
import Foundation
import SharedSession

let site = try await DemoSite.start()
var options = SharedBrowserSession.Options(id: "lanes-demo")
options.persistentProfile = false            // a throwaway profile
let session = try await SharedBrowserSession.start(options)
session.closeOnTerminationSignals()   // Ctrl-C closes the browser too
print("session \(session.id) started; demo site at \(site.baseURL)")
let started = ContinuousClock.now

/// One line per step: when, who, where, what.
func say(_ agent: Participant, _ result: ActionResult) {
    let ms = Int((started.duration(to: .now) / .milliseconds(1)).rounded())
    let outcome = result.error.map { "failed: \($0.message)" } ?? "ok"
    print(String(format: "%6d ms  %-14@ tab %@…  %@ %@ — %@", ms, agent.description as NSString,
                 String((result.tab ?? "-").prefix(6)) as NSString, result.action as NSString,
                 (result.target ?? "") as NSString, outcome as NSString))
}

do {
    // One sign-in, in the tab people watch.
    let signer = Participant.agent("signer")
    try await session.navigate(to: site.url("/login"), as: signer).get()
    try await session.fill("#username", DemoSite.username, as: signer).get()
    try await session.fill("#password", DemoSite.password, as: signer).get()
    say(signer, try await session.click("text=Sign in", as: signer).get())
    await session.coordinator.releaseControl(for: signer)

    // Three agents, three tabs of their own, at once.
    let agents = [("planner", "Q3 plan"), ("writer", "Release notes"), ("checker", "Audit")]
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (name, project) in agents {
            group.addTask {
                let agent = Participant.agent(name)
                say(agent, try await session.openTab(for: agent, url: site.url("/projects/new"), purpose: project).get())
                say(agent, try await session.fill("#name", project, as: agent).get())
                say(agent, try await session.fill("#description", "Made by \(name) in its own tab.", as: agent).get())
                say(agent, try await session.selectOption("#visibility", ["team"], as: agent).get())
                say(agent, try await session.check("#agree", as: agent).get())
                let created = try await session.click("#create", as: agent).get()
                say(agent, created)
                print("         \(agent) created \"\(project)\" at \(created.url)")
            }
        }
        try await group.waitForAll()
    }

    print("\nthe tabs now (one sign-in, three lanes):")
    for tab in await session.tabs() { print("  \(tab)") }
    let dashboard = try await session.navigate(to: site.url("/dashboard"), as: signer).get()
    let projects = try await session.evaluate("[...document.querySelectorAll('#projects li')].map(li => li.textContent).join(', ')",
                                              as: signer).get()
    print("\nthe dashboard (\(dashboard.url)) lists: \(projects.value?.stringValue ?? "")")
} catch {
    print("the demo failed: \(error)")
    await session.close()
    await site.stop()
    exit(1)
}
await session.close()
await site.stop()

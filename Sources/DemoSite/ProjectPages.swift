import Foundation
import WebSockets
import SharedBrowserSupport

extension DemoSite {
    /// A team sign-up completed through `/onboarding`.
    public struct SignUp: Sendable, Hashable, Codable {
        /// The team's name.
        public var team: String
        /// Where to write to.
        public var email: String
        /// `starter`, `team` or `enterprise`.
        public var plan: String
        /// How many seats.
        public var seats: Int
        /// Whether priority support was chosen.
        public var prioritySupport: Bool
    }

    /// The names of the sample projects (``start(latency:sampleProjects:)``), in the order they are
    /// created: 25 constellations.
    public static let sampleProjectNames = [
        "Andromeda", "Aquila", "Auriga", "Bootes", "Carina", "Cassiopeia", "Centaurus", "Cepheus", "Cygnus",
        "Draco", "Eridanus", "Gemini", "Hercules", "Hydra", "Lyra", "Orion", "Pegasus", "Perseus", "Phoenix",
        "Pyxis", "Sagitta", "Scorpius", "Taurus", "Vela", "Virgo",
    ]

    /// How many projects a page of the list shows.
    static let projectsPerPage = 10

    /// The signed-in pages under `/projects` and `/onboarding`.
    static func projectsArea(_ request: WebSocketServer.Request, path: String, user: String,
                             _ state: LockedValue<State>) -> WebSocketServer.HTTPResponse {
        let parts = path.split(separator: "/").map(String.init)
        switch (request.method, parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil) {
        case ("GET", nil, nil) where parts.first == "projects":
            return projectList(request, user: user, state)
        case ("POST", nil, nil) where parts.first == "projects":
            return createProject(request.formValues, user: user, state)
        case ("GET", "new", nil) where parts.first == "projects":
            return page("New project", projectForm(errors: [:]))
        case (let method, let id?, let verb) where parts.first == "projects":
            guard let id = Int(id), let project = state.withLock({ s in s.projects.first { $0.id == id } }) else {
                return page("Not found", "<h1>No such project</h1>", status: 404)
            }
            switch (method, verb) {
            case ("GET", nil): return projectPage(project, saved: request.formValues["saved"] == "1")
            case ("GET", "edit"): return page("Edit \(project.name)", editForm(project, errors: [:]))
            case ("POST", "edit"): return saveProject(project, request.formValues, state)
            case ("GET", "delete"):
                return page("Delete \(project.name)", """
                    <h1>Delete project</h1>
                    <p>Delete “\(escape(project.name))”? This cannot be undone.</p>
                    <form method="post" action="/projects/\(id)/delete"><button type="submit">Yes, delete</button></form>
                    <p><a href="/projects/\(id)">No, keep it</a></p>
                    """)
            case ("POST", "delete"):
                state.withLock { s in s.projects.removeAll { $0.id == id } }
                return .redirect(to: "/projects/?deleted=" + percentEncoded(project.name))
            default:
                return page("Not found", "<h1>Not found</h1>", status: 404)
            }
        case ("GET", nil, nil) where parts.first == "onboarding":
            return page("Set up your team", onboardingStep(1, values: [:], errors: [:]))
        case ("POST", nil, nil) where parts.first == "onboarding":
            return onboarding(request.formValues, state)
        default:
            return page("Not found", "<h1>Not found</h1>", status: 404)
        }
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// The list: a search form, a count, a table of one page, and links to the pages before and after.
    static func projectList(_ request: WebSocketServer.Request, user: String, _ state: LockedValue<State>) -> WebSocketServer.HTTPResponse {
        let values = request.formValues
        let query = (values["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let all = state.withLock { s in s.projects.filter { $0.owner == user } }
            .filter { query.isEmpty || $0.name.localizedCaseInsensitiveContains(query) || $0.description.localizedCaseInsensitiveContains(query) }
            .sorted { $0.name.localizedCaseInsensitiveCompare($1.name) == .orderedAscending }
        let pages = max(1, (all.count + projectsPerPage - 1) / projectsPerPage)
        let number = min(max(1, Int(values["page"] ?? "") ?? 1), pages)
        let shown = all.dropFirst((number - 1) * projectsPerPage).prefix(projectsPerPage)
        let rows = shown.map { project in
            "<tr><td><a href=\"/projects/\(project.id)\">\(escape(project.name))</a></td><td>\(escape(project.visibility))</td></tr>"
        }.joined(separator: "\n")
        func link(_ page: Int, _ text: String, _ rel: String) -> String {
            "<a rel=\"\(rel)\" href=\"/projects/?q=\(percentEncoded(query))&amp;page=\(page)\">\(text)</a>"
        }
        let navigation = [number > 1 ? link(number - 1, "Previous", "prev") : nil,
                          number < pages ? link(number + 1, "Next", "next") : nil].compactMap { $0 }.joined(separator: " ")
        let deleted = values["deleted"].map { "<p role=\"status\">Deleted “\(escape($0))”.</p>" } ?? ""
        let found = all.isEmpty
            ? "<p id=\"count\">No projects match “\(escape(query))”.</p>"
            : "<p id=\"count\">\(all.count) project\(all.count == 1 ? "" : "s")\(query.isEmpty ? "" : " match “\(escape(query))”") · page \(number) of \(pages)</p>"
        return page("Projects", """
            <h1>Projects</h1>
            \(deleted)
            <form role="search" method="get" action="/projects/">
              <label>Search projects <input type="search" name="q" value="\(escape(query))"></label> <button type="submit">Search</button>
            </form>
            \(found)
            \(all.isEmpty ? "" : "<table><thead><tr><th>Name</th><th>Visibility</th></tr></thead><tbody>\n\(rows)\n</tbody></table>")
            \(navigation.isEmpty ? "" : "<nav aria-label=\"Pages\">\(navigation)</nav>")
            <p><a href="/projects/new">New project</a> · <a href="/dashboard">Dashboard</a></p>
            """)
    }

    static func projectPage(_ project: Project, saved: Bool) -> WebSocketServer.HTTPResponse {
        page(project.name, """
            \(saved ? "<p role=\"status\">Saved.</p>" : "")
            <h1 id="project-name">\(escape(project.name))</h1>
            <p id="project-description">\(escape(project.description))</p>
            <p>Visibility: <span id="project-visibility">\(escape(project.visibility))</span></p>
            <p><a href="/projects/\(project.id)/edit">Edit</a> · <a href="/projects/\(project.id)/delete">Delete</a></p>
            <p><a href="/projects/">All projects</a> · <a href="/dashboard">Back to the dashboard</a></p>
            """)
    }

    /// The name's error, or nil: required, and unique among the owner's other projects.
    static func nameError(_ name: String, owner: String, except id: Int?, _ state: LockedValue<State>) -> String? {
        if name.isEmpty { return "This field is required." }
        let taken = state.withLock { s in s.projects.contains { $0.owner == owner && $0.name == name && $0.id != id } }
        return taken ? "A project with this name already exists." : nil
    }

    static func createProject(_ form: [String: String], user: String, _ state: LockedValue<State>) -> WebSocketServer.HTTPResponse {
        // Rejected as a Django admin rejects a form: the form again, a note, each field's error.
        var errors: [String: String] = [:]
        let name = form["name"] ?? ""
        errors["name"] = nameError(name, owner: user, except: nil, state)
        if form["agree"] != "yes" { errors["agree"] = "You must agree to the terms." }
        guard errors.isEmpty else { return page("New project", projectForm(errors: errors, values: form), status: 400) }
        let project = state.withLock { s -> Project in
            let project = Project(id: s.nextProjectID, name: name, description: form["description"] ?? "",
                                  visibility: form["visibility"] ?? "private", owner: user)
            s.nextProjectID += 1
            s.projects.append(project)
            return project
        }
        return .redirect(to: "/projects/\(project.id)")
    }

    static func saveProject(_ project: Project, _ form: [String: String], _ state: LockedValue<State>) -> WebSocketServer.HTTPResponse {
        var edited = project
        edited.name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        edited.description = form["description"] ?? ""
        edited.visibility = ["private", "team", "public"].contains(form["visibility"] ?? "") ? form["visibility"]! : project.visibility
        if let error = nameError(edited.name, owner: project.owner, except: project.id, state) {
            return page("Edit \(project.name)", editForm(edited, errors: ["name": error]), status: 400)
        }
        state.withLock { s in
            if let index = s.projects.firstIndex(where: { $0.id == project.id }) { s.projects[index] = edited }
        }
        return .redirect(to: "/projects/\(project.id)?saved=1")
    }

    /// An error before its field, and the field's attributes that tie it to it (as Django renders them).
    static func fieldError(_ key: String, _ errors: [String: String]) -> (list: String, attributes: String) {
        guard let error = errors[key] else { return ("", "") }
        return ("<ul class=\"errorlist\" id=\"id_\(key)_error\"><li>\(escape(error))</li></ul>",
                " aria-invalid=\"true\" aria-describedby=\"id_\(key)_error\"")
    }

    static func options(_ choices: [(value: String, label: String)], selected: String) -> String {
        choices.map { "<option value=\"\($0.value)\"\($0.value == selected ? " selected" : "")>\(escape($0.label))</option>" }.joined()
    }

    static let visibilities = [(value: "private", label: "Private"), (value: "team", label: "Team"), (value: "public", label: "Public")]

    static func editForm(_ project: Project, errors: [String: String]) -> String {
        let name = fieldError("name", errors)
        return """
            <h1>Edit project</h1>
            \(errors.isEmpty ? "" : "<p class=\"errornote\">Please correct the errors below.</p>")
            <form method="post" action="/projects/\(project.id)/edit">
              \(name.list)<label>Name <input name="name" required value="\(escape(project.name))"\(name.attributes)></label>
              <label>Description <textarea name="description">\(escape(project.description))</textarea></label>
              <label>Visibility <select name="visibility">\(options(visibilities, selected: project.visibility))</select></label>
              <button type="submit">Save</button>
            </form>
            <p><a href="/projects/\(project.id)">Cancel</a></p>
            """
    }

    static let plans = [(value: "starter", label: "Starter"), (value: "team", label: "Team"), (value: "enterprise", label: "Enterprise")]

    /// One step of the sign-up: what the steps before gave travels in hidden fields.
    static func onboardingStep(_ step: Int, values: [String: String], errors: [String: String]) -> String {
        let carried = ["team", "email", "plan", "seats", "support"].filter { key in
            values[key] != nil && !(step == 1 && ["team", "email"].contains(key)) && !(step == 2 && ["plan", "seats", "support"].contains(key))
        }.map { "<input type=\"hidden\" name=\"\($0)\" value=\"\(escape(values[$0]!))\">" }.joined()
        let note = errors.isEmpty ? "" : "<p class=\"errornote\">Please correct the errors below.</p>"
        let fields: String
        switch step {
        case 1:
            let team = fieldError("team", errors), email = fieldError("email", errors)
            fields = """
                \(team.list)<label>Team name <input name="team" value="\(escape(values["team"] ?? ""))"\(team.attributes)></label>
                \(email.list)<label>Email <input name="email" inputmode="email" value="\(escape(values["email"] ?? ""))"\(email.attributes)></label>
                <button type="submit" name="go" value="2">Next</button>
                """
        case 2:
            let plan = fieldError("plan", errors)
            let radios = plans.map { choice in
                "<label><input type=\"radio\" name=\"plan\" value=\"\(choice.value)\"\(values["plan"] == choice.value ? " checked" : "")\(plan.attributes)> \(choice.label)</label>"
            }.joined()
            let seats = (1...5).map { (value: String($0 * 5), label: "\($0 * 5) seats") }
            fields = """
                <fieldset><legend>Plan</legend>\(plan.list)\(radios)</fieldset>
                <label>Seats <select name="seats">\(options(seats, selected: values["seats"] ?? "5"))</select></label>
                <label><input type="checkbox" name="support" value="yes"\(values["support"] == "yes" ? " checked" : "")> Priority support</label>
                <button type="submit" name="go" value="1">Back</button> <button type="submit" name="go" value="3">Next</button>
                """
        default:
            let terms = fieldError("terms", errors)
            let plan = plans.first { $0.value == values["plan"] }?.label ?? ""
            fields = """
                <dl><dt>Team</dt><dd>\(escape(values["team"] ?? ""))</dd><dt>Email</dt><dd>\(escape(values["email"] ?? ""))</dd>
                <dt>Plan</dt><dd>\(escape(plan)), \(escape(values["seats"] ?? "5")) seats\(values["support"] == "yes" ? ", priority support" : "")</dd></dl>
                \(terms.list)<label><input type="checkbox" name="terms" value="yes"\(terms.attributes)> I accept the terms</label>
                <button type="submit" name="go" value="2">Back</button> <button type="submit" name="go" value="done">Confirm</button>
                """
        }
        let titles = [1: "your team", 2: "plan", 3: "review"]
        return """
            <h1>Set up your team</h1>
            <p>Step \(min(step, 3)) of 3: \(titles[min(step, 3)]!)</p>
            \(note)
            <form method="post" action="/onboarding"><input type="hidden" name="step" value="\(step)">\(carried)
            \(fields)
            </form>
            """
    }

    /// A step sent: checked, then the step asked for (`go`), or the same step with its errors.
    static func onboarding(_ form: [String: String], _ state: LockedValue<State>) -> WebSocketServer.HTTPResponse {
        let step = Int(form["step"] ?? "") ?? 1
        let go = form["go"] ?? "1"
        var errors: [String: String] = [:]
        let forward = go == "done" || (Int(go) ?? 1) > step
        if forward {
            switch step {
            case 1:
                if (form["team"] ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors["team"] = "This field is required." }
                let email = form["email"] ?? ""
                if !email.contains("@") || email.hasPrefix("@") || email.hasSuffix("@") { errors["email"] = "Enter a valid email address." }
            case 2:
                if !plans.contains(where: { $0.value == form["plan"] }) { errors["plan"] = "Choose a plan." }
            default:
                if form["terms"] != "yes" { errors["terms"] = "You must accept the terms." }
            }
        }
        guard errors.isEmpty else { return page("Set up your team", onboardingStep(step, values: form, errors: errors), status: 400) }
        guard go == "done" else { return page("Set up your team", onboardingStep(min(max(Int(go) ?? 1, 1), 3), values: form, errors: [:])) }
        let signUp = SignUp(team: form["team"] ?? "", email: form["email"] ?? "", plan: form["plan"] ?? "",
                            seats: Int(form["seats"] ?? "") ?? 5, prioritySupport: form["support"] == "yes")
        state.withLock { $0.signUps.append(signUp) }
        let plan = plans.first { $0.value == signUp.plan }?.label ?? signUp.plan
        return page("Welcome aboard", """
            <h1>All set</h1>
            <p role="status">Welcome aboard, \(escape(signUp.team)): the \(escape(plan)) plan is active for \(signUp.seats) seats.</p>
            <p><a href="/dashboard">Dashboard</a></p>
            """)
    }
}

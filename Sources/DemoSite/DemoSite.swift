import Foundation
import WebSockets
import SharedBrowserSupport

/// A small web site for the examples and tests, served on 127.0.0.1 by the `WebSockets` HTTP server.
///
/// | Path | What it is |
/// |---|---|
/// | `/login` | a login form; `POST` with `demo` / `demo123` sets the `sid` session cookie |
/// | `/admin/login/` | a Django admin sign-in: CSRF token in a cookie and the form (403 when they differ), `next`, then `/admin/` |
/// | `/admin/orders/`, `/admin/search/?q=`, `/admin/reports/` | admin pages that need the sign-in (else a redirect to the login with `next`); `POST /admin/orders/ship` (signed out: to the login, what was sent is dropped); `/admin/` links to them, and its Reports buttons ask `/admin/api/whoami` (401 when signed out; `?ms=N` answers late) and send the page to the login, as a single-page app does |
/// | `/admin/sso/` | redirects to the admin sign-in on another origin (`localhost` instead of `127.0.0.1`) |
/// | `/dashboard` | the signed-in user's projects (redirects to `/login` without a session) |
/// | `/projects/` | the projects, 10 a page (`?page=N`), with a search form (`?q=`, in the name or description) |
/// | `/projects/new` | a form: name, description, visibility (select), "agree" checkbox; rejected as a Django admin rejects one (each field's error, `aria-invalid`) |
/// | `/projects/<id>` | one project, with Edit and Delete |
/// | `/projects/<id>/edit` | its form (name, description, visibility); `POST` saves and shows "Saved." |
/// | `/projects/<id>/delete` | "are you sure?"; `POST` deletes and lists the projects with "Deleted …" |
/// | `/onboarding` | a form in three steps (team and email; plan, seats and support; review and terms), each checked by the server, then "Welcome aboard" |
/// | `/console`, `/throw` | log to the console at every level; throw an uncaught error |
/// | `/dialogs` | buttons that open `alert`, `confirm` and `prompt` |
/// | `/download` | a link to `/files/report.csv`, served as an attachment |
/// | `/slow?ms=N` | answers after N milliseconds (default 1500) |
/// | `/late` | a button that appears, and one that becomes enabled, 300 ms after load |
/// | `/widgets` | inputs of every kind, a hover target, a long page to scroll, a key log |
/// | `/sequence` | records every fill and click in page order, for turn-taking tests |
/// | `/human-check` | a checkbox "I am a human" whose label fills the middle of the viewport (a click at the centre ticks it), a small animation, and Continue; `POST` passes only when it is ticked |
public final class DemoSite: Sendable {
    /// A project created through the site.
    public struct Project: Sendable, Hashable, Codable {
        /// Its number, from 1.
        public var id: Int
        /// Its name.
        public var name: String
        /// What it is for.
        public var description: String
        /// `private` or `public`.
        public var visibility: String
        /// Who created it (the signed-in user).
        public var owner: String
    }

    struct State {
        var sessions: [String: String] = [:]   // sid -> user
        var projects: [Project] = []
        var nextProjectID = 1
        var signUps: [SignUp] = []
    }

    private let server: WebSocketServer
    private let state: LockedValue<State>

    /// The site's address, `http://127.0.0.1:PORT`.
    public let baseURL: String

    /// The demo account.
    public static let username = "demo"
    /// The demo account's password.
    public static let password = "demo123"

    private init(server: WebSocketServer, state: LockedValue<State>) {
        self.server = server
        self.state = state
        baseURL = "http://127.0.0.1:\(server.port)"
    }

    /// Starts the site on a free loopback port.
    /// - Parameter latency: how much later than at once every answer comes, as from a server across
    ///   a network (default none).
    /// - Parameter sampleProjects: how many projects the demo user has from the start (up to
    ///   ``sampleProjectNames``' 25, named after it in order), for lists to search and page through.
    public static func start(latency: Duration = .zero, sampleProjects: Int = 0) async throws -> DemoSite {
        let state = LockedValue(State())
        state.withLock { s in
            for (index, name) in sampleProjectNames.prefix(max(0, sampleProjects)).enumerated() {
                s.projects.append(Project(id: s.nextProjectID, name: name, description: "The \(name) survey.",
                                          visibility: ["private", "team", "public"][index % 3], owner: username))
                s.nextProjectID += 1
            }
        }
        let server = try await WebSocketServer.start(onHTTP: { request in
            var response = DemoSite.handle(request, state)
            if latency > .zero { response.delay = (response.delay ?? .zero) + latency }
            return response
        }, onWebSocket: { _ in nil })
        return DemoSite(server: server, state: state)
    }

    /// Stops serving.
    public func stop() async { await server.stop() }

    /// The absolute URL of `path`.
    public func url(_ path: String) -> String { baseURL + path }

    /// The projects there are, oldest first.
    public var projects: [Project] { state.withLock { $0.projects } }

    /// The team sign-ups completed through `/onboarding`, oldest first.
    public var signUps: [SignUp] { state.withLock { $0.signUps } }

    // MARK: Pages

    static func handle(_ request: WebSocketServer.Request, _ state: LockedValue<State>) -> WebSocketServer.HTTPResponse {
        let user = request.cookies["sid"].flatMap { sid in state.withLock { $0.sessions[sid] } }
        let path = String(request.pathWithoutQuery)
        switch (request.method, path) {
        case ("GET", "/"):
            return page("SharedBrowser demo", """
                <h1>SharedBrowser demo</h1>
                <ul>
                  <li><a href="/login">Sign in</a></li><li><a href="/dashboard">Dashboard</a></li>
                  <li><a href="/console">Console</a></li><li><a href="/throw">Throw</a></li>
                  <li><a href="/dialogs">Dialogs</a></li><li><a href="/download">Download</a></li>
                  <li><a href="/slow">Slow page</a></li><li><a href="/late">Late elements</a></li>
                  <li><a href="/widgets">Widgets</a></li><li><a href="/sequence">Sequence</a></li>
                </ul>
                """)
        case ("GET", "/signup"):
            // Problems a page reports without a new document: the browser's own validation, a script
            // that marks a field and announces it in an alert region, and a status message.
            return page("Sign up", """
                <h1>Sign up</h1>
                <form id="signup" onsubmit="event.preventDefault(); check()">
                  <label>Email <input type="email" name="email" id="email" required></label>
                  <label>Handle <input name="handle" id="handle" aria-errormessage="handle-error"></label>
                  <p id="handle-error" hidden></p>
                  <button id="join">Join</button>
                </form>
                <div role="alert" id="alerts"></div>
                <p aria-live="polite" id="live"></p>
                <button id="save">Save draft</button>
                <div role="status" id="status">Ready</div>
                <script>
                function check() {
                  const handle = document.getElementById('handle');
                  if (handle.value === 'taken') {
                    handle.setAttribute('aria-invalid', 'true');
                    const message = document.getElementById('handle-error');
                    message.textContent = 'This handle is taken.'; message.hidden = false;
                    document.getElementById('alerts').textContent = 'Sign-up failed: fix the marked fields.';
                  } else {
                    document.getElementById('live').textContent = 'Welcome aboard!';
                  }
                }
                document.getElementById('save').onclick = () => { document.getElementById('status').textContent = 'Draft saved'; };
                </script>
                """)
        case ("GET", "/verify"):
            // A GET form (its password lands in the URL) with a one-time code field.
            return page("Verify", """
                <h1>Verify</h1>
                <form method="get" action="/verify">
                  <label>User <input name="user" id="user"></label>
                  <label>Password <input type="password" name="password" id="pw"></label>
                  <label>Code <input name="otp" id="otp" autocomplete="one-time-code"></label>
                  <button id="verify">Verify</button>
                </form>
                """)
        case ("GET", "/login"):
            return page("Sign in", loginForm(error: nil))
        case ("POST", "/login"):
            let form = request.formValues
            guard form["username"] == username, form["password"] == password else {
                return page("Sign in", loginForm(error: "Wrong username or password."), status: 401)
            }
            let sid = UUID().uuidString
            state.withLock { $0.sessions[sid] = username }
            return .redirect(to: "/dashboard", headers: [("Set-Cookie", "sid=\(sid); Path=/; HttpOnly; SameSite=Lax")])
        case ("GET", "/admin/login/"):
            // A Django admin sign-in: a CSRF token in a cookie and in the form, which must match.
            let token = request.cookies["csrftoken"] ?? UUID().uuidString.replacingOccurrences(of: "-", with: "")
            let next = request.formValues["next"] ?? "/admin/"
            var response = page("Log in | Site administration", adminLoginForm(token: token, next: next, error: nil))
            response.headers.append(("Set-Cookie", "csrftoken=\(token); Path=/; SameSite=Lax"))
            return response
        case ("POST", "/admin/login/"):
            let form = request.formValues
            guard let cookie = request.cookies["csrftoken"], !cookie.isEmpty, form["csrfmiddlewaretoken"] == cookie else {
                return page("403 Forbidden", "<h1>Forbidden (403)</h1><p>CSRF verification failed. Request aborted.</p>", status: 403)
            }
            let next = form["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/admin/"
            guard form["username"] == username, form["password"] == password else {
                return page("Log in | Site administration", adminLoginForm(
                    token: cookie, next: next,
                    error: "Please enter the correct username and password for a staff account."), status: 200)
            }
            let sid = UUID().uuidString
            state.withLock { $0.sessions[sid] = username }
            return .redirect(to: next, headers: [("Set-Cookie", "sid=\(sid); Path=/; HttpOnly; SameSite=Lax")])
        case ("GET", "/admin/sso/"):
            // A sign-in page that sends the browser to another origin (localhost instead of 127.0.0.1).
            let port = (request.host ?? "").split(separator: ":").last.map(String.init) ?? ""
            return .redirect(to: "http://localhost:\(port)/admin/login/")
        case ("GET", "/admin/"):
            guard let user else { return .redirect(to: "/admin/login/?next=/admin/") }
            return page("Site administration", """
                <h1>Site administration</h1>
                <p id="user-tools">Welcome, <strong>\(escape(user))</strong>. <a href="/logout">Log out</a></p>
                <p><a id="orders" href="/admin/orders/">Orders</a></p>
                <form id="search" method="get" action="/admin/search/"><label>Search <input name="q" id="q"></label></form>
                <button id="reports">Reports</button> <button id="reports-slow">Reports (slow API)</button>
                <script>
                // As a single-page app does: ask the API, and go to the login when it answers 401.
                const open = (api) => async () => {
                  const answer = await fetch(api);
                  location.href = answer.status === 401 ? '/admin/login/?next=/admin/reports/' : '/admin/reports/';
                };
                document.getElementById('reports').onclick = open('/admin/api/whoami');
                document.getElementById('reports-slow').onclick = open('/admin/api/whoami?ms=400');
                </script>
                """)
        case ("GET", "/admin/orders/"):
            guard user != nil else { return .redirect(to: "/admin/login/?next=/admin/orders/") }
            let shipped = request.formValues["shipped"] == "1"
            return page("Orders | Site administration", """
                <h1>Orders</h1>
                <p id="order">Order 1001: \(shipped ? "shipped" : "waiting")</p>
                <form method="post" action="/admin/orders/ship"><button id="ship">Mark shipped</button></form>
                """)
        case ("POST", "/admin/orders/ship"):
            // As Django's login_required does with a POST: to the login, and what was sent is gone.
            guard user != nil else { return .redirect(to: "/admin/login/?next=/admin/orders/ship") }
            return .redirect(to: "/admin/orders/?shipped=1")
        case ("GET", "/admin/search/"):
            let query = request.formValues["q"] ?? ""
            guard user != nil else {
                let next = "/admin/search/?q=" + (query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                return .redirect(to: "/admin/login/?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            }
            return page("Search | Site administration", "<h1>Search</h1><p id=\"results\">Results for \(escape(query))</p>")
        case ("GET", "/admin/reports/"):
            guard user != nil else { return .redirect(to: "/admin/login/?next=/admin/reports/") }
            return page("Reports | Site administration", "<h1>Reports</h1>")
        case ("GET", "/admin/api/whoami"):
            let delay = Int(request.formValues["ms"] ?? "").map { Duration.milliseconds(min($0, 10_000)) }
            guard let user else {
                return .init(status: 401, contentType: "application/json", text: #"{"detail":"not signed in"}"#, delay: delay)
            }
            return .init(contentType: "application/json", text: #"{"user":"\#(user)"}"#, delay: delay)
        case ("GET", "/logout"):
            if let sid = request.cookies["sid"] { state.withLock { _ = $0.sessions.removeValue(forKey: sid) } }
            return .redirect(to: "/login", headers: [("Set-Cookie", "sid=; Path=/; Max-Age=0")])
        case ("GET", "/dashboard"):
            guard let user else { return .redirect(to: "/login") }
            let mine = state.withLock { $0.projects.filter { $0.owner == user } }
            let items = mine.map { "<li><a href=\"/projects/\($0.id)\">\(escape($0.name))</a></li>" }.joined()
            return page("Dashboard", """
                <h1>Dashboard</h1>
                <p id="welcome">Welcome, \(escape(user))</p>
                <h2>Projects</h2>
                <ul id="projects">\(items)</ul>
                <p><a id="new-project" href="/projects/new">New project</a> · <a href="/projects/">All projects</a> · <a href="/onboarding">Set up a team</a> · <a href="/logout">Sign out</a></p>
                """)
        case (_, let p) where p == "/projects" || p.hasPrefix("/projects/") || p.hasPrefix("/onboarding"):
            guard let user else { return .redirect(to: "/login") }
            return projectsArea(request, path: p, user: user, state)
        case ("GET", "/console"):
            return page("Console", """
                <h1>Console</h1>
                <script>
                console.log('plain log', 1); console.info('some info'); console.warn('a warning');
                console.error('an error happened');
                </script>
                """)
        case ("GET", "/throw"):
            return page("Throw", """
                <h1>Throw</h1>
                <script>function explode() { throw new Error('demo failure'); } setTimeout(explode, 0);</script>
                """)
        case ("GET", "/dialogs"):
            return page("Dialogs", """
                <h1>Dialogs</h1>
                <button id="alert" onclick="alert('Hello from the page'); document.getElementById('out').textContent = 'alert closed'">Alert</button>
                <button id="confirm" onclick="document.getElementById('out').textContent = confirm('Sure?') ? 'confirmed' : 'cancelled'">Confirm</button>
                <button id="prompt" onclick="document.getElementById('out').textContent = 'answer: ' + prompt('Your name?', 'nobody')">Prompt</button>
                <p id="out"></p>
                """)
        case ("GET", "/download"):
            return page("Download", "<h1>Download</h1><a id=\"report\" href=\"/files/report.csv\">Get the report</a>")
        case ("GET", "/files/report.csv"):
            return .init(contentType: "text/csv", text: "project,status\nalpha,done\nbeta,open\n",
                         headers: [("Content-Disposition", "attachment; filename=\"report.csv\"")])
        case ("GET", "/slow"):
            let ms = Int(request.formValues["ms"] ?? "") ?? 1500
            return .init(contentType: "text/html; charset=utf-8",
                         text: html("Slow", "<h1 id=\"slow\">Finally loaded</h1>"), delay: .milliseconds(max(0, min(ms, 60_000))))
        case ("GET", "/human-check"):
            return page("Human check", """
                <style>
                #check { position: fixed; left: 20%; top: 25%; width: 60%; height: 50%; display: flex; align-items: center;
                  justify-content: center; gap: .5em; font-size: 40px; border: 3px dashed #888; margin: 0; cursor: pointer; }
                #check input { width: 40px; height: 40px; }
                #spinner { position: fixed; right: 20px; top: 20px; width: 24px; height: 24px; border: 4px solid #ccc;
                  border-top-color: #36c; border-radius: 50%; animation: spin 1s linear infinite; }
                @keyframes spin { to { transform: rotate(360deg); } }
                #continue { position: fixed; bottom: 40px; left: 40px; font-size: 20px; }
                </style>
                <h1>Are you human?</h1>
                <div id="spinner"></div>
                <form method="post" action="/human-check">
                  <label id="check"><input type="checkbox" id="human" name="human"> I am a human</label>
                  <button id="continue" type="submit">Continue</button>
                </form>
                """)
        case ("POST", "/human-check"):
            guard request.formValues["human"] == "on" else {
                return page("Human check", "<h1 class=\"error\" role=\"alert\">Please confirm that you are a human.</h1>", status: 400)
            }
            return page("Welcome, human", "<h1 id=\"passed\">Thanks, human: you may go on.</h1>")
        case ("GET", "/late"):
            return page("Late", """
                <h1>Late elements</h1>
                <div id="slot"></div>
                <button id="later" disabled onclick="document.getElementById('out').textContent = 'enabled clicked'">Later</button>
                <p id="out"></p>
                <script>
                setTimeout(() => {
                  const b = document.createElement('button'); b.id = 'appeared'; b.textContent = 'Appeared';
                  b.onclick = () => document.getElementById('out').textContent = 'appeared clicked';
                  document.getElementById('slot').appendChild(b);
                  document.getElementById('later').disabled = false;
                }, 300);
                </script>
                """)
        case ("GET", "/widgets"):
            return page("Widgets", """
                <h1>Widgets</h1>
                <input id="text" placeholder="Type here">
                <input id="prefilled" value="old value">
                <textarea id="area"></textarea>
                <select id="color"><option value="r">Red</option><option value="g">Green</option><option value="b">Blue</option></select>
                <label><input type="checkbox" id="check"> Check me</label>
                <label><input type="radio" name="size" id="small" value="s"> Small</label>
                <label><input type="radio" name="size" id="large" value="l"> Large</label>
                <div id="hover" style="width:120px;height:40px;background:#ddd" onmouseenter="this.textContent='hovered'">hover me</div>
                <button id="hidden" style="display:none">Hidden</button>
                <p id="keys"></p>
                <div style="height:3000px"></div>
                <p id="bottom">The bottom <a id="far" href="/">Far link</a></p>
                <script>
                document.addEventListener('keydown', e => {
                  const mods = (e.ctrlKey ? 'Ctrl+' : '') + (e.shiftKey ? 'Shift+' : '') + (e.altKey ? 'Alt+' : '');
                  document.getElementById('keys').textContent += '[' + mods + e.key + ']';
                });
                </script>
                """)
        case ("GET", "/sequence"):
            return page("Sequence", """
                <h1>Sequence</h1>
                <input id="entry"><button id="record">Record</button>
                <ol id="log"></ol>
                <script>
                window.actions = [];
                document.getElementById('entry').addEventListener('input', e => window.actions.push('fill:' + e.target.value));
                document.getElementById('record').addEventListener('click', () => {
                  const value = document.getElementById('entry').value;
                  window.actions.push('click:' + value);
                  const li = document.createElement('li'); li.textContent = value; document.getElementById('log').appendChild(li);
                });
                </script>
                """)
        default:
            return page("Not found", "<h1>Not found</h1><p>\(escape(path))</p>", status: 404)
        }
    }

    static func adminLoginForm(token: String, next: String, error: String?) -> String {
        """
        <h1>Site administration</h1>
        \(error.map { "<p class=\"errornote\">\(escape($0))</p>" } ?? "")
        <form action="/admin/login/" method="post" id="login-form">
          <input type="hidden" name="csrfmiddlewaretoken" value="\(escape(token))">
          <label for="id_username">Username:</label> <input type="text" name="username" id="id_username" autocomplete="username">
          <label for="id_password">Password:</label> <input type="password" name="password" id="id_password" autocomplete="current-password">
          <input type="hidden" name="next" value="\(escape(next))">
          <input type="submit" value="Log in">
        </form>
        """
    }

    static func loginForm(error: String?) -> String {
        """
        <h1>Sign in</h1>
        \(error.map { "<p class=\"error\" id=\"error\">\(escape($0))</p>" } ?? "")
        <form method="post" action="/login">
          <label>Username <input name="username" id="username" autocomplete="username"></label>
          <label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label>
          <button type="submit" id="sign-in">Sign in</button>
        </form>
        """
    }

    static func html(_ title: String, _ body: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:sans-serif;margin:2em} label{display:block;margin:.5em 0} .error{color:#b00}</style>
        </head><body>\(body)</body></html>
        """
    }

    /// The new-project form; with `errors` (by field name), as a server re-renders a rejected form:
    /// what was sent (`values`), a note at the top, each error before its field, the field
    /// `aria-invalid` and described by it.
    static func projectForm(errors: [String: String], values: [String: String] = [:]) -> String {
        let nameField = fieldError("name", errors), agreeField = fieldError("agree", errors)
        let note = errors.isEmpty ? "" : "<p class=\"errornote\">Please correct the errors below.</p>"
        return """
            <h1>New project</h1>
            \(note)
            <form method="post" action="/projects">
              \(nameField.list)<label>Name <input name="name" id="name" required value="\(escape(values["name"] ?? ""))"\(nameField.attributes)></label>
              <label>Description <textarea name="description" id="description">\(escape(values["description"] ?? ""))</textarea></label>
              <label>Visibility <select name="visibility" id="visibility">\(options(visibilities, selected: values["visibility"] ?? "private"))</select></label>
              \(agreeField.list)<label><input type="checkbox" name="agree" id="agree" value="yes"\(values["agree"] == "yes" ? " checked" : "")\(agreeField.attributes)> I agree to the terms</label>
              <button type="submit" id="create">Create project</button>
            </form>
            """
    }

    static func page(_ title: String, _ body: String, status: Int = 200) -> WebSocketServer.HTTPResponse {
        .init(status: status, contentType: "text/html; charset=utf-8", text: html(title, body))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

public import Coordination
import EventBuffer
import Foundation

/// A username and a password. Never logged, recorded or shown: typed only into the sign-in form of
/// the strategy's own host, where the password field masks it in every event.
public struct Credentials: Sendable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Where credentials come from, read only when a sign-in needs them.
public struct CredentialsProvider: Sendable {
    let load: @Sendable () throws -> Credentials

    /// From environment variables.
    public static func environment(username: String = "SHARED_BROWSER_USERNAME",
                                   password: String = "SHARED_BROWSER_PASSWORD") -> CredentialsProvider {
        CredentialsProvider {
            let env = ProcessInfo.processInfo.environment
            guard let user = env[username], !user.isEmpty, let secret = env[password], !secret.isEmpty else {
                throw SessionError(.authenticationFailed, "the environment has no \(username) and \(password)")
            }
            return Credentials(username: user, password: secret)
        }
    }

    /// From a JSON file `{"username": …, "password": …}` that only its owner may read (mode 0600 or
    /// stricter); a file others may read is refused.
    public static func file(_ path: String) -> CredentialsProvider {
        CredentialsProvider {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            guard let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue else {
                throw SessionError(.authenticationFailed, "cannot read the credentials file \(path)")
            }
            guard mode & 0o077 == 0 else {
                throw SessionError(.authenticationFailed, String(format: "the credentials file %@ may be read by others (mode %o): chmod 600 it", path, mode))
            }
            struct Stored: Decodable { var username: String; var password: String }
            guard let data = FileManager.default.contents(atPath: path), let stored = try? JSONDecoder().decode(Stored.self, from: data) else {
                throw SessionError(.authenticationFailed, "the credentials file \(path) is not {\"username\": …, \"password\": …}")
            }
            return Credentials(username: stored.username, password: stored.password)
        }
    }

    /// From the host application (a keychain, a vault).
    public static func closure(_ body: @escaping @Sendable () throws -> Credentials) -> CredentialsProvider {
        CredentialsProvider(load: body)
    }
}

/// How a session tells whether it is signed in to a site, and how it signs in.
public protocol AuthStrategy: Sendable {
    /// The origin credentials may be sent to (`https://shop.example`): nowhere else.
    var origin: String { get }
    /// Whether the session is signed in now (it may navigate to find out).
    func isSignedIn(_ session: SharedBrowserSession, as participant: Participant) async throws -> Bool
    /// Signs in. Throws ``SessionError/Code/authenticationFailed`` when the site does not accept it.
    func signIn(_ session: SharedBrowserSession, as participant: Participant) async throws
    /// Whether `url` is where the site sends a signed-out visitor (its login page).
    func isLoginPage(_ url: String) -> Bool
}

/// Signing in with a form, as a person does: open the login page, fill the username and password,
/// submit; signed in when a page that needs it opens without bouncing back to the login. Works with a
/// Django admin login (its CSRF token rides in the form the page itself serves).
public struct FormLogin: AuthStrategy {
    /// The login page.
    public var loginURL: String
    /// A page that needs a signed-in user (a bounce from it to the login page means signed out).
    public var checkURL: String
    public var username: ElementTarget
    public var password: ElementTarget
    public var submit: ElementTarget
    public var credentials: CredentialsProvider

    public init(loginURL: String, checkURL: String, credentials: CredentialsProvider,
                username: ElementTarget = "input[name=username]", password: ElementTarget = "input[type=password]",
                submit: ElementTarget = "[type=submit]") {
        self.loginURL = loginURL
        self.checkURL = checkURL
        self.credentials = credentials
        self.username = username
        self.password = password
        self.submit = submit
    }

    public var origin: String { SharedBrowserSession.origin(of: loginURL) ?? loginURL }

    private var loginPath: String { URLComponents(string: loginURL)?.path ?? "/" }

    public func isLoginPage(_ url: String) -> Bool {
        SharedBrowserSession.origin(of: url) == origin && (URLComponents(string: url)?.path ?? "") == loginPath
    }

    public func isSignedIn(_ session: SharedBrowserSession, as participant: Participant) async throws -> Bool {
        let opened = try await session.navigate(to: checkURL, as: participant, options: .init(pageSummary: false)).get()
        // Signed in when the page opens where it was asked for, not bounced elsewhere (the login).
        return SharedBrowserSession.origin(of: opened.url) == SharedBrowserSession.origin(of: checkURL)
            && URLComponents(string: opened.url)?.path == URLComponents(string: checkURL)?.path
    }

    public func signIn(_ session: SharedBrowserSession, as participant: Participant) async throws {
        let page = try await session.navigate(to: loginURL, as: participant, options: .init(pageSummary: false)).get()
        // Credentials go to the strategy's own origin only: a login page that sent the browser
        // elsewhere gets nothing.
        guard SharedBrowserSession.origin(of: page.url) == origin else {
            throw SessionError(.authenticationFailed, "the login page went to \(Redaction.url(page.url)), not \(origin): no credentials sent")
        }
        let secret = try credentials.load()
        try await session.fill(username, secret.username, as: participant).get()
        try await session.fill(password, secret.password, as: participant).get()
        let submitted = try await session.click(submit, as: participant, options: .init(pageSummary: false)).get()
        if isLoginPage(submitted.url) || submitted.title.localizedCaseInsensitiveContains("forbidden") {
            throw SessionError(.authenticationFailed, "\(origin) did not accept the sign-in (still at \(Redaction.url(submitted.url)) — \(submitted.title))")
        }
    }
}

extension SharedBrowserSession {
    /// Signs the session in once for everyone: when `strategy` finds it signed out, it signs in, in
    /// `participant`'s turn; agents then share the cookies. Returns whether it had to sign in.
    ///
    /// Call it again when a page bounces back to the login (a session that expired): it signs in
    /// again. The credentials appear in no event, result, timeline or context.
    /// - Throws: ``SessionError/Code/authenticationFailed`` when the site refuses the credentials or
    ///   the login page is on another origin; ``SessionError/Code/notInControl`` outside the turn.
    @discardableResult
    public func authenticate(with strategy: some AuthStrategy, as participant: Participant) async throws -> Bool {
        guard Self.origin(of: strategy.origin + "/") == strategy.origin else {
            throw SessionError(.authenticationFailed, "\(Redaction.url(strategy.origin)) is not an http(s) origin: no credentials are sent there")
        }
        // Its own navigations to the login are its business, not a bounce to sign in again from.
        let outer = signingInAgain
        signingInAgain = true
        defer { signingInAgain = outer }
        if try await strategy.isSignedIn(self, as: participant) { return false }
        try await strategy.signIn(self, as: participant)
        guard try await strategy.isSignedIn(self, as: participant) else {
            throw SessionError(.authenticationFailed, "signed in to \(strategy.origin), but a page that needs it still bounces to the login")
        }
        return true
    }

    /// Remembers `strategy` (from ``authenticate(with:as:)``): from then on, an action that lands on
    /// its login page from a page of its site (the sign-in expired) signs in again, in the acting
    /// participant's turn, and goes where the action was going:
    ///
    /// - a navigation: to the URL asked for;
    /// - a click, a key press, a select or a script whose page request was redirected to the login: to
    ///   that request's URL when it was a GET; for a form that was sent (a POST), back to the page it
    ///   was sent from, with a notice to send it again (the site dropped what was sent);
    /// - a page that sent itself to the login (a script, after a 401 from its API): to the login URL's
    ///   `next` (or `return_to`, `returnTo`, `redirect`, `continue`) when it is on the same site, else
    ///   back to the page before.
    ///
    /// The result says so in its notices. Pass nil to stop.
    public func keepSignedIn(with strategy: (any AuthStrategy)?) {
        authStrategy = strategy
    }

    /// Where the sign-in is kept (``keepSignedIn(with:)``), the page the active tab shows before an
    /// action: what ``signInAgainIfBounced(_:action:from:as:options:)`` compares with.
    var pageBeforeAction: String? { authStrategy == nil ? nil : state.url }

    /// An action bounced to the login page of the remembered strategy: sign in again and go where it
    /// was going (see ``keepSignedIn(with:)``).
    func signInAgainIfBounced(_ result: ActionResult, action: BrowserAction, from before: String?, as participant: Participant,
                              options: ActionOptions) async -> ActionResult {
        guard result.error == nil, !signingInAgain, let strategy = authStrategy, strategy.isLoginPage(result.url) else { return result }
        let destination: Destination
        if action.type == .navigate {
            guard let url = action.params.url, !strategy.isLoginPage(url), Self.origin(of: url) == strategy.origin else { return result }
            destination = .open(url)
        } else {
            guard [.click, .press, .selectOption, .check, .uncheck, .evaluate].contains(action.type),
                  let before, !strategy.isLoginPage(before), Self.origin(of: before) == strategy.origin else { return result }
            destination = Self.bounceDestination(of: result, from: before, strategy: strategy)
        }
        signingInAgain = true
        defer { signingInAgain = false }
        do {
            try await strategy.signIn(self, as: participant)
        } catch {
            var failed = result
            failed.notices.append("The page asked to sign in again, and signing in failed: \(SessionError.from(error).message)")
            return failed
        }
        let expired = "The sign-in to \(strategy.origin) had expired: signed in again"
        var again: ActionResult
        switch destination {
        case .open(let url):
            let waitUntil = action.type == .navigate ? action.params.waitUntil.flatMap(LoadState.init(rawValue:)) ?? .load : .load
            again = await executeNavigate(to: url, waitUntil: waitUntil, as: participant, options: options)
            again.notices.append(action.type == .navigate ? expired + "." : expired + " and opened \(Redaction.url(url)), where the \(action.type) was going.")
        case .resend(let page, let form):
            again = await executeNavigate(to: page, waitUntil: .load, as: participant, options: options)
            again.notices.append(expired + "; the form sent to \(Redaction.url(form)) while signed out was dropped by the site: "
                                 + "this is the page it was sent from, fill and send it again.")
        }
        if action.type != .navigate {
            // Still the participant's action, reported with the page it ended on.
            again.action = result.action
            again.actionValue = result.actionValue
            again.target = result.target
            again.events = result.events + again.events
        }
        return again
    }

    enum Destination: Equatable {
        /// Open this URL (a GET that the login interrupted).
        case open(String)
        /// Go back to `page`, where a form to `form` was sent and dropped.
        case resend(page: String, form: String)
    }

    /// Where an action that bounced to the login was going: the page request the site redirected to the
    /// login (its first URL and method), else the login URL's return parameter, else the page before.
    static func bounceDestination(of result: ActionResult, from before: String, strategy: any AuthStrategy) -> Destination {
        let documents = result.events.compactMap { event -> (kind: BrowserEvent.Kind, info: RequestInfo)? in
            guard case .request(let info) = event.payload, info.resourceType == "Document" else { return nil }
            return (event.kind, info)
        }
        // A redirect's response names the URL redirected; the first request with its id, the method sent.
        if let redirected = documents.first(where: { $0.kind == .response && (300..<400).contains($0.info.status ?? 0)
                                                      && origin(of: $0.info.url) == strategy.origin && !strategy.isLoginPage($0.info.url) }) {
            let first = documents.first { $0.kind == .request && $0.info.id == redirected.info.id }?.info ?? redirected.info
            if (first.method ?? "GET").uppercased() == "GET" { return .open(first.url) }
            return .resend(page: before, form: first.url)
        }
        let names = ["next", "return_to", "returnTo", "returnUrl", "redirect", "redirect_to", "continue"]
        if let base = URL(string: result.url), let items = URLComponents(string: result.url)?.queryItems,
           let value = names.lazy.compactMap({ name in items.first { $0.name == name }?.value }).first,
           let target = URL(string: value, relativeTo: base)?.absoluteString,
           origin(of: target) == strategy.origin, !strategy.isLoginPage(target) {
            return .open(target)
        }
        return .open(before)
    }
}

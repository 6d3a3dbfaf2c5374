public import Coordination
import EventBuffer
import Foundation

/// A username and a password. Never logged, recorded or shown: typed only into the sign-in form of
/// the strategy's own host, where the password field masks it in every event.
public struct Credentials: Sendable {
    /// The user name typed into the login form.
    public var username: String
    /// The password, typed only into a password field of the strategy's own origin.
    public var password: String
    /// Credentials of `username` and `password`.
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
            let data = try privateFileContents(path, what: "credentials file")
            struct Stored: Decodable { var username: String; var password: String }
            guard let stored = try? JSONDecoder().decode(Stored.self, from: data) else {
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

/// The bytes of a file that only its owner may read (mode 0600 or stricter).
/// - Throws: ``SessionError/Code/authenticationFailed`` for a file others may read, or none.
func privateFileContents(_ path: String, what: String) throws -> Data {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, let data = FileManager.default.contents(atPath: path) else {
        throw SessionError(.authenticationFailed, "cannot read the \(what) \(path)")
    }
    guard mode & 0o077 == 0 else {
        throw SessionError(.authenticationFailed, String(format: "the %@ %@ may be read by others (mode %o): chmod 600 it", what, path, mode))
    }
    return data
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
    /// The user name field.
    public var username: ElementTarget
    /// The password field.
    public var password: ElementTarget
    /// The button that sends the form.
    public var submit: ElementTarget
    /// Where the credentials come from, read only when a sign-in needs them.
    public var credentials: CredentialsProvider

    /// A form login at `loginURL`, checked at `checkURL`, with the default fields of a Django-style form.
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

    /// `scheme://host[:port]` of the login page: the only origin credentials are typed into.
    public var origin: String { SharedBrowserSession.origin(of: loginURL) ?? loginURL }

    private var loginPath: String { URLComponents(string: loginURL)?.path ?? "/" }

    /// Whether `url` is the login page (its origin and path).
    public func isLoginPage(_ url: String) -> Bool {
        SharedBrowserSession.origin(of: url) == origin && (URLComponents(string: url)?.path ?? "") == loginPath
    }

    /// Whether `checkURL` opens without a bounce to the login page.
    public func isSignedIn(_ session: SharedBrowserSession, as participant: Participant) async throws -> Bool {
        try await session.opensWithoutBounce(checkURL, as: participant)
    }

    /// Opens the login page, fills the fields and sends the form, on the login page's origin only.
    /// - Throws: ``SessionError/Code/authenticationFailed`` when the site refuses the credentials, they cannot be read, or the login page is on another origin.
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

/// Signing in with a saved state (`StorageState`: cookies and local storage, from
/// ``SharedBrowserSession/storageState()`` or Playwright's `storageState`): no form, no password.
/// Only the state's cookies for the strategy's site and the local storage of its origin are put into
/// the browser. When the state no longer signs in (it expired) and a `fallback` is given (a
/// ``FormLogin``), that signs in instead.
public struct StorageStateLogin: AuthStrategy {
    /// The page the site sends signed-out visitors to (for ``isLoginPage(_:)``).
    public var loginURL: String
    /// A page that needs a signed-in user.
    public var checkURL: String
    /// Where the state comes from, read only when a sign-in needs it.
    public var state: @Sendable () throws -> StorageState
    /// Signs in when the state does not (or no longer does).
    public var fallback: (any AuthStrategy)?

    /// A sign-in from the state `state` gives, checked at `checkURL`; `fallback` signs in when the state has expired.
    public init(loginURL: String, checkURL: String, fallback: (any AuthStrategy)? = nil,
                state: @escaping @Sendable () throws -> StorageState) {
        self.loginURL = loginURL
        self.checkURL = checkURL
        self.fallback = fallback
        self.state = state
    }

    /// From a state file that only its owner may read (mode 0600, as `StorageState/write(to:)` makes).
    public init(loginURL: String, checkURL: String, file: String, fallback: (any AuthStrategy)? = nil) {
        self.init(loginURL: loginURL, checkURL: checkURL, fallback: fallback) { try Self.readPrivate(file) }
    }

    /// A state file that only its owner may read.
    /// - Throws: ``SessionError/Code/authenticationFailed`` for a file others may read, or one that is
    ///   not a storage state.
    public static func readPrivate(_ file: String) throws -> StorageState {
        let data = try privateFileContents(file, what: "storage state")
        do { return try JSONDecoder().decode(StorageState.self, from: data) } catch {
            throw SessionError(.authenticationFailed, "\(file) is not a storage state (cookies and origins)")
        }
    }

    /// `scheme://host[:port]` of the check page: the site whose cookies are put into the browser.
    public var origin: String { SharedBrowserSession.origin(of: checkURL) ?? checkURL }

    /// Whether `url` is the login page (its origin and path).
    public func isLoginPage(_ url: String) -> Bool {
        SharedBrowserSession.origin(of: url) == SharedBrowserSession.origin(of: loginURL)
            && (URLComponents(string: url)?.path ?? "") == (URLComponents(string: loginURL)?.path ?? "/")
    }

    /// Whether `checkURL` opens without a bounce to the login page.
    public func isSignedIn(_ session: SharedBrowserSession, as participant: Participant) async throws -> Bool {
        try await session.opensWithoutBounce(checkURL, as: participant)
    }

    /// Puts the site's own cookies and its origin's local storage into the browser, then checks; signs in with the fallback when that does not work.
    /// - Throws: ``SessionError/Code/authenticationFailed`` when the state cannot be read, or is expired and there is no fallback.
    public func signIn(_ session: SharedBrowserSession, as participant: Participant) async throws {
        guard let host = URLComponents(string: origin)?.host?.lowercased() else {
            throw SessionError(.authenticationFailed, "\(Redaction.url(checkURL)) has no host")
        }
        let saved = try state()
        // This site's cookies (its host and the domains above it) and its origin's storage: no other's.
        let cookies = saved.cookies.filter { cookie in
            let domain = cookie.domain.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            return host == domain || host.hasSuffix("." + domain)
        }
        let storage = saved.origins.filter { $0.origin == origin }
        if cookies.isEmpty && storage.isEmpty, fallback == nil {
            throw SessionError(.authenticationFailed, "the saved state holds nothing for \(origin)")
        }
        try await session.setStorageState(StorageState(cookies: cookies, origins: storage), as: participant)
        if let fallback, !(try await isSignedIn(session, as: participant)) {
            try await fallback.signIn(session, as: participant)
        }
    }
}

extension SharedBrowserSession {
    /// Whether `url` opens where it was asked for, not bounced elsewhere (to a login): what a
    /// strategy's ``AuthStrategy/isSignedIn(_:as:)`` asks.
    public func opensWithoutBounce(_ url: String, as participant: Participant) async throws -> Bool {
        let opened = try await navigate(to: url, as: participant, options: .init(pageSummary: false)).get()
        return Self.origin(of: opened.url) == Self.origin(of: url)
            && URLComponents(string: opened.url)?.path == URLComponents(string: url)?.path
    }

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
    /// The result says so in its notices. A page that goes to the login after the action ended (its
    /// API answered late) is seen as it happens: the session signs in at once, as whoever holds
    /// control, and goes on as above; actions that arrive meanwhile wait for it, a `EventBuffer/BrowserEvent/Kind/signedInAgain`
    /// event says so, and so does the participant's next result. Pass nil to stop.
    public func keepSignedIn(with strategy: (any AuthStrategy)?) {
        authStrategy = strategy
        bounceWatcher?.cancel()
        bounceWatcher = nil
        guard strategy != nil else { return }
        // Pages that send themselves to the login after an action ended (a single-page app after a
        // 401 from its API): the navigation is seen here, and the sign-in runs at once.
        let navigations = events.subscribe(kinds: [.navigation])
        let pages = Dictionary(tabList.map { ($0.targetId, $0.url) }, uniquingKeysWith: { first, _ in first })
        bounceWatcher = Task { [weak self] in
            var last = pages   // tab -> its page before
            for await element in navigations {
                guard let event = element.event, case .navigation(let info) = event.payload, info.isMainFrame,
                      let tab = event.target else { continue }
                let from = last[tab]
                last[tab] = info.url
                // Only what the page did on its own: an action's navigations are the action's business.
                guard let from, event.cause.kind == .page, let self else { continue }
                await self.pageWentToLogin(from: from, to: info.url, tab: tab)
            }
        }
    }

    /// True in the task of a sign-in that a page's late bounce started (its own actions do not wait
    /// for it).
    @TaskLocal static var inSignIn = false

    /// A page of the site sent itself to the login while no action ran: sign in again as whoever
    /// holds control (else as the system), and go where the page was going.
    private func pageWentToLogin(from: String, to: String, tab: String) {
        guard !signingInAgain, actionsInProgress == 0, signInTask == nil, let strategy = authStrategy,
              strategy.isLoginPage(to), !strategy.isLoginPage(from), Self.origin(of: from) == strategy.origin,
              active.targetId == tab, state.url == to else { return }
        signInTask = Task {
            await Self.$inSignIn.withValue(true) {
                let participant = await coordinator.holder ?? .system
                signingInAgain = true
                defer { signingInAgain = false }
                let expired = "The sign-in to \(strategy.origin) had expired (the page went to the login)"
                do {
                    try await strategy.signIn(self, as: participant)
                } catch {
                    let message = expired + ", and signing in again failed: \(SessionError.from(error).message)"
                    sink.emit(.error, target: nil, payload: .message(message), cause: EventCause(participant))
                    noticesForNextResult[participant, default: []].append(message)
                    return
                }
                guard case .open(let url) = Self.bounceDestination(of: nil, landed: to, from: from, strategy: strategy) else { return }
                _ = await executeNavigate(to: url, waitUntil: .load, .navigate(to: url, waitUntil: .load, by: participant), options: .init(pageSummary: false))
                let message = expired + ": signed in again and opened \(Redaction.url(url)), where it was going."
                sink.emit(.signedInAgain, target: nil, payload: .message(message), cause: EventCause(participant))
                noticesForNextResult[participant, default: []].append(message)
            }
            signInTask = nil
        }
    }

    /// Where the sign-in is kept (``keepSignedIn(with:)``), the page the active tab shows before an
    /// action: what ``signInAgainIfBounced(_:action:from:as:options:)`` compares with.
    var pageBeforeAction: String? { authStrategy == nil ? nil : state.url }

    /// An action bounced to the login page of the remembered strategy: sign in again and go where it
    /// was going (see ``keepSignedIn(with:)``).
    func signInAgainIfBounced(_ result: ActionResult, action: BrowserAction, from before: String?, as participant: Participant,
                              options: ActionOptions) async -> ActionResult {
        guard result.error == nil, !signingInAgain, let strategy = authStrategy else { return result }
        // At the login when the action ended, or just after (a navigation that committed meanwhile).
        guard let landed = [result.url, state.url].first(where: strategy.isLoginPage) else { return result }
        let destination: Destination
        if action.type == .navigate {
            guard let url = action.params.url, !strategy.isLoginPage(url), Self.origin(of: url) == strategy.origin else { return result }
            destination = .open(url)
        } else {
            guard [.click, .press, .selectOption, .check, .uncheck, .evaluate].contains(action.type),
                  let before, !strategy.isLoginPage(before), Self.origin(of: before) == strategy.origin else { return result }
            destination = Self.bounceDestination(of: result, landed: landed, from: before, strategy: strategy)
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
            again = await executeNavigate(to: url, waitUntil: waitUntil, .navigate(to: url, waitUntil: waitUntil, by: participant), options: options)
            again.notices.append(action.type == .navigate ? expired + "." : expired + " and opened \(Redaction.url(url)), where the \(action.type) was going.")
        case .resend(let page, let form):
            again = await executeNavigate(to: page, waitUntil: .load, .navigate(to: page, waitUntil: .load, by: participant), options: options)
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
    static func bounceDestination(of result: ActionResult?, landed: String, from before: String, strategy: any AuthStrategy) -> Destination {
        let documents = (result?.events ?? []).compactMap { event -> (kind: BrowserEvent.Kind, info: RequestInfo)? in
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
        if let base = URL(string: landed), let items = URLComponents(string: landed)?.queryItems,
           let value = names.lazy.compactMap({ name in items.first { $0.name == name }?.value }).first,
           let target = URL(string: value, relativeTo: base)?.absoluteString,
           origin(of: target) == strategy.origin, !strategy.isLoginPage(target) {
            return .open(target)
        }
        return .open(before)
    }
}

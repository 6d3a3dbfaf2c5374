import EventBuffer
import Foundation

/// Secrets that must never reach events, state, results or contexts: the values of URL query
/// parameters named like passwords, one-time codes, tokens and keys (a GET form with a password
/// field puts it in the URL).
enum Redaction {
    static let mask = "***"

    /// Parameter names whose values are secret: whole names, and parts a name may contain.
    static let secretNames: Set<String> = ["pw", "pwd", "pass", "code", "pin", "otp", "sid", "auth", "key"]
    static let secretParts = ["password", "passwd", "passphrase", "secret", "token", "onetime", "one-time", "one_time",
                              "totp", "2fa", "mfa", "apikey", "api_key", "api-key", "credential", "session"]

    static func isSecret(_ name: Substring) -> Bool {
        let lower = name.lowercased()
        return secretNames.contains(lower) || secretParts.contains { lower.contains($0) }
    }

    /// `url` with the values of secret query parameters replaced by `***`.
    static func url(_ url: String) -> String {
        guard let question = url.firstIndex(of: "?") else { return url }
        let fragmentStart = url[question...].firstIndex(of: "#") ?? url.endIndex
        let query = url[url.index(after: question)..<fragmentStart]
        var changed = false
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "="), isSecret(pair[..<equals]), pair[pair.index(after: equals)...] != "" else {
                return String(pair)
            }
            changed = true
            return pair[...equals] + mask
        }
        guard changed else { return url }
        return url[...question] + pairs.joined(separator: "&") + url[fragmentStart...]
    }

    /// What a DevTools URL (`ws://host:port/devtools/browser/<id>`, which lets anyone who has it drive
    /// the browser) is called in anything recorded or reported.
    static let browserConnection = "the browser connection"

    /// `text` with every DevTools URL replaced by "the browser connection" and every URL in it (a word
    /// holding `?` and `=`) redacted.
    static func text(_ text: String) -> String {
        let text = text.contains("/devtools/") ? withoutDevToolsURLs(text) : text
        guard text.contains("?") else { return text }
        var changed = false
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map { word -> Substring in
            guard word.contains("?"), word.contains("=") else { return word }
            let redacted = url(String(word))
            if redacted != word { changed = true }
            return Substring(redacted)
        }
        return changed ? words.joined(separator: " ") : text
    }

    /// `text` with each `ws://` or `wss://` URL whose path starts with `/devtools/` replaced.
    static func withoutDevToolsURLs(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "ws://") ?? rest.range(of: "wss://") {
            var scheme = start
            if let secure = rest.range(of: "wss://"), secure.lowerBound < scheme.lowerBound { scheme = secure }
            var end = rest[scheme.lowerBound...].firstIndex { $0 == " " || $0 == "\n" || $0 == "\"" || $0 == ")" || $0 == "," }
                ?? rest.endIndex
            // Punctuation that ends a sentence is not part of the URL.
            while end > scheme.upperBound, ":.;".contains(rest[rest.index(before: end)]) { end = rest.index(before: end) }
            let candidate = rest[scheme.lowerBound..<end]
            result += rest[..<scheme.lowerBound]
            result += candidate.contains("/devtools/") ? browserConnection : String(candidate)
            rest = rest[end...]
        }
        return result + rest
    }

    /// The payload with the URLs it carries redacted.
    static func payload(_ payload: BrowserEvent.Payload) -> BrowserEvent.Payload {
        switch payload {
        case .navigation(var info):
            info.url = url(info.url)
            return .navigation(info)
        case .page(var info):
            info.url = info.url.map(url)
            return .page(info)
        case .request(var info):
            info.url = url(info.url)
            return .request(info)
        case .target(var info):
            info.url = info.url.map(url)
            return .target(info)
        case .download(var info):
            info.url = info.url.map(url)
            return .download(info)
        case .action(var info):
            info.target = info.target.map(url)
            info.error = info.error.map(text)
            if var action = info.action {
                action.params.url = action.params.url.map(url)
                action.params.pattern = action.params.pattern.map(url)
                info.action = action
            }
            return .action(info)
        case .message(let message):
            return .message(text(message))
        case .recovery(var info):
            info.detail = text(info.detail)
            return .recovery(info)
        default:
            return payload
        }
    }
}

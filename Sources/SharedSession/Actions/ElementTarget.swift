/// What an action acts on: a CSS selector, visible text, or (with accessibility snapshots) an
/// element ref.
///
/// Strings convert: `"#login"` and `"css=#login"` are CSS; `"text=Sign in"` matches the smallest
/// element whose text contains "Sign in" (case-insensitive, whitespace collapsed), and
/// `"text=\"Sign in\""` one whose whole text is exactly that; `"ref=e12"` (or just `"e12"`) is a
/// snapshot ref (`e` and a number: no element of a web page is named so; the older `e12@3` is read
/// too).
public struct ElementTarget: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// How the target finds its element.
    public enum Kind: String, Hashable, Sendable {
        case css, text, ref
    }

    /// How the target finds its element.
    public var kind: Kind
    /// The selector, the text, or the ref (without its prefix).
    public var value: String

    /// A target of `kind` with `value`.
    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// Parses the prefixed form: `css=`, `text=`, `ref=`; anything else is CSS.
    public init(_ string: String) {
        if string.hasPrefix("text=") {
            self.init(kind: .text, value: String(string.dropFirst(5)))
        } else if string.hasPrefix("css=") {
            self.init(kind: .css, value: String(string.dropFirst(4)))
        } else if string.hasPrefix("ref=") {
            self.init(kind: .ref, value: String(string.dropFirst(4)))
        } else if Self.looksLikeRef(string) {
            // `e12` as a snapshot prints it (as CSS it would name an element <e12>, which pages do not have).
            self.init(kind: .ref, value: string)
        } else {
            self.init(kind: .css, value: string)
        }
    }

    /// Parses a string literal as ``init(_:)`` does.
    public init(stringLiteral value: String) { self.init(value) }

    /// `e` digits (`e12`), or the older `e` digits `@` digits (`e12@3`).
    static func looksLikeRef(_ string: String) -> Bool { refNumber(string) != nil }

    /// The number of a ref (`e12` and `e12@3` are 12); nil when the string is not a ref.
    static func refNumber(_ string: String) -> Int? {
        let parts = string.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].first == "e", parts[0].count > 1,
              parts[0].dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy { $0.isASCII && $0.isNumber }) else { return nil }
        return Int(parts[0].dropFirst())
    }

    /// A CSS selector, taken as it is.
    public static func css(_ selector: String) -> ElementTarget { ElementTarget(kind: .css, value: selector) }
    /// The smallest element whose text contains `text` (quoted: whose whole text is `text`).
    public static func text(_ text: String) -> ElementTarget { ElementTarget(kind: .text, value: text) }
    /// A snapshot ref (`e12`).
    public static func ref(_ ref: String) -> ElementTarget { ElementTarget(kind: .ref, value: ref) }

    /// The prefixed form (`text=Sign in`, `ref=e12`; CSS as it is).
    public var description: String { kind == .css ? value : "\(kind.rawValue)=\(value)" }
}

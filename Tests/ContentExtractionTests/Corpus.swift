import Testing
import Foundation

/// The corpus of real pages used for corpus-wide checks, when there is one: `$SHARED_BROWSER_CORPUS`,
/// else `../shared/corpus` beside the package. A clone on its own has none; the checks that need it
/// are then skipped with ``skipReason``.
enum Corpus {
    static let location: URL? = {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["SHARED_BROWSER_CORPUS"], !path.isEmpty {
            return fm.fileExists(atPath: path + "/reference-lxml.json") ? URL(fileURLWithPath: path) : nil
        }
        let beside = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return fm.fileExists(atPath: beside.path + "/reference-lxml.json") ? beside : nil
    }()

    static var isAvailable: Bool { location != nil }

    static let skipReason: Comment =
        "no page corpus: set SHARED_BROWSER_CORPUS to a folder with pages/ and reference-lxml.json (or place it at ../shared/corpus)"

    /// The lxml reference: page file name to its expected counts.
    static func reference() throws -> [String: [String: Any]] {
        guard let location else { return [:] }
        let data = try Data(contentsOf: location.appendingPathComponent("reference-lxml.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]) ?? [:]
    }

    /// A corpus page's HTML, read as a browser would serialize it (UTF-8).
    static func page(_ name: String) throws -> String {
        guard let location else { return "" }
        return String(decoding: try Data(contentsOf: location.appendingPathComponent("pages/\(name)")), as: UTF8.self)
    }
}

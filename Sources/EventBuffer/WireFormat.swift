public import Foundation

/// The published JSON form of events and actions: its version, its times, and what older versions
/// look like when read.
///
/// Version 2 (this one) gives every event and action named fields, a discriminator (`kind` for an
/// event, `type` for an action), ISO 8601 times and a `version` field:
///
/// ```json
/// {"version": 2, "sequence": 7, "timestamp": "2026-12-06T22:01:27.123Z", "kind": "navigation",
///  "cause": {"kind": "agent", "id": "collector"}, "target": "9A1F…",
///  "navigation": {"url": "https://example.com/", "isMainFrame": true}}
/// {"version": 2, "type": "click", "params": {"target": "#submit"}, "source": {"kind": "agent", "id": "collector"}}
/// ```
///
/// An event's details sit under one key named after what they are (`navigation`, `page`, `console`,
/// `pageError`, `dialog`, `download`, `request`, `action`, `control`, `tab`, `message`, `missed`,
/// `recovery`, `custom`), or under none. The JSON Schemas are in `Documentation/schemas/`.
///
/// Version 1 (before this one) had no `version` field and Swift's own coding of the details
/// (`"payload":{"page":{"_0":{…}}}`); it is still read. A version newer than ``version`` is refused
/// with a `DecodingError` that names it.
public enum WireFormat {
    /// The version this library writes, and the newest it reads.
    public static let version = 2

    /// `date` as ISO 8601 UTC with milliseconds: `2026-12-06T22:01:27.123Z`.
    public static func formatTime(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    /// The time an ISO 8601 UTC string names (`YYYY-MM-DDTHH:MM:SS[.fff…]Z`); nil for anything else.
    public static func parseTime(_ text: String) -> Date? {
        var utf8 = text.utf8.makeIterator()
        func number(_ digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let byte = utf8.next(), byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        func expect(_ character: UInt8) -> Bool { utf8.next() == character }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2), expect(84),
              let hour = number(2), expect(58), let minute = number(2), expect(58), let second = number(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var fraction = 0.0, scale = 0.1
        var next = utf8.next()
        if next == 46 {
            next = utf8.next()
            while let byte = next, byte >= 48, byte <= 57 {
                fraction += Double(byte - 48) * scale
                scale /= 10
                next = utf8.next()
            }
        }
        guard next == 90, utf8.next() == nil else { return nil }
        // Days from 1970-01-01 in the proleptic Gregorian calendar.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let whole = Double(days * 86_400 + hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: whole + fraction)
    }

    /// Throws when `found` is newer than this library reads.
    static func check(_ found: Int, codingPath: [any CodingKey]) throws {
        guard found <= version, found >= 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription:
                "wire format version \(found): this library reads versions 1 to \(version)"))
        }
    }

    /// Decodes a time written as ISO 8601 (version 2), or as seconds since 2001 (version 1 written by
    /// a plain `JSONEncoder`).
    static func decodeTime<K: CodingKey>(_ container: KeyedDecodingContainer<K>, forKey key: K) throws -> Date {
        if let text = try? container.decode(String.self, forKey: key) {
            if let date = parseTime(text) ?? (try? Date(text, strategy: .iso8601)) { return date }
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an ISO 8601 time: \(text)")
        }
        return try container.decode(Date.self, forKey: key)
    }
}

import EventBuffer
import Foundation
@testable import SharedSession
import Testing

@Suite struct RecordingTests {
    private func folder() -> String {
        NSTemporaryDirectory() + "sb-recording-\(UUID().uuidString.prefix(8))"
    }

    private func lines(_ folder: String) throws -> [(segment: String, record: TimelineRecord?)] {
        let decoder = TimelineRecord.makeDecoder()
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().flatMap { segment in
            let data = FileManager.default.contents(atPath: "\(folder)/\(segment)/timeline.jsonl") ?? Data()
            return data.split(separator: 0x0A).map { (segment, try? decoder.decode(TimelineRecord.self, from: $0)) }
        }
    }

    private func size(_ folder: String) -> Int {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var total = 0
        while let path = enumerator?.nextObject() as? String {
            total += ((try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(path)"))?[.size] as? Int) ?? 0
        }
        return total
    }

    /// Records round-trip through the JSON-lines format.
    @Test func recordsRoundTrip() throws {
        let event = BrowserEvent(sequence: 7, timestamp: Date(timeIntervalSince1970: 1_800_000_000.125), kind: .console,
                                 cause: .agent("a"), target: "T", payload: .console(ConsoleInfo(level: "error", text: "x")))
        let shot = TimelineScreenshot(file: "segment-000001/shots/000001.jpg", timestamp: Date(timeIntervalSince1970: 1_800_000_000.5),
                                      width: 1280, height: 720, target: "T", reason: .after, action: 5)
        let records: [TimelineRecord] = [.header(TimelineHeader(sessionId: "s", started: Date(timeIntervalSince1970: 1_800_000_000), segment: 1)),
                                         .event(event), .screenshot(shot), .missed(3)]
        let encoder = TimelineRecord.makeEncoder(), decoder = TimelineRecord.makeDecoder()
        for record in records {
            let data = try encoder.encode(record)
            #expect(!data.contains(0x0A), "one line")
            let back = try decoder.decode(TimelineRecord.self, from: data)
            #expect(try encoder.encode(back) == data)
        }
        if case .event(let back) = try decoder.decode(TimelineRecord.self, from: encoder.encode(TimelineRecord.event(event))) {
            #expect(back == event, "dates keep their milliseconds")
        }
    }

    /// Over its cap, the recording drops its oldest segments and stays within the cap; what remains
    /// reads back, each segment starting with its header.
    @Test func theCapDropsTheOldestSegments() throws {
        let directory = folder()
        let cap = 3 << 20
        let recorder = try TimelineRecorder(directory: directory, options: RecordingOptions(screenshots: false, maxBytes: cap), sessionId: "capped", clock: SessionClock(ContinuousClock()))
        let text = String(repeating: "x", count: 10_000)
        for sequence in 1...900 {
            recorder.record(BrowserEvent(sequence: UInt64(sequence), kind: .console, cause: .page, target: "T",
                                         payload: .console(ConsoleInfo(level: "log", text: text))))
        }
        recorder.flush()
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(!segments.contains("segment-000001"), "the oldest went: \(segments)")
        #expect(segments.count >= 2)
        #expect(size(directory) <= cap + (64 << 10), "\(size(directory)) bytes on disk")
        let read = try lines(directory)
        #expect(read.allSatisfy { $0.record != nil })
        for segment in segments {
            guard case .header(let header) = read.first(where: { $0.segment == segment })?.record else {
                Issue.record("\(segment) starts without a header")
                continue
            }
            #expect(header.sessionId == "capped")
        }
        // The newest events are kept.
        let last = read.compactMap { if case .event(let event) = $0.record { event.sequence } else { nil } }.max()
        #expect(last == 900)
    }

    /// Dates are written as ISO 8601 UTC with milliseconds and read back to the millisecond.
    @Test func datesRoundTrip() {
        #expect(WireFormat.formatTime(Date(timeIntervalSince1970: 1_800_000_000.5)) == "2027-01-15T08:00:00.500Z")
        #expect(WireFormat.formatTime(Date(timeIntervalSince1970: 0.007)) == "1970-01-01T00:00:00.007Z")
        for seconds in stride(from: 0.0, to: 4_000_000_000, by: 97_654_321.123) {
            let date = Date(timeIntervalSince1970: seconds)
            let back = WireFormat.parseTime(WireFormat.formatTime(date))
            #expect(back.map { abs($0.timeIntervalSince(date)) < 0.001 } == true, "\(date)")
        }
        #expect(WireFormat.parseTime("2027-01-15T08:00:00Z") == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(WireFormat.parseTime("2027-13-15T08:00:00Z") == nil)
        #expect(WireFormat.parseTime("yesterday") == nil)
    }

    /// The folder is private; the default folder is in the profile, or beside the sessions without one.
    @Test func theFolderIsPrivate() throws {
        let directory = folder()
        _ = try TimelineRecorder(directory: directory, options: RecordingOptions(), sessionId: "private", clock: SessionClock(ContinuousClock()))
        let mode = (try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o700)
        #expect(TimelineRecorder.defaultDirectory(sessionId: "s", profile: "/p").hasPrefix("/p/Timelines/"))
        let own = TimelineRecorder.defaultDirectory(sessionId: "shop", profile: nil)
        #expect(own.contains("/shared-browser/timelines/shop/"), "\(own)")
    }
}

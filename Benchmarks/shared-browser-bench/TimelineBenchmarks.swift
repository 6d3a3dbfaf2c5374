import DemoSite
import EventBuffer
import Foundation
import SharedSession
import Timeline

/// What recording costs and yields:
/// - `timeline_overhead`: the actions benchmark (fill + fill + click + navigation, with the page
///   summary) on a session that records (screenshots on) and one that does not, in alternating rounds;
/// - `timeline_bytes`: bytes per minute of that busy recording;
/// - `timeline_export`: a 10-minute recording (the busy one, repeated to 10 minutes) read and written
///   as the HTML report and the Playwright trace.
func benchTimeline(n: Int?, launch: CDPBrowser.LaunchOptions) async throws {
    let site = try await DemoSite.start()
    let folder = NSTemporaryDirectory() + "shared-browser-bench-timeline-\(getpid())"
    try? FileManager.default.removeItem(atPath: folder)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func session(_ id: String, recording: Bool) async throws -> SharedBrowserSession {
        try await temporarySession(id: id, launch: launch) { options in
            if recording { options.recording = RecordingOptions(directory: folder + "/recording") }
        }
    }
    let plain = try await session("bench-timeline-off", recording: false)
    let recorded = try await session("bench-timeline-on", recording: true)
    let agent = Participant.agent("bench")
    for each in [plain, recorded] { _ = await each.coordinator.tryRequestControl(for: agent) }
    let rounds = n ?? 30
    var off: [Duration] = [], on: [Duration] = []
    let clock = ContinuousClock()
    var recordingStarted = clock.now
    for round in 0..<(rounds + 3) {
        if round == 3 { recordingStarted = clock.now }
        // Alternating which goes first, so neither always runs on a warmer machine.
        for recording in round % 2 == 0 ? [false, true] : [true, false] {
            let elapsed = try await signIn(recording ? recorded : plain, site: site, as: agent, pageSummary: true)
            if round >= 3 { if recording { on.append(elapsed) } else { off.append(elapsed) } }
        }
    }
    let busy = recordingStarted.duration(to: clock.now)
    let frames = recorded.lastScreenFrame?.sequence ?? 0   // screenshots taken
    recorded.flushRecording()
    let bytes = folderSize(folder + "/recording")
    await plain.close()
    await recorded.close()
    await site.stop()
    let offStats = Stats(off), onStats = Stats(on)
    let overhead = (onStats.percentile(50) / offStats.percentile(50) - 1) * 100
    emit(["bench": "timeline_overhead", "n": rounds, "off_median_ms": offStats.ms(50), "off_p95_ms": offStats.ms(95),
          "on_median_ms": onStats.ms(50), "on_p95_ms": onStats.ms(95), "on_p99_ms": onStats.ms(99),
          "overhead_percent": (overhead * 10).rounded() / 10, "steps": "fill+fill+click+wait for navigation, page summary on"])
    let seconds = Double(busy.components.seconds) + Double(busy.components.attoseconds) / 1e18
    // Both sessions took turns, so the recorded one was busy about half of the time.
    emit(["bench": "timeline_bytes", "busy_seconds": (seconds * 10).rounded() / 10, "bytes": bytes, "screenshots_taken": frames,
          "bytes_per_busy_minute": Int(Double(bytes) / (seconds / 2) * 60)])

    // A 10-minute recording: the busy one, repeated with shifted times.
    let recording = try Timeline(directory: folder + "/recording")
    let long = folder + "/ten-minutes"
    let minutes = try writeRepeated(recording, to: long, minutes: 10)
    let recordingBytes = folderSize(long)
    // Each part alone, then what `shared-browser-timeline DIR` does: read once, write both at once.
    var read: [Duration] = [], report: [Duration] = [], trace: [Duration] = [], total: [Duration] = []
    var sizes = (0, 0, 0)
    for _ in 0..<3 {
        var start = clock.now
        let timeline = try Timeline(directory: long)
        read.append(start.duration(to: clock.now))
        start = clock.now
        try TimelineReport.write(timeline, to: folder + "/report.html")
        report.append(start.duration(to: clock.now))
        start = clock.now
        try PlaywrightTrace.write(timeline, to: folder + "/trace.zip")
        trace.append(start.duration(to: clock.now))
        start = clock.now
        let (reportPath, tracePath) = try Timeline(directory: long).writeReportAndTrace()
        total.append(start.duration(to: clock.now))
        sizes = (timeline.entries.count, fileSize(reportPath), fileSize(tracePath))
    }
    emit(["bench": "timeline_export", "minutes": minutes, "entries": sizes.0, "recording_bytes": recordingBytes,
          "read_median_ms": Stats(read).ms(50), "report_median_ms": Stats(report).ms(50), "trace_median_ms": Stats(trace).ms(50),
          "total_median_ms": Stats(total).ms(50), "total_p95_ms": Stats(total).ms(95), "report_bytes": sizes.1, "trace_bytes": sizes.2])
}

/// Writes `timeline` again and again, times shifted, until it spans `minutes`; returns the minutes written.
private func writeRepeated(_ timeline: Timeline, to folder: String, minutes: Double) throws -> Double {
    let segment = folder + "/segment-000001"
    try FileManager.default.createDirectory(atPath: segment + "/shots", withIntermediateDirectories: true)
    let encoder = TimelineRecord.makeEncoder()
    var out = Data()
    func line(_ record: TimelineRecord) throws {
        out.append(try encoder.encode(record))
        out.append(0x0A)
    }
    try line(.header(TimelineHeader(sessionId: timeline.sessionId, started: timeline.started, segment: 1)))
    let span = max(1, timeline.ended.timeIntervalSince(timeline.started))
    let copies = Int((minutes * 60 / span).rounded(.up))
    var sequence: UInt64 = 0
    var shots = 0
    for copy in 0..<copies {
        let shift = Double(copy) * span
        for entry in timeline.entries {
            switch entry {
            case .event(var event):
                sequence += 1
                event.sequence = sequence
                event.timestamp += shift
                try line(.event(event))
            case .screenshot(var shot):
                shots += 1
                let file = String(format: "segment-000001/shots/%06d.jpg", shots)
                if let jpeg = timeline.image(shot) { _ = FileManager.default.createFile(atPath: folder + "/" + file, contents: jpeg) }
                shot.file = file
                shot.timestamp += shift
                try line(.screenshot(shot))
            }
        }
    }
    try out.write(to: URL(fileURLWithPath: segment + "/timeline.jsonl"))
    return (Double(copies) * span / 60 * 10).rounded() / 10
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

func folderSize(_ folder: String) -> Int {
    let enumerator = FileManager.default.enumerator(atPath: folder)
    var total = 0
    while let path = enumerator?.nextObject() as? String { total += fileSize(folder + "/" + path) }
    return total
}

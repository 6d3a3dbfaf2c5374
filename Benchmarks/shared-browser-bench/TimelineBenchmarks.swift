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
    func session(_ id: String, recording: RecordingOptions?) async throws -> SharedBrowserSession {
        try await temporarySession(id: id, launch: launch) { $0.recording = recording }
    }
    // Off; on with each step waiting for the picture after the one before; on as by default (steps
    // never wait: back-to-back steps then have no pictures between them); and that without the
    // page's documents.
    let variants: [(name: String, session: SharedBrowserSession)] = [
        ("off", try await session("bench-timeline-off", recording: nil)),
        ("on", try await session("bench-timeline-on", recording: RecordingOptions(directory: folder + "/recording",
                                                                                  pictureWait: .seconds(1)))),
        ("on_never_waiting", try await session("bench-timeline-nowait", recording: RecordingOptions(directory: folder + "/nowait",
                                                                                                    pictureWait: .zero))),
        ("on_no_page_snapshots", try await session("bench-timeline-nopages", recording: RecordingOptions(
            directory: folder + "/nopages", pictureWait: .zero, pageSnapshots: false))),
    ]
    let agent = Participant.agent("bench")
    for each in variants { _ = await each.session.coordinator.tryRequestControl(for: agent) }
    let rounds = n ?? 30
    var samples: [String: [Duration]] = [:]
    let clock = ContinuousClock()
    var recordingStarted = clock.now
    for round in 0..<(rounds + 3) {
        if round == 3 { recordingStarted = clock.now }
        // Rotating which goes first, so none always runs on a warmer machine.
        for index in 0..<variants.count {
            let variant = variants[(index + round) % variants.count]
            let elapsed = try await signIn(variant.session, site: site, as: agent, pageSummary: true)
            if round >= 3 { samples[variant.name, default: []].append(elapsed) }
        }
    }
    let busy = recordingStarted.duration(to: clock.now)
    for each in variants { each.session.flushRecording() }
    let bytes = folderSize(folder + "/recording")
    let recordedTimeline = try Timeline(directory: folder + "/recording")
    let pictured = recordedTimeline.actions.filter { $0.after != nil }.count
    let neverWaiting = try Timeline(directory: folder + "/nowait").actions
    for each in variants { await each.session.close() }
    await site.stop()
    let off = Stats(samples["off"]!), on = Stats(samples["on"]!), fast = Stats(samples["on_never_waiting"]!)
    let noPages = Stats(samples["on_no_page_snapshots"]!)
    func percent(_ stats: Stats) -> Double { ((stats.percentile(50) / off.percentile(50) - 1) * 1000).rounded() / 10 }
    emit(["bench": "timeline_overhead", "n": rounds, "off_median_ms": off.ms(50), "off_p95_ms": off.ms(95),
          "on_median_ms": on.ms(50), "on_p95_ms": on.ms(95), "on_overhead_percent": percent(on),
          "on_actions_with_after_picture": "\(pictured) of \(recordedTimeline.actions.count)",
          "on_never_waiting_median_ms": fast.ms(50), "on_never_waiting_p95_ms": fast.ms(95), "on_never_waiting_overhead_percent": percent(fast),
          "on_never_waiting_actions_with_after_picture": "\(neverWaiting.filter { $0.after != nil }.count) of \(neverWaiting.count)",
          "on_never_waiting_actions_with_page_after": "\(neverWaiting.filter { $0.pageAfter != nil }.count) of \(neverWaiting.count)",
          "on_no_page_snapshots_median_ms": noPages.ms(50), "on_no_page_snapshots_overhead_percent": percent(noPages),
          "steps": "fill+fill+click+wait for navigation, page summary on"])
    let seconds = Double(busy.components.seconds) + Double(busy.components.attoseconds) / 1e18
    // The sessions took turns, so the recorded one was busy about a quarter of the time.
    emit(["bench": "timeline_bytes", "busy_seconds": (seconds * 10).rounded() / 10, "bytes": bytes,
          "pictures": recordedTimeline.screenshots.count, "bytes_per_busy_minute": Int(Double(bytes) / (seconds / 4) * 60)])

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

    // An hour of a busy session (the recorded one at one action a second, with its events and pictures)
    // as a report, opened in Chromium: until its script has drawn it, and a jump to the middle of its
    // event list drawn.
    let hour = folder + "/hour"
    let hourMinutes = try writeRepeated(recording, to: hour, minutes: 60, actionsPerMinute: 60)
    let hourTimeline = try Timeline(directory: hour)
    let hourReport = hour + "/report.html"
    try TimelineReport.write(hourTimeline, to: hourReport)
    let viewer = try await corpusSession(id: "bench-timeline-report", launch: launch)
    let system = Participant.system
    var opened: [Duration] = [], scrolled: [Duration] = []
    for _ in 0..<5 {
        try await viewer.navigate(to: "about:blank", as: system).get()
        let start = clock.now
        try await viewer.navigate(to: URL(fileURLWithPath: hourReport).absoluteString, as: system,
                                  options: .init(timeout: .seconds(60), pageSummary: false)).get()
        let ready = try await viewer.evaluate("document.body.dataset.ready", as: system).get().value?.stringValue
        guard ready == "1" else { throw SessionError(.navigationFailed, "the report did not draw itself") }
        opened.append(start.duration(to: clock.now))
        let scroll = try await viewer.evaluate("""
            (async () => { const list = document.getElementById('event-list'); const t = performance.now();
              list.scrollTop = list.scrollHeight / 2; list.dispatchEvent(new Event('scroll'));
              await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return performance.now() - t; })()
            """, as: system).get().value?.doubleValue ?? -1
        scrolled.append(.milliseconds(scroll))
    }
    await viewer.close()
    emit(["bench": "timeline_report_hour", "minutes": hourMinutes, "actions": hourTimeline.actions.count,
          "events": hourTimeline.events.count, "pictures": hourTimeline.screenshots.count, "report_bytes": fileSize(hourReport),
          "open_median_ms": Stats(opened).ms(50), "open_p95_ms": Stats(opened).ms(95),
          "scroll_to_middle_median_ms": Stats(scrolled).ms(50)])
}

/// Writes `timeline` again and again, times shifted, until it spans `minutes`; returns the minutes
/// written. `actionsPerMinute`: the copies are stretched in time to that pace at most (nil: as recorded).
private func writeRepeated(_ timeline: Timeline, to folder: String, minutes: Double, actionsPerMinute: Double? = nil) throws -> Double {
    let segment = folder + "/segment-000001"
    try FileManager.default.createDirectory(atPath: segment + "/shots", withIntermediateDirectories: true)
    let encoder = TimelineRecord.makeEncoder()
    var out = Data()
    func line(_ record: TimelineRecord) throws {
        out.append(try encoder.encode(record))
        out.append(0x0A)
    }
    try line(.header(TimelineHeader(sessionId: timeline.sessionId, started: timeline.started, segment: 1)))
    let recorded = max(1, timeline.ended.timeIntervalSince(timeline.started))
    let pace = Double(timeline.actions.count) / (recorded / 60)
    let stretch = actionsPerMinute.map { max(1, pace / $0) } ?? 1
    let span = recorded * stretch
    let copies = Int((minutes * 60 / span).rounded(.up))
    let perCopy = timeline.events.map(\.sequence).max() ?? 0
    var shots = 0
    func moved(_ date: Date, _ copy: Int) -> Date {
        timeline.started.addingTimeInterval(date.timeIntervalSince(timeline.started) * stretch + Double(copy) * span)
    }
    for copy in 0..<copies {
        let offset = UInt64(copy) * perCopy
        for entry in timeline.entries {
            switch entry {
            case .event(var event):
                event.sequence += offset
                event.timestamp = moved(event.timestamp, copy)
                try line(.event(event))
            case .screenshot(var shot):
                shots += 1
                let file = String(format: "segment-000001/shots/%06d.jpg", shots)
                if let jpeg = timeline.image(shot) { _ = FileManager.default.createFile(atPath: folder + "/" + file, contents: jpeg) }
                shot.file = file
                shot.timestamp = moved(shot.timestamp, copy)
                shot.action = shot.action.map { $0 + offset }
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

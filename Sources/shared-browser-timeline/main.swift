import ArgumentParser
import Foundation
import Timeline

/// Turns a recording folder into an HTML report and a Playwright trace.
@main
struct SharedBrowserTimeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shared-browser-timeline",
        abstract: "Turns a SharedBrowser recording folder into an HTML report and a Playwright trace.",
        discussion: """
            With neither --html nor --trace, writes both into the recording folder (report.html and trace.zip).
            Open the report in any browser; open the trace with `playwright show-trace trace.zip`.
            """)

    @Argument(help: "The recording folder (the session's recordingDirectory).")
    var directory: String

    @Option(name: .long, help: "Where to write the HTML report (one self-contained file).")
    var html: String?

    @Option(name: .long, help: "Where to write the Playwright trace (a .zip).")
    var trace: String?

    func run() throws {
        let timeline: Timeline
        do { timeline = try Timeline(directory: directory) } catch {
            throw ValidationError("\(error)")
        }
        if html == nil, trace == nil {
            let (report, trace) = try timeline.writeReportAndTrace()
            print("timeline report: \(report)")
            print("timeline trace: \(trace)")
        }
        if let path = html {
            try TimelineReport.write(timeline, to: path)
            print("timeline report: \(path)")
        }
        if let path = trace {
            try PlaywrightTrace.write(timeline, to: path)
            print("timeline trace: \(path)")
        }
        let skipped = timeline.skippedLines > 0 ? ", \(timeline.skippedLines) unreadable lines skipped" : ""
        print("\(timeline.actions.count) actions, \(timeline.events.count) events, \(timeline.screenshots.count) screenshots\(skipped)")
    }
}

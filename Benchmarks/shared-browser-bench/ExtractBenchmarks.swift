import ContentExtraction
import Foundation

/// Extraction throughput over a folder of HTML files: every file is parsed and fully extracted
/// (title, meta, headings, links, forms, images, main text), `rounds` times.
func benchExtract(directory: String, rounds: Int?, perPage: Bool) throws {
    let fm = FileManager.default
    let names = try fm.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".html") || $0.hasSuffix(".htm") }.sorted()
    // Read as the browser would hand it over: UTF-8 text.
    let pages = try names.map { name -> (String, String) in
        (name, String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)), as: UTF8.self))
    }
    let totalBytes = pages.reduce(0) { $0 + $1.1.utf8.count }
    let clock = ContinuousClock()
    let repeats = rounds ?? 20
    var perPageSamples: [Duration] = []
    var best = Duration.seconds(1_000_000)
    for _ in 0..<repeats {
        let start = clock.now
        for (_, html) in pages {
            let pageStart = clock.now
            _ = try HTMLDocument.extract(html: html, url: "https://example.test/")
            perPageSamples.append(pageStart.duration(to: clock.now))
        }
        best = min(best, start.duration(to: clock.now))
    }
    let stats = Stats(perPageSamples)
    let mbPerSecond = Double(totalBytes) / 1e6 / seconds(best)
    emit(["bench": "extract", "n": pages.count, "bytes": totalBytes, "rounds": repeats,
          "mb_per_s": (mbPerSecond * 10).rounded() / 10,
          "median_ms": stats.ms(50), "p95_ms": stats.ms(95), "p99_ms": stats.ms(99)])
    if perPage {
        for (name, html) in pages {
            let content = try HTMLDocument.extract(html: html, url: "https://example.test/")
            emit(["bench": "extract_page", "page": name, "title": content.title.replacingOccurrences(of: "\"", with: "\\\""),
                  "links": content.links.count, "headings": content.headings.count, "forms": content.forms.count,
                  "form_fields": content.forms.reduce(0) { $0 + $1.fields.count }])
        }
    }
}

/// Writes each page's extracted text (main text, headings and link texts: what agents are given) to
/// `output`, and prints the estimated token count per page, for `Benchmarks/peers/token_error.py`.
func benchTokens(directory: String, output: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: output, withIntermediateDirectories: true)
    let counter = EstimatedTokenCounter()
    for name in try fm.contentsOfDirectory(atPath: directory).filter({ $0.hasSuffix(".html") }).sorted() {
        let html = String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)), as: UTF8.self)
        let content = try HTMLDocument.extract(html: html, url: "https://example.test/")
        let text = ([content.title] + content.headings.map(\.text) + [content.mainText] + content.links.map(\.text))
            .joined(separator: "\n")
        try text.write(toFile: output + "/" + name + ".txt", atomically: true, encoding: .utf8)
        let clock = ContinuousClock()
        let start = clock.now
        let estimate = counter.count(text)
        let elapsed = start.duration(to: clock.now)
        let upperStart = clock.now
        let upper = EstimatedTokenCounter.upperBound.count(text)
        let upperElapsed = upperStart.duration(to: clock.now)
        emit(["bench": "tokens", "page": name, "chars": text.count, "estimated": estimate,
              "upper_bound": upper, "upper_bound_us": (seconds(upperElapsed) * 1e7).rounded() / 10,
              "estimate_us": (seconds(elapsed) * 1e7).rounded() / 10])
    }
}

// Fuzzing the HTML extractor with libFuzzer.
//
//   make fuzz                       # 10 minutes, seeded with the corpus pages
//   make fuzz FUZZ_SECONDS=60       # shorter
//
// `make fuzz` compiles this file together with the extractor's sources with swiftc
// (-sanitize=fuzzer,address -DFUZZING): libFuzzer brings its own main, which SwiftPM's executable
// linking does not allow.
//
// Built normally (as `make test` builds it), the same program replays the files it is given, so a
// crash the fuzzer found can be reproduced and kept as a regression input.
#if canImport(ContentExtraction)
import ContentExtraction
#endif

@inline(never)
func extract(_ bytes: UnsafeBufferPointer<UInt8>) {
    let html = String(decoding: bytes, as: UTF8.self)
    guard let content = try? HTMLDocument.extract(html: html, url: "https://fuzz.test/dir/page.html") else { return }
    // Touch everything, so nothing is optimized away.
    _ = content.title.utf8.count + content.mainText.utf8.count + content.links.count + content.images.count
        + content.forms.reduce(0) { $0 + $1.fields.count } + content.headings.count
}

#if FUZZING
/// libFuzzer's entry point: extracts one input; a crash or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    extract(UnsafeBufferPointer(start: data, count: size))
    return 0
}
#else
import Foundation

@main
struct ReplayInputs {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        for path in paths {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { extract($0.bindMemory(to: UInt8.self)) }
        }
        print("replayed \(paths.count) inputs without a crash")
    }
}
#endif

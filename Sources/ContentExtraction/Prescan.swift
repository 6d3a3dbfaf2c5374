#if canImport(Glibc)
private import Glibc
#elseif canImport(Musl)
private import Musl
#elseif canImport(Darwin)
private import Darwin
#endif

/// Shrinks a document before parsing to what extraction reads: the bodies of `<script>` and
/// `<style>` go (their tags stay, so libxml2 builds the same structure), comments go, and runs of
/// whitespace in text become one space (extraction collapses them anyway; a `<textarea>`'s text,
/// which is read as written, is kept as is). A small tokenizer finds the real tags: it skips quoted
/// attribute values, so a `<script` inside one is left alone; a body ends at the first `</script`
/// (`</style`, `</textarea`), as in browsers and libxml2.
enum Prescan {
    /// The shrunk input; nil when there was nothing to take out.
    static func shrunk(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = input.count
        guard n > 0, let p = input.baseAddress else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var changed = false
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C }
        func matches(_ at: Int, _ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard at + count <= n else { return false }
            let w = word.utf8Start
            for k in 0..<count where lower(p[at + k]) != w[k] { return false }
            return true
        }
        /// The next `byte` at or after `start` (memchr: these scans are most of the work).
        func next(_ byte: UInt8, from start: Int) -> Int? {
            guard start < n, let found = memchr(p + start, Int32(byte), n - start) else { return nil }
            return UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - p
        }
        /// The index just past the `>` ending the tag that starts at `start`, skipping quoted values.
        func tagEnd(_ start: Int) -> Int? {
            var k = start
            while let close = next(0x3E, from: k) {
                // A quote before the '>' opens a value that may hold one: skip past its end.
                var quote: Int?
                var j = k
                while j < close {
                    let b = p[j]
                    if b == 0x22 || b == 0x27 { quote = j; break }
                    j += 1
                }
                guard let open = quote else { return close + 1 }
                guard let end = next(p[open], from: open + 1) else { return nil }
                k = end + 1
            }
            return nil
        }
        func find(_ word: StaticString, from start: Int) -> Int? {
            var k = start
            let first = word.utf8Start[0]
            while let at = next(first, from: k) {
                if matches(at, word) { return at }
                k = at + 1
            }
            return nil
        }
        func copy(_ from: Int, _ to: Int) {
            if to > from { out.append(contentsOf: UnsafeBufferPointer(start: p + from, count: to - from)) }
        }
        /// Text, with each run of whitespace as one space.
        func copyText(_ from: Int, _ to: Int) {
            var k = from
            while k < to {
                var run = k
                while run < to, !isSpace(p[run]) { run += 1 }
                copy(k, run)
                guard run < to else { break }
                var after = run + 1
                while after < to, isSpace(p[after]) { after += 1 }
                if after - run > 1 || p[run] != 0x20 { changed = true }
                out.append(0x20)
                k = after
            }
        }
        var i = 0
        while i < n {
            guard let lt = next(0x3C, from: i) else { copyText(i, n); break }   // '<'
            copyText(i, lt)
            guard lt + 1 < n else { copy(lt, n); break }
            let after = p[lt + 1]
            if after == 0x21 {                                                     // '<!'
                if matches(lt, "<!--") {
                    // A comment: never content.
                    changed = true
                    guard let end = find("-->", from: lt + 4) else { break }
                    i = end + 3
                } else {
                    let end = tagEnd(lt + 2) ?? n
                    copy(lt, end)
                    i = end
                }
                continue
            }
            let isLetter = (after | 0x20) >= 0x61 && (after | 0x20) <= 0x7A
            guard isLetter else { out.append(0x3C); i = lt + 1; continue }
            let closing: StaticString?
            var keepBody = false
            if matches(lt, "<script") { closing = "</script" }
            else if matches(lt, "<style") { closing = "</style" }
            else if matches(lt, "<textarea") { closing = "</textarea"; keepBody = true }
            else { closing = nil }
            guard let end = tagEnd(lt + 1) else { copy(lt, n); break }
            copy(lt, end)
            i = end
            guard let closing else { continue }
            let nameEnd = lt + closing.utf8CodeUnitCount - 1
            let boundary = nameEnd < n ? p[nameEnd] : 0x3E
            guard boundary == 0x3E || boundary == 0x2F || isSpace(boundary) else { continue }
            // A raw-text element: its body up to the closing tag is dropped, or kept as written.
            let close = find(closing, from: end) ?? n
            if keepBody { copy(end, close) } else if close > end { changed = true }
            i = close
        }
        return changed ? out : nil
    }
}

import SharedBrowserSupport
import Testing

@Suite struct ConstantTimeTests {
    @Test func equalOnlyWhenEqual() {
        #expect(constantTimeEquals("Bearer abc", "Bearer abc"))
        #expect(!constantTimeEquals("Bearer abc", "Bearer abd"))
        #expect(!constantTimeEquals("", "x"))
        #expect(constantTimeEquals("", ""))
        // Lengths 256 apart, the longer one padded with NUL bytes: still different.
        #expect(!constantTimeEquals("", String(repeating: "\u{0}", count: 256)))
        #expect(!constantTimeEquals("abc", "abc" + String(repeating: "\u{0}", count: 256)))
    }
}

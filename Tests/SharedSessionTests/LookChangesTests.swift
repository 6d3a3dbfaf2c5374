import SharedSession
import Testing

/// Two looks at one document, compared line by line, elements by their refs.
@Suite struct LookChangesTests {
    @Test func addedChangedAndRemovedByRef() {
        let old = ["heading \"List\"", "checkbox \"Agree\" ref=e1", "button \"Add\" ref=e2", "button \"Old\" ref=e3"]
        let new = ["heading \"List\"", "checkbox \"Agree\" [checked] ref=e1", "button \"Add\" ref=e2", "button \"Item 0\" ref=e4"]
        let changes = LookChanges(old: old, new: new)
        #expect(changes.added == ["button \"Item 0\" ref=e4"])
        #expect(changes.changed == ["checkbox \"Agree\" [checked] ref=e1"])
        #expect(changes.removed == ["button \"Old\" ref=e3"])
        #expect(changes.unchanged == 2 && !changes.isMostOfIt)
        #expect(changes.lines == ["+ button \"Item 0\" ref=e4", "~ checkbox \"Agree\" [checked] ref=e1", "- button \"Old\" ref=e3"])
    }

    @Test func nothingOrMostOfIt() {
        let page = ["a ref=e1", "b ref=e2"]
        #expect(LookChanges(old: page, new: page).isEmpty)
        #expect(LookChanges(old: page, new: ["c ref=e3", "d ref=e4", "e ref=e5", "f ref=e6", "a ref=e1"]).isMostOfIt)
    }
}

import Coordination
import Foundation
import Testing

@Suite struct ParticipantTests {
    @Test func onlyHumansPreemptAndIdentityIsKindAndId() throws {
        #expect(Participant.human("alice").canPreempt)
        #expect(!Participant.agent("collector").canPreempt)
        #expect(!Participant.system.canPreempt)
        #expect(Participant.agent("x") != Participant.human("x"))
        #expect(Participant.agent("collector").description == "agent:collector")
        #expect(Participant.page.description == "page")
        let decoded = try JSONDecoder().decode(Participant.self, from: JSONEncoder().encode(Participant.human("alice")))
        #expect(decoded == .human("alice"))
    }
}

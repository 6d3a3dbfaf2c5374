// The session layer builds on every other target; what its API shows is re-exported, so
// `import SharedSession` is the one import an embedding application needs.
@_exported public import CDPTransport
@_exported public import Coordination
@_exported public import ContentExtraction
@_exported public import EventBuffer

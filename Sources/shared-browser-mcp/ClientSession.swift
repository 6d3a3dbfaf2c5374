import Foundation
import Logging
import MCP

/// One MCP client's Streamable HTTP session: the transport its `Server` speaks through.
///
/// What the SDK's `StatefulHTTPServerTransport` does, but holding only what is in flight: that
/// transport keeps every message it ever sent, for replay to a client that resumes with
/// `Last-Event-ID`, so each call cost a client's server about 9 KB for good (10,000 `tools/list`
/// calls: 40 to 129 MiB). Here a response goes out on its request's event stream and is forgotten;
/// server-initiated messages go to the client's standing `GET` stream, or nowhere when it has none.
/// Resuming is not offered (the spec makes it optional), so no event ids are sent.
///
/// Each stream holds at most ``maxQueuedMessages`` unread messages: a client that stops reading
/// has its stream closed, not its messages kept.
actor ClientSession: Transport {
    nonisolated let logger: Logger
    let sessionID: String
    /// Messages an event stream may hold for a client that does not read before it is closed.
    static let maxQueuedMessages = 1024

    private var initialized = false
    private var terminated = false
    private let incoming: AsyncThrowingStream<Data, any Error>
    private let incomingSink: AsyncThrowingStream<Data, any Error>.Continuation
    /// Each unanswered request's event stream, by its JSON-RPC id.
    private var requestStreams: [String: AsyncThrowingStream<Data, any Error>.Continuation] = [:]
    /// The client's standing `GET` stream, for notifications and requests from the server.
    private var standing: AsyncThrowingStream<Data, any Error>.Continuation?
    private let validation = StandardValidationPipeline(validators: [
        // Host, Origin and the token were checked by the endpoint, with the names `--allowed-host`
        // adds (the SDK's own Origin check allows loopback names only).
        OriginValidator.disabled, AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(),
        ProtocolVersionValidator(), SessionValidator(),
    ])

    init(sessionID: String) {
        self.sessionID = sessionID
        logger = Logger(label: "shared-browser-mcp.session", factory: { _ in SwiftLogNoOpLogHandler() })
        (incoming, incomingSink) = AsyncThrowingStream.makeStream()
    }

    // MARK: Transport

    func connect() async throws {}

    func disconnect() async { terminate() }

    func receive() -> AsyncThrowingStream<Data, any Error> { incoming }

    /// A response goes on its request's stream, which then ends; anything else on the standing stream.
    func send(_ data: Data) async throws {
        guard !terminated else { throw MCPError.connectionClosed }
        let message = Self.classify(data)
        if let id = message?.responseID {
            guard let stream = requestStreams.removeValue(forKey: id) else { return }   // the client went
            Self.deliver(data, to: stream)
            stream.finish()
        } else if let standing, !Self.deliver(data, to: standing) {
            self.standing = nil
        }
    }

    // MARK: HTTP

    /// Answers one HTTP request of this client (`POST` a message, `GET` the standing stream, `DELETE`
    /// the session).
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard !terminated else {
            return .error(statusCode: 404, .invalidRequest("Not Found: Session has been terminated"), sessionID: sessionID)
        }
        switch request.method.uppercased() {
        case "POST": return post(request)
        case "GET": return get(request)
        case "DELETE":
            if let refused = validate(request, method: "DELETE") { return refused }
            terminate()
            return .ok(headers: headers)
        default:
            return .error(statusCode: 405, .invalidRequest("Method Not Allowed"), sessionID: sessionID,
                          extraHeaders: [HTTPHeaderName.allow: "GET, POST, DELETE"])
        }
    }

    private func post(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = request.body, let message = Self.classify(body) else {
            return .error(statusCode: 400, .parseError("Invalid JSON-RPC message"), sessionID: initialized ? sessionID : nil)
        }
        let isInitialize = message.method == "initialize" && message.requestID != nil
        if let refused = validate(request, method: "POST", initializing: isInitialize) { return refused }
        if isInitialize {
            guard !initialized else {
                return .error(statusCode: 400, .invalidRequest("Bad Request: Session already initialized"), sessionID: sessionID)
            }
            initialized = true
        }
        guard let id = message.requestID else {
            // A notification or a response from the client: nothing to answer.
            incomingSink.yield(body)
            return .accepted(headers: headers)
        }
        let (stream, continuation) = Self.makeStream()
        requestStreams[id] = continuation
        incomingSink.yield(body)
        return .stream(stream, headers: streamHeaders)
    }

    private func get(_ request: HTTPRequest) -> HTTPResponse {
        if let refused = validate(request, method: "GET") { return refused }
        guard standing == nil else {
            return .error(statusCode: 409, .invalidRequest("Conflict: Only one SSE stream is allowed per session"), sessionID: sessionID)
        }
        let (stream, continuation) = Self.makeStream()
        standing = continuation
        // When the client hangs up, a new standing stream may be opened.
        continuation.onTermination = { [weak self] _ in Task { await self?.standingEnded() } }
        return .stream(stream, headers: streamHeaders)
    }

    private func standingEnded() { standing = nil }

    private func validate(_ request: HTTPRequest, method: String, initializing: Bool = false) -> HTTPResponse? {
        validation.validate(request, context: HTTPValidationContext(
            httpMethod: method, sessionID: initialized ? sessionID : nil, isInitializationRequest: initializing))
    }

    /// Ends the session: its streams close and its server's receive loop ends.
    private func terminate() {
        guard !terminated else { return }
        terminated = true
        requestStreams.values.forEach { $0.finish() }
        requestStreams.removeAll()
        standing?.finish()
        standing = nil
        incomingSink.finish()
    }

    private var headers: [String: String] { initialized ? [HTTPHeaderName.sessionID: sessionID] : [:] }

    private var streamHeaders: [String: String] {
        headers.merging([HTTPHeaderName.contentType: "text/event-stream", HTTPHeaderName.cacheControl: "no-cache, no-transform",
                         HTTPHeaderName.connection: "keep-alive"]) { $1 }
    }

    // MARK: Messages

    private static func makeStream() -> (AsyncThrowingStream<Data, any Error>, AsyncThrowingStream<Data, any Error>.Continuation) {
        AsyncThrowingStream.makeStream(of: Data.self, bufferingPolicy: .bufferingOldest(maxQueuedMessages))
    }

    /// Puts one message on an event stream (`event: message`); false, and the stream closed, when it
    /// holds ``maxQueuedMessages`` its client has not read.
    @discardableResult
    private static func deliver(_ data: Data, to stream: AsyncThrowingStream<Data, any Error>.Continuation) -> Bool {
        var event = Data("event: message\ndata: ".utf8)
        event.append(data)
        event.append(contentsOf: "\n\n".utf8)
        if case .dropped = stream.yield(event) {
            stream.finish(throwing: MCPError.internalError("the client does not read its event stream"))
            return false
        }
        return true
    }

    /// What routing needs of a JSON-RPC message: its method, and its id as a request or a response.
    struct Kind {
        var method: String?
        var requestID: String?
        var responseID: String?
    }

    /// nil for anything that is not one JSON-RPC message object.
    static func classify(_ data: Data) -> Kind? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let id: String? = switch object["id"] {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: nil
        }
        if let method = object["method"] as? String { return Kind(method: method, requestID: id) }
        guard let id, object["result"] != nil || object["error"] != nil else { return nil }
        return Kind(responseID: id)
    }
}

private import CLibWebSockets
import Foundation
import Logging
import SharedBrowserSupport

// The one file that speaks libwebsockets. Everything else in the module speaks the Swift below: a
// socket is an `LWSSocket`, a callback is an `LWSEvent`, and each lws call the loop makes is a method
// here. Every call but `LWSContext.cancelService()` must be made on the service thread.

/// One lws connection (`struct lws *`): compared and hashed by identity, used on the service thread.
struct LWSSocket: Hashable, @unchecked Sendable {
    fileprivate let pointer: OpaquePointer
}

/// An lws virtual host: the client one, a TLS client one per trusted-certificates file, or the one
/// servers' connections are adopted into.
struct LWSVhost: @unchecked Sendable {
    fileprivate let pointer: OpaquePointer

    /// Hands a connected socket to lws, as if it had accepted it; nil when lws refuses it.
    func adopt(_ fd: Int32) -> LWSSocket? {
        lws_adopt_socket_vhost(pointer, fd).map(LWSSocket.init)
    }
}

/// What lws tells the loop, one case per callback reason the loop handles.
enum LWSEvent {
    /// Another thread called ``LWSContext/cancelService()``: requests are waiting.
    case wake
    /// A client handshake (WebSocket or HTTP) may add headers now.
    case appendHandshakeHeaders(LWSHeaderWriter)
    /// A client connection failed before it was established, for the reason given.
    case clientConnectionError(String)
    /// A client WebSocket is open.
    case clientEstablished
    /// Bytes of a WebSocket message arrived (client or server side).
    case receive(UnsafeRawBufferPointer)
    /// A WebSocket may write now (client or server side).
    case writeable
    /// The peer sent a close frame.
    case peerClose(code: UInt16, reason: String)
    /// A WebSocket closed (client or server side).
    case closed
    /// lws is about to free the socket: nothing may refer to it after this.
    case destroyed
    /// A server connection asks to upgrade to a WebSocket: accept (``LWSAnswer/ok``) or refuse.
    case upgradeRequested
    /// A server connection became a WebSocket.
    case established
    /// A server connection received an HTTP request for `path` (the query comes with ``LWSSocket/query``).
    case httpRequest(path: String)
    /// Bytes of an HTTP request body.
    case httpBody(UnsafeRawBufferPointer)
    /// The HTTP request body is complete.
    case httpBodyComplete
    /// A server HTTP connection may write now.
    case httpWriteable
    /// An HTTP client connection has the response's status line and headers.
    case httpClientEstablished
    /// An HTTP client connection has bytes to read (read them with ``LWSSocket/readHTTPClient()``).
    case httpClientReadable
    /// Bytes of an HTTP client response body.
    case httpClientBody(UnsafeRawBufferPointer)
    /// An HTTP client response is complete.
    case httpClientCompleted
    /// An HTTP client connection closed.
    case httpClientClosed
    /// Anything else: lws's default handling.
    case other

    /// Whether it is a callback an HTTP client connection gets.
    var isForHTTPClient: Bool {
        switch self {
        case .clientConnectionError, .appendHandshakeHeaders, .httpClientEstablished, .httpClientReadable, .httpClientBody,
             .httpClientCompleted, .httpClientClosed, .destroyed:
            return true
        default:
            return false
        }
    }
}

/// The loop's answer to an ``LWSEvent``.
enum LWSAnswer {
    /// Handled; go on.
    case ok
    /// Close the connection.
    case close
    /// Refuse (an upgrade, a connection no server owns).
    case refuse
    /// Let lws do what it does by default.
    case lwsDefault
}

/// Writes a client handshake's extra headers (``LWSEvent/appendHandshakeHeaders(_:)``).
struct LWSHeaderWriter {
    fileprivate let socket: OpaquePointer
    fileprivate let position: UnsafeMutableRawPointer?
    fileprivate let room: Int

    /// Appends `headers` (a name may end with `:` or not); false when they do not fit.
    func append(_ headers: [(name: String, value: String)]) -> Bool {
        guard let position, !headers.isEmpty else { return true }
        let end = cws_handshake_end(position, room)
        for header in headers {
            let name = header.name.hasSuffix(":") ? header.name : header.name + ":"
            if cws_append_client_header(socket, position, end, name, header.value) != 0 { return false }
        }
        return true
    }
}

/// What a client connection needs: where to, over which vhost, with which method.
struct LWSClientRequest {
    var url: WebSocketURL
    var vhost: LWSVhost
    /// nil for a WebSocket; `GET` for an HTTP request (redirects are not followed).
    var method: String?
    var origin: String?
}

/// The lws context, its service thread's loop, and the C memory that lives as long as it.
final class LWSContext: @unchecked Sendable {
    private let pointer: OpaquePointer
    /// C strings and protocol arrays lws refers to for the context's life.
    private var allocations: [UnsafeMutableRawPointer] = []
    /// The buffer writes are copied into, `LWS_PRE` bytes of room before the payload.
    private var writeBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 16)
    private var writeCapacity = 64 << 10

    /// A context whose callbacks go to `handler` (kept unretained: it must outlive the context).
    init(handler: WebSocketEventLoop) throws {
        lws_set_log_level(Int32(LLL_ERR | LLL_WARN), lwsLogEmit)
        var info = lws_context_creation_info()
        info.options = UInt64(LWS_SERVER_OPTION_EXPLICIT_VHOSTS) | UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
        info.gid = -1
        info.uid = -1
        info.fd_limit_per_thread = 1024
        info.user = Unmanaged.passUnretained(handler).toOpaque()
        guard let context = lws_create_context(&info) else {
            throw WebSocketError(.listenFailed, "libwebsockets could not create its context")
        }
        pointer = context
    }

    /// Frees the context (closing every connection) and its C memory.
    func destroy() {
        lws_context_destroy(pointer)
        allocations.forEach { free($0) }
        allocations.removeAll()
        writeBuffer.deallocate()
        writeCapacity = 0
    }

    /// Serves what is ready, waiting if nothing is; false when lws gives up.
    func service() -> Bool { lws_service(pointer, 0) >= 0 }

    /// Wakes the service thread (``LWSEvent/wake``). The one call any thread may make.
    func cancelService() { lws_cancel_service(pointer) }

    /// Where lws's own warnings and errors go.
    static func setLogger(_ logger: Logger?) { lwsLoggerBox.withLock { $0 = logger } }

    enum VhostKind {
        /// Makes client connections only.
        case client
        /// Fed by adopted sockets; listens on nothing.
        case adoptedServers
    }

    /// A vhost named `name` whose connections speak `protocolName`; with `caFile`, TLS client
    /// connections trust it besides the system's authorities. nil when lws cannot make it.
    func makeVhost(_ name: String, kind: VhostKind, protocolName: String, tls: Bool = false, caFile: String? = nil) -> LWSVhost? {
        var info = lws_context_creation_info()
        info.port = kind == .client ? CONTEXT_PORT_NO_LISTEN : CONTEXT_PORT_NO_LISTEN_SERVER
        if tls { info.options = UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT) }
        info.protocols = UnsafePointer(makeProtocols([protocolName]))
        info.vhost_name = UnsafePointer(kept(name))
        if let caFile { info.client_ssl_ca_filepath = UnsafePointer(kept(caFile)) }
        return lws_create_vhost(pointer, &info).map(LWSVhost.init)
    }

    /// Starts a client connection; nil when lws cannot start it. The C strings it needs for the
    /// connection's life go to `keep` (their owner frees them when the connection is gone).
    /// `connecting` runs around lws's call: the callbacks lws makes during it have no socket the
    /// loop knows yet.
    func connect(_ request: LWSClientRequest, keep: (UnsafeMutablePointer<CChar>) -> Void) -> LWSSocket? {
        func string(_ s: String) -> UnsafePointer<CChar> {
            let p = strdup(s)!
            keep(p)
            return UnsafePointer(p)
        }
        var info = lws_client_connect_info()
        info.context = pointer
        info.vhost = request.vhost.pointer
        if request.url.isSecure { info.ssl_connection = Int32(LCCSCF_USE_SSL.rawValue) }
        info.address = string(request.url.host)
        info.port = Int32(request.url.port)
        info.path = string(request.url.path)
        info.host = string(request.url.authority)
        info.ietf_version_or_minus_one = -1
        info.local_protocol_name = string(Self.clientProtocol)
        if let origin = request.origin { info.origin = string(origin) }
        if let method = request.method {
            info.method = string(method)
            info.ssl_connection |= Int32(LCCSCF_HTTP_NO_FOLLOW_REDIRECT.rawValue)
        }
        return lws_client_connect_via_info(&info).map(LWSSocket.init)
    }

    /// The protocol name of client vhosts.
    static let clientProtocol = "sb-client"

    private func kept(_ string: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(string)!
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A zero-terminated protocol array that lives as long as the context.
    private func makeProtocols(_ names: [String]) -> UnsafeMutablePointer<lws_protocols> {
        let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: names.count + 1)
        allocations.append(UnsafeMutableRawPointer(protocols))
        for (index, name) in names.enumerated() {
            var p = lws_protocols()
            p.name = UnsafePointer(kept(name))
            p.callback = webSocketCallback
            p.rx_buffer_size = 64 << 10
            p.id = UInt32(index)
            protocols[index] = p
        }
        protocols[names.count] = lws_protocols()
        return protocols
    }

    /// Room for `count` payload bytes after `LWS_PRE` bytes lws writes frame headers into.
    fileprivate func payloadBuffer(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        let needed = cws_pre() + count
        if needed > writeCapacity {
            writeBuffer.deallocate()
            writeCapacity = max(needed, writeCapacity * 2)
            writeBuffer = .allocate(byteCount: writeCapacity, alignment: 16)
        }
        return (writeBuffer + cws_pre()).assumingMemoryBound(to: UInt8.self)
    }

    /// Gives back a write buffer grown past 8 MiB by one huge message.
    fileprivate func shrinkWriteBufferIfHuge() {
        if writeCapacity > 8 << 20 {
            writeBuffer.deallocate()
            writeCapacity = 64 << 10
            writeBuffer = .allocate(byteCount: writeCapacity, alignment: 16)
        }
    }
}

/// What ``LWSSocket/write(_:_:in:)`` sends.
enum LWSWriteKind {
    case text, binary, http, httpFinal
}

/// The request headers a server reads.
enum LWSRequestHeader: CaseIterable {
    case host, origin, cookie, contentType, userAgent, referer, authorization

    var name: String {
        switch self {
        case .host: "host"
        case .origin: "origin"
        case .cookie: "cookie"
        case .contentType: "content-type"
        case .userAgent: "user-agent"
        case .referer: "referer"
        case .authorization: "authorization"
        }
    }

    fileprivate var token: lws_token_indexes {
        switch self {
        case .host: WSI_TOKEN_HOST
        case .origin: WSI_TOKEN_ORIGIN
        case .cookie: WSI_TOKEN_HTTP_COOKIE
        case .contentType: WSI_TOKEN_HTTP_CONTENT_TYPE
        case .userAgent: WSI_TOKEN_HTTP_USER_AGENT
        case .referer: WSI_TOKEN_HTTP_REFERER
        case .authorization: WSI_TOKEN_HTTP_AUTHORIZATION
        }
    }
}

extension LWSSocket {
    /// Asks for a ``LWSEvent/writeable`` (or ``LWSEvent/httpWriteable``) callback.
    func requestWritable() { lws_callback_on_writable(pointer) }

    /// Closes the connection from the service loop's next turn.
    func kill() { lws_set_timeout(pointer, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC) }

    /// Closes the connection after `duration` (in whole seconds, at least one: lws 4.1 counts no
    /// finer), unless set again first; nil clears the deadline.
    func closeAfter(_ duration: Duration?) {
        guard let duration, duration > .zero else {
            lws_set_timeout(pointer, NO_PENDING_TIMEOUT, 0)
            return
        }
        let seconds = duration.components.seconds + (duration.components.attoseconds > 0 ? 1 : 0)
        lws_set_timeout(pointer, PENDING_TIMEOUT_USER_OK, Int32(clamping: max(1, seconds)))
    }

    /// Sets the close frame's code and reason (at most 123 bytes) for the close that follows.
    func setCloseReason(code: UInt16, reason: String) {
        var bytes = Array(reason.utf8.prefix(123))
        lws_close_reason(pointer, lws_close_status(rawValue: UInt32(code)), &bytes, bytes.count)
    }

    /// Sends `bytes` (copied after lws's room for frame headers); false when the connection broke.
    func write(_ bytes: Data, _ kind: LWSWriteKind, in context: LWSContext) -> Bool {
        write(bytes, range: 0..<bytes.count, kind, in: context)
    }

    /// Sends `bytes[range]`; false when the connection broke.
    func write(_ bytes: Data, range: Range<Int>, _ kind: LWSWriteKind, in context: LWSContext) -> Bool {
        let payload = context.payloadBuffer(range.count)
        bytes.copyBytes(to: payload, from: range)
        let protocolKind: lws_write_protocol = switch kind {
        case .text: LWS_WRITE_TEXT
        case .binary: LWS_WRITE_BINARY
        case .http: LWS_WRITE_HTTP
        case .httpFinal: LWS_WRITE_HTTP_FINAL
        }
        let written = lws_write(pointer, payload, range.count, protocolKind)
        if kind == .text || kind == .binary { context.shrinkWriteBufferIfHuge() }
        return written >= 0
    }

    /// Whether the message being received is binary (asked on its first bytes).
    var frameIsBinary: Bool { lws_frame_is_binary(pointer) != 0 }

    /// Whether the bytes just received end their message.
    var messageIsComplete: Bool { lws_is_final_fragment(pointer) != 0 && lws_remaining_packet_payload(pointer) == 0 }

    /// An HTTP client connection's response status.
    var httpStatus: Int { Int(lws_http_client_http_response(pointer)) }

    /// Lets lws read what arrived for an HTTP client connection (the bytes come back as
    /// ``LWSEvent/httpClientBody(_:)``); false when the connection broke.
    func readHTTPClient() -> Bool { cws_http_client_drain(pointer) >= 0 }

    /// Sends an HTTP response's status line and headers (`Cache-Control: no-store` among them);
    /// false when they do not fit or the connection broke.
    func writeHTTPHeaders(status: Int, contentType: String, contentLength: Int, headers: [(name: String, value: String)]) -> Bool {
        let pre = cws_pre()
        var headerBuffer = [UInt8](repeating: 0, count: pre + 4096)
        let names = headers.map { strdup($0.name.hasSuffix(":") ? $0.name : $0.name + ":") }
        let values = headers.map { strdup($0.value) }
        defer { (names + values).forEach { free($0) } }
        var namePointers = names.map { UnsafePointer($0) }
        var valuePointers = values.map { UnsafePointer($0) }
        let failed = headerBuffer.withUnsafeMutableBufferPointer { buffer in
            cws_write_http_headers(
                pointer, UInt32(status), contentType, UInt(contentLength),
                &namePointers, &valuePointers, Int32(names.count), buffer.baseAddress! + pre, 4096)
        }
        return failed == 0
    }

    /// Ends an HTTP response (the connection may serve another); false when it should close.
    func completeHTTPTransaction() -> Bool { lws_http_transaction_completed(pointer) == 0 }

    /// Whether the HTTP request is a POST.
    var isPost: Bool { lws_hdr_total_length(pointer, WSI_TOKEN_POST_URI) > 0 }

    /// The path of a WebSocket upgrade request.
    var upgradePath: String? { header(WSI_TOKEN_GET_URI) }

    /// The request's query, `?a=1&b=2`, or `""`.
    var query: String {
        var parts: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        var index: Int32 = 0
        while lws_hdr_copy_fragment(pointer, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index) > 0 {
            parts.append(Self.string(from: buffer))
            index += 1
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    /// The request headers the servers read, by lower-case name.
    var requestHeaders: [String: String] {
        var headers: [String: String] = [:]
        for name in LWSRequestHeader.allCases {
            if let value = header(name.token) { headers[name.name] = value }
        }
        return headers
    }

    private func header(_ token: lws_token_indexes) -> String? {
        let length = lws_hdr_total_length(pointer, token)
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        guard lws_hdr_copy(pointer, &buffer, Int32(buffer.count), token) >= 0 else { return nil }
        return Self.string(from: buffer)
    }

    private static func string(from buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// MARK: Callbacks

private let lwsLoggerBox = LockedValue<Logger?>(nil)

private func lwsLogEmit(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line, let logger = lwsLoggerBox.withLock({ $0 }) else { return }
    let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    if level & Int32(LLL_ERR) != 0 { logger.error("lws: \(text)") } else { logger.debug("lws: \(text)") }
}

/// The one callback of every protocol: translates lws's reason into an ``LWSEvent`` and the loop's
/// ``LWSAnswer`` back.
private func webSocketCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let raw = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
    let loop = Unmanaged<WebSocketEventLoop>.fromOpaque(raw).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: length > 0 ? input : nil, count: input == nil ? 0 : length)
    func text() -> String? { input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } }
    let event: LWSEvent
    switch reason {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: event = .wake
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        event = .appendHandshakeHeaders(LWSHeaderWriter(socket: wsi, position: input, room: length))
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: event = .clientConnectionError(text() ?? "unknown error")
    case LWS_CALLBACK_CLIENT_ESTABLISHED: event = .clientEstablished
    case LWS_CALLBACK_CLIENT_RECEIVE, LWS_CALLBACK_RECEIVE: event = .receive(bytes)
    case LWS_CALLBACK_CLIENT_WRITEABLE, LWS_CALLBACK_SERVER_WRITEABLE: event = .writeable
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        var code: UInt16 = 1005
        var reasonText = ""
        if let input, length >= 2 {
            let raw = input.assumingMemoryBound(to: UInt8.self)
            code = UInt16(raw[0]) << 8 | UInt16(raw[1])
            reasonText = String(decoding: UnsafeBufferPointer(start: raw + 2, count: length - 2), as: UTF8.self)
        }
        event = .peerClose(code: code, reason: reasonText)
    case LWS_CALLBACK_CLIENT_CLOSED, LWS_CALLBACK_CLOSED: event = .closed
    case LWS_CALLBACK_WSI_DESTROY: event = .destroyed
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: event = .upgradeRequested
    case LWS_CALLBACK_ESTABLISHED: event = .established
    case LWS_CALLBACK_HTTP: event = .httpRequest(path: text() ?? "/")
    case LWS_CALLBACK_HTTP_BODY: event = .httpBody(bytes)
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: event = .httpBodyComplete
    case LWS_CALLBACK_HTTP_WRITEABLE: event = .httpWriteable
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP: event = .httpClientEstablished
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: event = .httpClientReadable
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: event = .httpClientBody(bytes)
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP: event = .httpClientCompleted
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP: event = .httpClientClosed
    default: event = .other
    }
    switch loop.handle(LWSSocket(pointer: wsi), event) {
    case .ok: return 0
    case .close: return -1
    case .refuse: return 1
    case .lwsDefault: return lws_callback_http_dummy(wsi, reason, user, input, length)
    }
}

import Foundation
import HTTPServer

/// A typed client of the coordinator's REST API (openapi/openapi.yaml), used by the worker,
/// the client and the admin commands. Problems come back as `RemoteError.problem` with the
/// server's stable code; faults of the transport as `RemoteError.unreachable`, which callers
/// may retry.
struct CoordinatorClient: Sendable {
    /// The coordinator's base URL, without a trailing slash.
    let baseURL: String
    /// The API key sent as `Authorization: Bearer`.
    let apiKey: String?
    let http: HTTPClient

    init(baseURL: String, apiKey: String?, http: HTTPClient = HTTPClient()) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.http = http
    }

    /// Sends one request and decodes a 2xx JSON answer.
    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil,
                            idempotencyKey: String? = nil, timeoutSeconds: Double? = nil,
                            as type: T.Type = T.self) async throws -> T {
        let response = try await send(method, path, body: body, idempotencyKey: idempotencyKey, timeoutSeconds: timeoutSeconds)
        do {
            return try JSONCoding.decoder.decode(T.self, from: Data(response.body))
        } catch {
            throw RemoteError.invalidAnswer(path: path, detail: "\(error)")
        }
    }

    /// Sends one request with raw bytes and decodes a 2xx JSON answer.
    func upload<T: Decodable>(_ path: String, bytes: [UInt8], contentType: String, as type: T.Type = T.self) async throws -> T {
        var headers = baseHeaders()
        headers["Content-Type"] = contentType
        let response = try await execute(HTTPClientRequest(method: .post, url: baseURL + path, headers: headers, body: bytes,
                                                           timeoutSeconds: 300), path: path)
        return try JSONCoding.decoder.decode(T.self, from: Data(response.body))
    }

    /// Sends one request; non-2xx answers become `RemoteError.problem`.
    func send(_ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil, idempotencyKey: String? = nil,
              timeoutSeconds: Double? = nil) async throws -> HTTPClientResponse {
        var headers = baseHeaders()
        var bytes: [UInt8] = []
        if let body {
            headers["Content-Type"] = "application/json"
            bytes = Array(try JSONCoding.encoder.encode(body))
        }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        return try await execute(HTTPClientRequest(method: method, url: baseURL + path, headers: headers, body: bytes,
                                                   timeoutSeconds: timeoutSeconds), path: path)
    }

    private func baseHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let apiKey { headers["Authorization"] = "Bearer \(apiKey)" }
        headers["Accept"] = "application/json"
        return headers
    }

    private func execute(_ request: HTTPClientRequest, path: String) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw RemoteError.unreachable(url: baseURL, detail: "\(error)")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let problem = try? JSONCoding.decoder.decode(Problem.self, from: Data(response.body))
            throw RemoteError.problem(status: Int(response.status.code), code: problem?.code ?? "http_\(response.status.code)",
                                      detail: problem?.detail ?? response.bodyText)
        }
        return response
    }
}

/// An RFC 9457 problem as the coordinator sends it.
struct Problem: Decodable {
    let code: String?
    let detail: String?
    let status: Int?
}

/// What can go wrong talking to the coordinator.
enum RemoteError: Error, CustomStringConvertible {
    /// The coordinator answered with a problem; `code` is its stable rule name.
    case problem(status: Int, code: String, detail: String)
    /// No answer: connection refused, reset or timed out. Worth retrying.
    case unreachable(url: String, detail: String)
    /// A 2xx answer that is not the expected JSON.
    case invalidAnswer(path: String, detail: String)

    var description: String {
        switch self {
        case .problem(let status, let code, let detail): return "\(code) (\(status)): \(detail)"
        case .unreachable(let url, let detail): return "coordinator unreachable at \(url): \(detail)"
        case .invalidAnswer(let path, let detail): return "unexpected answer from \(path): \(detail)"
        }
    }

    /// The stable code of a problem answer, else nil.
    var code: String? {
        if case .problem(_, let code, _) = self { return code }
        return nil
    }

    /// Whether trying again later may succeed.
    var isTransient: Bool {
        switch self {
        case .unreachable: return true
        case .problem(let status, let code, _): return status >= 500 || code == "verifier_busy"
        case .invalidAnswer: return false
        }
    }
}

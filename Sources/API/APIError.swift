import Foundation
import HTTPServer
import Market
import Postgres

/// How each market rule maps to HTTP. The problem `type` is `urn:proofmarket:problem:<code>`,
/// with the code named after the broken rule; a client's fault is always a 4xx.
enum APIError {
    static func status(for code: MarketError.Code) -> HTTPStatus {
        switch code {
        case .unauthenticated, .keyRevoked: return .unauthorized
        case .hideInputRequiresPrivate: return .badRequest
        case .forbidden, .privateMaterialForbidden: return .forbidden
        case .unknownAccount, .unknownJob, .unknownModel, .unknownWorker: return .notFound
        case .invalidTerms, .invalidRequest, .inputShapeMismatch, .inputIDOutOfRange, .bidOutOfRange, .webhookURLDisallowed,
             .inputClamped, .invalidQuantization, .batchTooLarge, .batchNotSupported, .batchProofTooLarge,
             .privateUnsupportedOperator:
            return .unprocessableContent
        case .insufficientBalance: return .paymentRequired
        case .proofRejected: return .unprocessableContent
        case .proofTooLarge, .modelTooLarge: return .contentTooLarge
        case .tooManyImports: return .tooManyRequests
        case .verifierBusy, .importBusy: return .serviceUnavailable
        case .adminExists, .roleMismatch, .modelNotReady, .idempotencyKeyReused, .jobNotOpen, .jobNotLocked,
             .notLockHolder, .lockExpired, .deadlinePassed, .biddingNotStarted, .wrongAuction, .awardPending, .bidWindowClosed,
             .bidAlreadyPlaced, .tooManyLocks, .workerSuspended, .capabilityExceeded, .jobNotFulfilled,
             .proofModeUnsupported, .jobNotPrivate, .inputNotHidden:
            return .conflict
        }
    }

    /// The HTTP problem for a market error; a proof's rejection reason is appended to the detail.
    static func http(_ error: MarketError) -> HTTPError {
        var headers = HTTPHeaders()
        if error.code == .unauthenticated || error.code == .keyRevoked { headers.add("WWW-Authenticate", "Bearer") }
        if error.code == .verifierBusy { headers.add("Retry-After", "1") }
        if error.code == .importBusy || error.code == .tooManyImports { headers.add("Retry-After", "\(importRetryAfterSeconds)") }
        let detail = error.reason.map { "\(error.message) (reason: \($0))" } ?? error.message
        return HTTPError(status(for: error.code), code: error.code.rawValue, detail: lowerCasingIDs(detail), headers: headers)
    }

    /// `text` with every UUID in it in the wire's lower-case form, so an id quoted in a
    /// problem's detail is the same string as in every response.
    static func lowerCasingIDs(_ text: String) -> String {
        var chars = Array(text.utf8)
        var i = 0
        while i + 36 <= chars.count {
            let window = String(decoding: chars[i..<i + 36], as: UTF8.self)
            if let id = UUID(uuidString: window) {
                chars.replaceSubrange(i..<i + 36, with: Array(id.wireText.utf8))
                i += 36
            } else {
                i += 1
            }
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// The `Retry-After` of a refused model upload: imports take seconds each.
    static let importRetryAfterSeconds = 5
    /// The `Retry-After` of `database_unavailable`.
    static let databaseRetryAfterSeconds = 2

    /// The database could not serve the request now (unreachable, not answering within the
    /// pool's bounds, out of connections): a 503 the client may retry, never a 500.
    static func databaseUnavailable(_ error: PostgresError) -> HTTPError {
        var headers = HTTPHeaders()
        headers.add("Retry-After", "\(databaseRetryAfterSeconds)")
        return HTTPError(.serviceUnavailable, code: "database_unavailable",
                         detail: "the database is not answering; try again shortly", headers: headers)
    }
}

/// Turns `MarketError`s thrown by handlers into problem responses, and a database that cannot
/// answer into `database_unavailable` (503); everything else passes on to `ErrorMiddleware`
/// (a 500 whose detail is logged, not sent).
struct MarketErrorMiddleware: Middleware {
    func handle(_ request: HTTPRequest, context: RequestContext,
                next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        do {
            return try await next(request, context)
        } catch let error as MarketError {
            throw APIError.http(error)
        } catch let error as PostgresError where error.isUnavailable {
            throw APIError.databaseUnavailable(error)
        }
    }
}

import Foundation
import HTTPServer
import Market

/// How each market rule maps to HTTP. The problem `type` is `urn:proofmarket:problem:<code>`,
/// with the code named after the broken rule; a client's fault is always a 4xx.
enum APIError {
    static func status(for code: MarketError.Code) -> HTTPStatus {
        switch code {
        case .unauthenticated, .keyRevoked: return .unauthorized
        case .forbidden: return .forbidden
        case .unknownAccount, .unknownJob, .unknownModel, .unknownWorker: return .notFound
        case .invalidTerms, .invalidRequest, .inputShapeMismatch, .bidOutOfRange, .webhookURLDisallowed: return .unprocessableContent
        case .insufficientBalance: return .paymentRequired
        case .proofRejected: return .unprocessableContent
        case .verifierBusy: return .serviceUnavailable
        case .adminExists, .roleMismatch, .modelNotReady, .idempotencyKeyReused, .jobNotOpen, .jobNotLocked,
             .notLockHolder, .lockExpired, .deadlinePassed, .biddingNotStarted, .wrongAuction, .awardPending, .bidWindowClosed,
             .bidAlreadyPlaced, .tooManyLocks, .workerSuspended, .capabilityExceeded, .jobNotFulfilled:
            return .conflict
        }
    }

    /// The HTTP problem for a market error; a proof's rejection reason is appended to the detail.
    static func http(_ error: MarketError) -> HTTPError {
        var headers = HTTPHeaders()
        if error.code == .unauthenticated || error.code == .keyRevoked { headers.add("WWW-Authenticate", "Bearer") }
        if error.code == .verifierBusy { headers.add("Retry-After", "1") }
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
}

/// Turns `MarketError`s thrown by handlers into problem responses; everything else passes on
/// to `ErrorMiddleware` (a 500 whose detail is logged, not sent).
struct MarketErrorMiddleware: Middleware {
    func handle(_ request: HTTPRequest, context: RequestContext,
                next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        do {
            return try await next(request, context)
        } catch let error as MarketError {
            throw APIError.http(error)
        }
    }
}

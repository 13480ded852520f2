import HTTPServer
import Market
import Postgres

/// Who may call each route. This table is the one place that says so: the head of every
/// request is checked against it before the server reads a byte of the body or promises
/// `100 Continue`, so a caller without a key (401) or with the wrong role (403) never makes
/// the coordinator hold an upload. `MarketAPI.responder()` refuses to start when a route and
/// the table disagree. The market checks roles again where it acts; the two agree by test.
enum RouteAccess: Sendable, Equatable {
    /// No key needed.
    case open
    /// Any valid key; the market decides what this caller may see.
    case anyKey
    /// A key of one of these roles.
    case roles([Role])

    /// Each route, as `METHOD pattern` exactly as registered, and who may call it.
    static let table: [String: RouteAccess] = [
        "GET /health": .open,
        "GET /metrics": .open,
        "GET /openapi.yaml": .open,
        "GET /v1/coordinator": .open,
        // The dashboard's pages hold no data: everything they show comes from admin routes.
        "GET /admin": .open,
        "GET /admin/{file}": .open,

        "POST /v1/models": .roles([.client, .admin]),
        "GET /v1/models/{id}": .anyKey,
        "GET /v1/models/{id}/onnx": .anyKey,

        "POST /v1/jobs": .roles([.client]),
        "GET /v1/jobs": .roles([.client, .admin]),
        "GET /v1/jobs/{id}": .anyKey,
        "PATCH /v1/jobs/{id}": .roles([.client]),
        "DELETE /v1/jobs/{id}": .roles([.client]),
        "GET /v1/jobs/{id}/receipt": .anyKey,
        "GET /v1/jobs/{id}/outputs": .anyKey,
        "GET /v1/jobs/{id}/events": .anyKey,
        // The owner only; the market answers anyone else `unknown_job`, whatever the role.
        "GET /v1/jobs/{id}/input-opening": .anyKey,
        "POST /v1/jobs/{id}/lock": .roles([.worker]),
        "POST /v1/jobs/{id}/bids": .roles([.worker]),
        "GET /v1/jobs/{id}/input": .roles([.worker]),
        "GET /v1/jobs/{id}/private-material": .roles([.worker]),
        "POST /v1/jobs/{id}/proof": .roles([.worker]),
        "POST /v1/jobs/{id}/release": .roles([.worker]),

        "POST /v1/workers": .roles([.worker]),
        "POST /v1/workers/{id}/heartbeat": .roles([.worker]),
        "GET /v1/workers/{id}": .anyKey,
        "GET /v1/market/jobs": .roles([.worker, .admin]),
        "GET /v1/market/quote": .anyKey,

        "POST /v1/admin/accounts": .roles([.admin]),
        "POST /v1/admin/accounts/{id}/keys": .roles([.admin]),
        "DELETE /v1/admin/keys/{id}": .roles([.admin]),
        "GET /v1/admin/accounts/{id}": .roles([.admin]),
        "POST /v1/admin/accounts/{id}/deposit": .roles([.admin]),
        "GET /v1/admin/ledger": .roles([.admin]),
        "GET /v1/admin/ledger/verify": .roles([.admin]),
        "GET /v1/admin/stats": .roles([.admin]),
        "GET /v1/admin/accounts": .roles([.admin]),
        "GET /v1/admin/jobs": .roles([.admin]),
        "GET /v1/admin/jobs/{id}": .roles([.admin]),
        "GET /v1/admin/workers": .roles([.admin]),
        "GET /v1/admin/market/history": .roles([.admin]),
    ]

    /// The table's key for a route.
    static func key(_ method: HTTPMethod, _ pattern: String) -> String { "\(method.rawValue) \(pattern)" }

    /// The routes registered without a rule, and the rules without a route; both empty when
    /// the router and the table agree.
    static func mismatches(_ router: Router) -> (unruled: [String], unrouted: [String]) {
        let registered = Set(router.registeredRoutes.map { key($0.method, $0.pattern) })
        return (registered.subtracting(table.keys).sorted(), Set(table.keys).subtracting(registered).sorted())
    }
}

/// The API's router behind the head check: a request is routed (404, 405), authenticated and
/// authorised from its head alone; the caller found travels to the handler as
/// `request.admission`, so a handler's `principal(request)` costs no second lookup.
struct AuthorizingRouter: Responder {
    let router: Router
    let api: MarketAPI

    func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse {
        try await router.respond(to: request, context: context)
    }

    func bodyBytesMax(for head: HTTPRequestHead) -> Int? { router.bodyBytesMax(for: head) }

    func admit(_ head: HTTPRequestHead, context: RequestContext) async throws -> (any Sendable)? {
        _ = try await router.admit(head, context: context)
        guard let route = router.route(method: head.method, path: head.path) else { return nil }
        // A route missing from the table needs a key: failing closed is the safe default.
        let access = RouteAccess.table[RouteAccess.key(route.method, route.pattern)] ?? .anyKey
        if access == .open { return nil }
        do {
            let principal = try await api.authenticate(head.headers)
            if case .roles(let roles) = access, !roles.contains(principal.role) {
                let needed = roles.map(\.rawValue).joined(separator: " or ")
                throw MarketError(.forbidden, "this needs a \(needed) key; yours is a \(principal.role.rawValue) key")
            }
            return principal
        } catch let error as MarketError {
            throw APIError.http(error)
        } catch let error as PostgresError where error.isUnavailable {
            // The key lookup is the head's first database read: a frozen database must be a
            // 503 the caller may retry here too, as it is for handlers (MarketErrorMiddleware).
            throw APIError.databaseUnavailable(error)
        }
    }
}

/// Routes requests by method and path pattern. Patterns are `/`-separated segments, each a
/// literal or a `{name}` parameter: `/v1/jobs/{id}/bids`. A path that matches no pattern is a
/// 404; one that matches with another method is a 405 with `Allow` (RFC 9110 §15.5.6).
/// Each route can set its own body limit (`bodyBytesMax`), checked before the body is read, and
/// a path without a route (404) or a method the path does not take (405) is answered from the
/// head, so its body is never read. Paths match segment by segment, empty segments included:
/// `//health` is not `/health` (the server refuses such paths before routing anyway).
public final class Router: Responder, @unchecked Sendable {
    /// A registered route.
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: String
        let segments: [Segment]
        let bodyBytesMax: Int?
        let responder: any Responder
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    // Routes are only added before the server starts; after that the router is read-only,
    // which is what makes the `@unchecked Sendable` above sound.
    private var routes: [Route] = []
    private var exactRoutes: [String: [Route]] = [:]

    /// An empty router.
    public init() {}

    /// Adds a route. `bodyBytesMax` overrides the server default for this route only.
    public func add(_ method: HTTPMethod, _ pattern: String, bodyBytesMax: Int? = nil, responder: any Responder) {
        let segments = Self.split(Substring(pattern)).map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        let route = Route(method: method, pattern: pattern, segments: segments, bodyBytesMax: bodyBytesMax, responder: responder)
        routes.append(route)
        if segments.allSatisfy({ if case .literal = $0 { true } else { false } }) {
            exactRoutes["/" + segments.map { if case .literal(let s) = $0 { s } else { "" } }.joined(separator: "/"), default: []].append(route)
        }
    }

    /// Adds a closure route.
    public func on(_ method: HTTPMethod, _ pattern: String, bodyBytesMax: Int? = nil,
                   _ handler: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) {
        add(method, pattern, bodyBytesMax: bodyBytesMax, responder: ClosureResponder(handler))
    }

    /// Adds a GET route (which also answers HEAD, RFC 9110 §9.3.2).
    public func get(_ pattern: String, _ handler: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) {
        on(.get, pattern, handler)
    }

    /// Adds a POST route.
    public func post(_ pattern: String, bodyBytesMax: Int? = nil,
                     _ handler: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) {
        on(.post, pattern, bodyBytesMax: bodyBytesMax, handler)
    }

    /// Adds a PUT route.
    public func put(_ pattern: String, bodyBytesMax: Int? = nil,
                    _ handler: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) {
        on(.put, pattern, bodyBytesMax: bodyBytesMax, handler)
    }

    /// Adds a DELETE route.
    public func delete(_ pattern: String, _ handler: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) {
        on(.delete, pattern, handler)
    }

    /// Dispatches to the matching route, or throws 404 / 405.
    public func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse {
        switch match(method: request.method, path: request.path) {
        case .found(let route, let parameters):
            var request = request
            request.pathParameters = parameters
            return try await route.responder.respond(to: request, context: context)
        case .methodNotAllowed(let allowed):
            throw Self.methodNotAllowed(request.method, request.path, allowed)
        case .notFound:
            throw HTTPError.notFound("no route for \(request.path)")
        }
    }

    /// The matched route's body limit.
    public func bodyBytesMax(for head: HTTPRequestHead) -> Int? {
        if case .found(let route, _) = match(method: head.method, path: head.path) { return route.bodyBytesMax }
        return nil
    }

    /// Refuses, from the head, a path without a route (404) or a method the path does not take
    /// (405 with `Allow`), the same answers `respond` gives, so such a request's body is never read.
    public func admit(_ head: HTTPRequestHead, context: RequestContext) async throws -> (any Sendable)? {
        switch match(method: head.method, path: head.path) {
        case .found: return nil
        case .methodNotAllowed(let allowed): throw Self.methodNotAllowed(head.method, head.path, allowed)
        case .notFound: throw HTTPError.notFound("no route for \(head.path)")
        }
    }

    /// The method and pattern (as registered, such as `/v1/jobs/{id}`) of the route that would
    /// answer this method and path, or nil when none would. HEAD finds the GET route.
    public func route(method: HTTPMethod, path: Substring) -> (method: HTTPMethod, pattern: String)? {
        if case .found(let route, _) = match(method: method, path: path) { return (route.method, route.pattern) }
        return nil
    }

    /// Every registered route's method and pattern, in the order they were added.
    public var registeredRoutes: [(method: HTTPMethod, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    private static func methodNotAllowed(_ method: HTTPMethod, _ path: Substring, _ allowed: [String]) -> HTTPError {
        HTTPError(.methodNotAllowed, code: "method_not_allowed", detail: "\(method) is not allowed on \(path)",
                  headers: ["Allow": allowed.joined(separator: ", ")])
    }

    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    func match(method: HTTPMethod, path: Substring) -> Match {
        let lookup = method == .head ? HTTPMethod.get : method
        if let candidates = exactRoutes[String(path)] {
            if let route = candidates.first(where: { $0.method == lookup || $0.method == method }) { return .found(route, [:]) }
        }
        let parts = Self.split(path)
        var allowed: [String] = []
        for route in routes where route.segments.count == parts.count {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.method == method || route.method == lookup { return .found(route, parameters) }
            allowed.append(route.method.rawValue)
            if route.method == .get { allowed.append("HEAD") }
        }
        if allowed.isEmpty { return .notFound }
        var seen = Set<String>()
        return .methodNotAllowed(allowed.filter { seen.insert($0).inserted })
    }

    private static func bind(_ segments: [Segment], to parts: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard part == literal else { return nil }
            case .parameter(let name):
                // Each segment is decoded after splitting, so `%2F` stays inside its segment.
                guard !part.isEmpty, let value = PercentDecoding.decode(part) else { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }

    /// The segments after the leading `/`; `/` itself has none. Empty segments are kept, so
    /// `/v1//jobs` has three and matches no two-literal pattern.
    private static func split(_ path: Substring) -> [Substring] {
        if path == "/" || path.isEmpty { return [] }
        return Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
    }
}

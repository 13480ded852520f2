/// Routes requests by method and path pattern. Patterns are `/`-separated segments, each a
/// literal or a `{name}` parameter: `/v1/jobs/{id}/bids`. A path that matches no pattern is a
/// 404; one that matches with another method is a 405 with `Allow` (RFC 9110 §15.5.6).
/// Each route can set its own body limit (`bodyBytesMax`), checked before the body is read.
public final class Router: Responder, @unchecked Sendable {
    /// A registered route.
    struct Route: Sendable {
        let method: HTTPMethod
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
        let route = Route(method: method, segments: segments, bodyBytesMax: bodyBytesMax, responder: responder)
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
            throw HTTPError(.methodNotAllowed, code: "method_not_allowed",
                            detail: "\(request.method) is not allowed on \(request.path)",
                            headers: ["Allow": allowed.joined(separator: ", ")])
        case .notFound:
            throw HTTPError.notFound("no route for \(request.path)")
        }
    }

    /// The matched route's body limit.
    public func bodyBytesMax(for head: HTTPRequestHead) -> Int? {
        if case .found(let route, _) = match(method: head.method, path: head.path) { return route.bodyBytesMax }
        return nil
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

    private static func split(_ path: Substring) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().filter { !$0.isEmpty }
    }
}

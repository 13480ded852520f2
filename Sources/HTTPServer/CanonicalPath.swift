/// The rule that a request path has exactly one spelling. `//v1/admin/stats`, `/v1//admin/stats`,
/// `/v1/admin/stats/`, `/v1/./admin/stats`, `/v1/x/../admin/stats` and `/v1/admin%2Fstats` may
/// all name the same resource to one component and another resource to a proxy matching on
/// path prefixes, so a rule such as "deny /v1/admin/*" could be walked around. Normalising would
/// still leave the proxy and us disagreeing; refusing leaves nothing to disagree about
/// (RFC 3986 §6 lists these as the forms a normaliser rewrites, RFC 9110 §4.2.3 warns about them).
enum CanonicalPath {
    /// The stable code of the refusal.
    static let code = "non_canonical_path"

    /// Why `path` (still percent-encoded, without the query) is not canonical, or nil when it is.
    static func violation(_ path: Substring) -> String? {
        let utf8 = path.utf8
        guard utf8.first == UInt8(ascii: "/") else { return "the path must start with /" }
        if utf8.count == 1 { return nil }
        if utf8.last == UInt8(ascii: "/") { return "the path must not end with /" }
        if utf8.contains(UInt8(ascii: "\\")) { return "the path must not contain a backslash" }
        for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "the path must not have an empty segment (//)" }
            let lower = segment.lowercased()
            if lower.contains("%2f") || lower.contains("%5c") { return "the path must not contain an encoded / or \\" }
            let dots = lower.replacing("%2e", with: ".")
            if dots == "." || dots == ".." { return "the path must not have a . or .. segment" }
        }
        return nil
    }

    /// The 400 problem for a non-canonical path.
    static func error(_ reason: String) -> HTTPError {
        HTTPError(.badRequest, code: code, detail: "\(reason); send the canonical path")
    }
}

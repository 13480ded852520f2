import BundledAssets
import Foundation
import HTTPServer
import Market

/// The admin dashboard at `/admin`: plain HTML, CSS and JavaScript from `Sources/API/Dashboard`,
/// built into the binary. The pages hold no data and need no key; they ask the admin JSON
/// routes for everything, with the admin key the person signs in with, which the page keeps
/// in the tab's `sessionStorage` only.
///
/// Every answer carries a strict Content-Security-Policy (scripts, styles and requests from
/// this origin only, no inline script or style, no framing, no plugins), `nosniff` and its
/// exact content type, so a value shown on a page (an account's owner, a worker's name) can
/// never run as script even if it were written into the page as markup.
enum Dashboard {
    /// The policy of every dashboard answer (W3C CSP Level 3).
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// The headers every dashboard answer carries besides its content type.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        // A newer coordinator's pages are fetched again, never mixed with an older one's.
        ("Cache-Control", "no-cache"),
    ]

    /// The content type of a dashboard file, by its extension; nil for any other kind of file.
    static func contentType(of name: String) -> String? {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        return nil
    }

    /// The files served, by name: the built-in ones.
    static let files: Set<String> = Set(BundledAssets.dashboardFiles)

    /// `PROOFMARKET_DASHBOARD_DIR` names a folder to serve the same files from instead of the
    /// built-in copies (read on every request), so the pages can be changed without a rebuild.
    /// Only names of built-in files are read from it.
    static let folder: String? = ProcessInfo.processInfo.environment["PROOFMARKET_DASHBOARD_DIR"].flatMap { $0.isEmpty ? nil : $0 }

    /// The bytes of `name`, if it is one of the dashboard's files.
    static func bytes(of name: String) -> [UInt8]? {
        guard files.contains(name) else { return nil }
        if let folder {
            return FileManager.default.contents(atPath: folder + "/" + name).map { [UInt8]($0) }
        }
        return BundledAssets.dashboardFile(name)
    }

    /// The answer for the dashboard file `name`: the file with its headers, or a 404.
    static func response(for name: String) throws -> HTTPResponse {
        guard let type = contentType(of: name), let body = bytes(of: name) else {
            throw HTTPError.notFound("the dashboard has no file \(name)")
        }
        var headers = HTTPHeaders()
        headers.add("Content-Type", type)
        for (field, value) in securityHeaders { headers.add(field, value) }
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }
}

extension MarketAPI {
    /// `/admin` (the dashboard's page) and `/admin/{file}` (its scripts and styles).
    func addDashboardRoutes(_ router: Router) {
        router.get("/admin") { _, _ in try Dashboard.response(for: "index.html") }
        router.get("/admin/{file}") { request, _ in try Dashboard.response(for: request.pathParameters["file"] ?? "") }
    }
}

import API
import BundledAssets
import Foundation
import HTTPServer
import Testing
import TestSupport

/// The dashboard's files as the coordinator serves them: each with its exact content type, the
/// strict Content-Security-Policy and `nosniff`, without a key; nothing else under `/admin`.
/// And the files themselves keep to what the policy allows (no inline script or style, nothing
/// from another origin), so the browser test's clean console is no accident of one run.
@Suite struct DashboardAssetTests {
    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    @Test func everyFile_IsServedWithItsTypeAndTheStrictHeaders_WithoutAKey() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let files = BundledAssets.dashboardFiles
        #expect(files.count >= 6 && files.contains("index.html"))
        let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
                     "svg": "image/svg+xml"]
        for (path, file) in [("/admin", "index.html")] + files.map({ ("/admin/\($0)", $0) }) {
            let response = try await f.send(.get, path)
            #expect(response.status.code == 200, "\(path): \(response.status.code)")
            #expect(response.headers["content-type"] == types[String(file.split(separator: ".").last ?? "")], "\(path)")
            #expect(response.headers["content-security-policy"] == Self.policy, "\(path)")
            #expect(response.headers["x-content-type-options"] == "nosniff" && response.headers["x-frame-options"] == "DENY", "\(path)")
            #expect(response.headers["referrer-policy"] == "no-referrer" && response.headers["cache-control"] == "no-cache", "\(path)")
            #expect(response.body == BundledAssets.dashboardFile(file), "\(path) is the built-in file")
        }
        try f.expectProblem(try await f.send(.get, "/admin/nothing.js"), 404, "not_found")
        try f.expectProblem(try await f.send(.get, "/admin/openapi.yaml"), 404, "not_found")
        try f.expectProblem(try await f.send(.get, "/admin/%2e%2e%2fopenapi.yaml"), 400, "non_canonical_path")
        try f.expectProblem(try await f.send(.get, "/admin/../v1/admin/stats"), 400, "non_canonical_path")
        try f.expectProblem(try await f.send(.post, "/admin"), 405, "method_not_allowed")
    }

    @Test func thePages_UseNoInlineScriptOrStyle_AndNothingFromElsewhere() throws {
        func text(_ name: String) throws -> String { String(decoding: try #require(BundledAssets.dashboardFile(name)), as: UTF8.self) }
        let html = try text("index.html")
        func matches(_ pattern: String, in text: String) throws -> [String] {
            let regex = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
            return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
        }
        let scripts = try matches(#"<script[^>]*>"#, in: html)
        #expect(!scripts.isEmpty && scripts.allSatisfy { $0.contains("src=\"/admin/") }, "every script is a file of the dashboard: \(scripts)")
        #expect(try matches(#"<script[^>]*>[^<]+</script>"#, in: html).isEmpty, "no inline script")
        #expect(try matches(#"\son[a-z]+\s*="#, in: html).isEmpty, "no event handler attributes")
        #expect(try matches(#"\sstyle\s*="#, in: html).isEmpty && !html.lowercased().contains("<style"), "no inline style")
        let references = try matches(#"(?:src|href)="[^"]*""#, in: html)
        #expect(references.allSatisfy { $0.contains("\"/admin/") || $0.contains("\"#/") }, "\(references)")
        for script in BundledAssets.dashboardFiles where script.hasSuffix(".js") {
            let source = try text(script)
            for risky in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage.setItem",
                          "setAttribute(\"style\"", ".cookie ="] {
                #expect(!source.contains(risky), "\(script) uses \(risky)")
            }
            let urls = try matches(#"https?://[^"'\s)]+"#, in: source).filter { $0 != "http://www.w3.org/2000/svg" }
            #expect(urls.isEmpty, "\(script) names another origin: \(urls)")
        }
        let css = try text("style.css")
        let loads = try matches(#"url\("#, in: css)
        #expect(!css.contains("@import") && loads.isEmpty, "the stylesheet loads nothing")
        let app = try text("core.js")
        #expect(app.contains("sessionStorage") && !app.contains("localStorage"), "the key is kept in the tab's session only")
    }
}

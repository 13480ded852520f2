import API
import Foundation
import HTTPServer
import Testing

/// The contract and the server agree: the document is valid OpenAPI 3.1 (checked by the pinned
/// openapi-spec-validator, see PythonTools), and every operation it lists is routed by the server.
/// SchemathesisTests checks the answers themselves against it.
@Suite struct OpenAPIContractTests {
    static var documentPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi/openapi.yaml").path
    }

    @Test func document_IsValidOpenAPI31() async throws {
        let (status, text) = try await PythonTools.run(try PythonTools.python(), ["-c", """
            import sys
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            d, _ = read_from_filename(sys.argv[1]); validate(d); print(d['openapi'])
            """, Self.documentPath], seconds: 120)
        #expect(status == 0, "openapi-spec-validator: \(text)")
        #expect(text.hasPrefix("3.1"))
    }

    @Test func everyDocumentedOperation_IsRouted() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        var operations: [(HTTPMethod, String)] = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if !line.hasPrefix("  ") || line.hasPrefix("components") { path = nil }
            guard let p = path else { continue }
            for (word, method) in [("get", HTTPMethod.get), ("post", .post), ("delete", .delete)] where line == "    \(word):" {
                operations.append((method, p.replacingOccurrences(of: "{id}", with: UUID().uuidString)))
            }
        }
        #expect(operations.count == 30, "documented operations")
        for (method, path) in operations {
            let response = try await f.send(method, path)
            let problem = (try? f.object(response))?["code"] as? String
            #expect(problem != "not_found" && problem != "method_not_allowed" && response.status.code < 500,
                    "\(method) \(path) is documented but answered \(response.status.code) \(response.bodyText)")
        }
    }
}

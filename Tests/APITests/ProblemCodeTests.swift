import API
import Foundation
import HTTPServer
import Market
import Testing
import TestSupport

/// The contract's `ProblemCode` enum is exactly the set of codes the server can answer with:
/// every market rule (`MarketError.Code`, but `admin_exists`, which only `admin bootstrap`
/// meets, on the database directly) and every code the HTTP and API layers write themselves
/// (found in their sources, so a code added there without the contract fails here). Each
/// operation's `x-problem-codes` names only codes of the enum.
@Suite struct ProblemCodeTests {
    /// Market codes no HTTP request can meet.
    static let notOverHTTP: Set<MarketError.Code> = [.adminExists]

    /// The enum, the common codes and each operation's list, as the pinned YAML reader reads them.
    static func documentedCodes() async throws -> (all: [String], common: [String], byOperation: [String: [String]]) {
        let (status, text) = try await PythonTools.run(try PythonTools.python(), ["-c", """
            import json, sys
            from openapi_spec_validator.readers import read_from_filename
            d, _ = read_from_filename(sys.argv[1])
            ops = {}
            for path, item in d['paths'].items():
                for method, op in item.items():
                    if isinstance(op, dict) and 'operationId' in op:
                        ops[op['operationId']] = op.get('x-problem-codes')
            print(json.dumps({'all': d['components']['schemas']['ProblemCode']['enum'],
                              'common': d['x-problem-codes-common'], 'ops': ops}))
            """, OpenAPIContractTests.documentPath], seconds: 120)
        #expect(status == 0, "\(text)")
        struct Codes: Decodable { let all: [String]; let common: [String]; let ops: [String: [String]?] }
        let codes = try JSONDecoder().decode(Codes.self, from: Data(text.utf8))
        var byOperation: [String: [String]] = [:]
        for (operation, list) in codes.ops {
            #expect(list != nil, "\(operation) has no x-problem-codes")
            byOperation[operation] = list ?? []
        }
        return (codes.all, codes.common, byOperation)
    }

    /// Every code literal the HTTP and API layers write (`code: "…"`, `code = … "…"`).
    static func codesInSources() throws -> Set<String> {
        let sources = URL(fileURLWithPath: OpenAPIContractTests.documentPath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let line = try NSRegularExpression(pattern: #"\bcode\b\s*[:=]"#)
        let literal = try NSRegularExpression(pattern: #""([a-z]+(?:_[a-z]+)*)""#)
        var found: Set<String> = []
        for target in ["HTTPServer", "API"] {
            let folder = sources.appendingPathComponent(target)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for row in text.split(separator: "\n") {
                    let row = String(row)
                    if row.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                    let range = NSRange(row.startIndex..., in: row)
                    guard line.firstMatch(in: row, range: range) != nil else { continue }
                    for match in literal.matches(in: row, range: range) {
                        if let r = Range(match.range(at: 1), in: row) { found.insert(String(row[r])) }
                    }
                }
            }
        }
        return found
    }

    @Test func enum_IsExactlyTheCodesTheServerCanEmit() async throws {
        let documented = try await Self.documentedCodes()
        let market = Set(MarketError.Code.allCases.filter { !Self.notOverHTTP.contains($0) }.map(\.rawValue))
        let layers = try Self.codesInSources()
        #expect(layers.isSuperset(of: ["malformed_request", "request_timeout", "invalid_json", "invalid_field", "not_found"]),
                "the source scan finds the layers' codes: \(layers.sorted())")
        let emitted = market.union(layers)
        let enumerated = Set(documented.all)
        #expect(documented.all.count == enumerated.count, "ProblemCode lists a code twice")
        #expect(emitted.subtracting(enumerated).isEmpty, "codes the server emits, missing from ProblemCode: \(emitted.subtracting(enumerated).sorted())")
        #expect(enumerated.subtracting(emitted).isEmpty, "codes in ProblemCode the server never emits: \(enumerated.subtracting(emitted).sorted())")
        #expect(!enumerated.contains("admin_exists"))
    }

    @Test func everyOperation_ListsItsCodes_FromTheEnum() async throws {
        let documented = try await Self.documentedCodes()
        let enumerated = Set(documented.all)
        #expect(Set(documented.common).isSubset(of: enumerated))
        #expect(documented.byOperation.count == 40)
        for (operation, codes) in documented.byOperation {
            #expect(Set(codes).isSubset(of: enumerated), "\(operation) lists codes outside ProblemCode: \(Set(codes).subtracting(enumerated).sorted())")
            #expect(Set(codes).count == codes.count, "\(operation) lists a code twice")
        }
        // Every authenticated operation names what a missing or revoked key answers.
        for (operation, codes) in documented.byOperation where !["health", "openapiDocument", "coordinator"].contains(operation) {
            #expect(codes.contains("unauthenticated") && codes.contains("key_revoked"), "\(operation)")
        }
        // Every market code some operation can meet is listed by at least one.
        let listed = Set(documented.byOperation.values.joined()).union(documented.common)
        let market = Set(MarketError.Code.allCases.filter { !Self.notOverHTTP.contains($0) }.map(\.rawValue))
        #expect(market.subtracting(listed).isEmpty, "market codes no operation lists: \(market.subtracting(listed).sorted())")
    }
}

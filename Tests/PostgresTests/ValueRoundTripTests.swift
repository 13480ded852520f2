import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ValueRoundTripTests {
    @Test func nullAndOptionals_RoundTrip() async throws {
        let db = try await TestDatabase.make()
        let row = try #require(try await db.pool.query("SELECT $1::text AS a, $2::bigint AS b", [nil, .null]).first)
        #expect(row.isNull("a"))
        #expect(try row.decode("a", as: String?.self) == nil)
        #expect(try row.decode("b", as: Int64?.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("a", as: String.self) }
    }

    @Test func oneMebibyteBytea_RoundTrips() async throws {
        let db = try await TestDatabase.make()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await db.pool.query("CREATE TABLE blobs (b bytea)")
        try await db.pool.query("INSERT INTO blobs VALUES ($1)", [.bytea(bytes)])
        let row = try #require(try await db.pool.query("SELECT b, length(b) AS n FROM blobs").first)
        #expect(try row.decode("n", as: Int.self) == 1 << 20)
        #expect(try row.decode("b", as: [UInt8].self) == bytes)
    }

    @Test func unicodeText_RoundTrips() async throws {
        let db = try await TestDatabase.make()
        let text = "Grüße, 世界 — ✓ 🧮 \"quoted\" 'single' \\ back"
        let row = try #require(try await db.pool.query("SELECT $1::text AS t, length($1::text) AS n", [.text(text)]).first)
        #expect(try row.decode("t", as: String.self) == text)
        #expect(try row.decode("n", as: Int.self) == text.count)
    }

    @Test func jsonb_RoundTrips() async throws {
        let db = try await TestDatabase.make()
        let row = try #require(try await db.pool.query(
            "SELECT $1::jsonb AS doc, ($1::jsonb ->> 'price')::bigint AS price",
            [.jsonb(#"{"price": 1500, "shape": [1, 64], "name": "digits ✓"}"#)]).first)
        struct Doc: Decodable, Equatable { let price: Int; let shape: [Int]; let name: String }
        #expect(try row.decode("doc", as: PostgresJSON.self).decode(Doc.self) == Doc(price: 1500, shape: [1, 64], name: "digits ✓"))
        #expect(try row.decode("price", as: Int64.self) == 1500)
    }

    @Test func timestamptz_RoundTripsToTheMicrosecond() async throws {
        let db = try await TestDatabase.make()
        let instants = [Date(timeIntervalSince1970: 1_795_000_000.123456), Date(timeIntervalSince1970: 0),
                        Date(timeIntervalSince1970: -86_400.5), Date(timeIntervalSince1970: 4_102_444_800)]
        for instant in instants {
            let row = try #require(try await db.pool.query(
                "SELECT $1::timestamptz AS t, extract(epoch FROM $1::timestamptz) AS e", [.timestamp(instant)]).first)
            let back = try row.decode("t", as: Date.self)
            #expect(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.000002)
            #expect(abs(try row.decode("e", as: Double.self) - instant.timeIntervalSince1970) < 0.000002)
        }
    }

    @Test func int64Extremes_RoundTrip() async throws {
        let db = try await TestDatabase.make()
        for value in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max] {
            let row = try #require(try await db.pool.query("SELECT $1::bigint AS v, $1::bigint::text AS t", [.int(value)]).first)
            #expect(try row.decode("v", as: Int64.self) == value)
            #expect(try row.decode("t", as: String.self) == String(value))
        }
        let overflow = try #require(try await db.pool.query("SELECT 3000000000::bigint AS v").first)
        #expect(throws: PostgresError.self) { try overflow.decode("v", as: Int32.self) }
    }

    @Test func boolUUIDAndDouble_RoundTrip() async throws {
        let db = try await TestDatabase.make()
        let id = UUID()
        let row = try #require(try await db.pool.query("SELECT $1::bool AS b, $2::uuid AS u, $3::float8 AS d",
                                                      [.bool(true), .uuid(id), .double(-2.5e-7)]).first)
        #expect(try row.decode("b", as: Bool.self) == true)
        #expect(try row.decode("u", as: UUID.self) == id)
        #expect(try row.decode("d", as: Double.self) == -2.5e-7)
        #expect(throws: PostgresError.self) { try row.decode("missing", as: Int.self) }
    }

    @Test func parametersNeverBecomeSQL() async throws {
        let db = try await TestDatabase.make()
        try await db.pool.query("CREATE TABLE names (n text)")
        let hostile = "x'); DROP TABLE names; --"
        try await db.pool.query("INSERT INTO names VALUES ($1)", [.text(hostile)])
        let row = try #require(try await db.pool.query("SELECT n FROM names").first)
        #expect(try row.decode("n", as: String.self) == hostile)
    }
}

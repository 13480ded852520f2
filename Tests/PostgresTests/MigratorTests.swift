import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct MigratorTests {
    private func migrations(_ extra: String = "") -> [Migration] {
        [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int);", checksum: "c1"),
         Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (id int);" + extra, checksum: "c2" + extra)]
    }

    @Test func repositoryMigrations_ApplyAndAreIdempotent() async throws {
        let db = try await TestDatabase.makeBlank()
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
        #expect(migrator.migrations.first?.name == "0001_init.sql")
        let first = try await migrator.migrate(db.configuration)
        #expect(first.applied.count == migrator.migrations.count)
        let second = try await migrator.migrate(db.configuration)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied == migrator.migrations.count)
    }

    @Test func changedAppliedFile_IsRefused() async throws {
        let db = try await TestDatabase.makeBlank()
        try await Migrator(migrations: migrations()).migrate(db.configuration)
        let edited = try Migrator(migrations: migrations(" -- edited"))
        do {
            try await edited.migrate(db.configuration)
            Issue.record("an edited migration was accepted")
        } catch let error as PostgresError {
            #expect(error.kind == .migration)
            #expect(error.message.contains("0002_b.sql changed after it was applied"))
        }
    }

    @Test func missingAppliedFile_IsRefused() async throws {
        let db = try await TestDatabase.makeBlank()
        try await Migrator(migrations: migrations()).migrate(db.configuration)
        await #expect(throws: PostgresError.self) {
            try await Migrator(migrations: Array(migrations().prefix(1))).migrate(db.configuration)
        }
    }

    @Test func failingMigration_RollsBackAndIsNotRecorded() async throws {
        let db = try await TestDatabase.makeBlank()
        let broken = [Migration(version: 1, name: "0001_bad.sql", sql: "CREATE TABLE ok (id int); SELECT no_such_function();", checksum: "x")]
        await #expect(throws: PostgresError.self) { try await Migrator(migrations: broken).migrate(db.configuration) }
        let row = try #require(try await db.pool.query(
            "SELECT to_regclass('ok') IS NULL AS gone, (SELECT count(*) FROM schema_migrations) AS n").first)
        #expect(try row.decode("gone", as: Bool.self))
        #expect(try row.decode("n", as: Int.self) == 0)
    }

    @Test func twoConcurrentRuns_BothSucceed_ApplyingOnce() async throws {
        let db = try await TestDatabase.makeBlank()
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
        async let a = migrator.migrate(db.configuration)
        async let b = migrator.migrate(db.configuration)
        let (ra, rb) = try await (a, b)
        #expect(ra.applied.count + rb.applied.count == migrator.migrations.count)
        #expect(ra.applied.isEmpty || rb.applied.isEmpty)
        let row = try #require(try await db.pool.query("SELECT count(*) AS n, count(DISTINCT version) AS d FROM schema_migrations").first)
        #expect(try row.decode("n", as: Int.self) == migrator.migrations.count)
        #expect(try row.decode("d", as: Int.self) == migrator.migrations.count)
    }

    @Test func duplicateVersions_AreRefused() {
        let twice = [Migration(version: 1, name: "0001_a.sql", sql: "", checksum: "a"),
                     Migration(version: 1, name: "0001_b.sql", sql: "", checksum: "b")]
        #expect(throws: PostgresError.self) { try Migrator(migrations: twice) }
    }
}

import Logging
import PostgresNIO

/// The queue's tables, created and migrated by the tool itself (docs/job_queue.md,
/// "Schema"): PostgreSQL schema `faceharvest`, `schema_version` (one row per migration
/// applied) and `jobs`. Migrations run in order inside one transaction holding an advisory
/// lock, so workers starting at once apply each exactly once; a migration is never edited
/// once released, only followed by another.
enum QueueSchema {
  /// The migrations, version 1 first: each a list of statements (one per query).
  static let migrations: [[PostgresQuery]] = [
    [
      """
      CREATE TABLE faceharvest.jobs (
        id bigserial PRIMARY KEY,
        ep_id text NOT NULL,
        stages text[] NOT NULL,
        options jsonb NOT NULL DEFAULT '{}',
        state text NOT NULL DEFAULT 'queued'
          CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
        worker text,
        lease_expires_at timestamptz,
        heartbeat_at timestamptz,
        run_after timestamptz NOT NULL DEFAULT now(),
        cancel_requested boolean NOT NULL DEFAULT false,
        progress jsonb,
        result jsonb,
        error text,
        submitted_by text,
        submitted_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )
      """,
      // One active job per episode: a second submit finds the first instead of duplicating.
      """
      CREATE UNIQUE INDEX jobs_one_active_per_episode ON faceharvest.jobs (ep_id)
        WHERE state IN ('queued', 'running')
      """,
      "CREATE INDEX jobs_active ON faceharvest.jobs (id) WHERE state IN ('queued', 'running')",
    ]
  ]

  /// The version this build knows.
  static var latest: Int { migrations.count }

  /// Any fixed number: the advisory lock key of migrations ("FHQ1").
  static let lockKey: Int64 = 0x4648_5131

  /// Brings the schema to `latest` on `connection`; returns the version found before.
  /// Throws `schemaTooNew` when the database is ahead of this build.
  @discardableResult
  static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> Int {
    try await connection.withTransaction(logger: logger) { connection in
      try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
      try await connection.query("CREATE SCHEMA IF NOT EXISTS faceharvest", logger: logger)
      try await connection.query(
        """
        CREATE TABLE IF NOT EXISTS faceharvest.schema_version (
          version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
        """, logger: logger)
      let rows = try await connection.query(
        "SELECT coalesce(max(version), 0) FROM faceharvest.schema_version", logger: logger)
      var found = 0
      for try await (version) in rows.decode(Int.self) { found = version }
      guard found <= latest else { throw JobQueueError.schemaTooNew(found: found, known: latest) }
      for (index, statements) in migrations.enumerated() where index + 1 > found {
        for statement in statements { try await connection.query(statement, logger: logger) }
        let version = index + 1
        try await connection.query(
          "INSERT INTO faceharvest.schema_version (version) VALUES (\(version))", logger: logger)
        logger.info("job queue schema migrated", metadata: ["version": "\(version)"])
      }
      return found
    }
  }
}

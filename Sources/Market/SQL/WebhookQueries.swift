/// The `webhook_deliveries` outbox and the jobs' webhook columns.
enum WebhookQueries {
    // Deliveries are queued with each transition's event (`JobEventQueries.jobEventRecord`).
    /// Sets a job's webhook.
    static let webhookSetForJob = NamedQuery("WebhookSetForJob", """
        UPDATE jobs SET webhook_url = $2, webhook_secret = $3 WHERE id = $1
        """)
    /// Claims due deliveries by pushing their next attempt out by a lease, so another replica
    /// skips them while this one sends; a crash mid-send only delays the retry.
    static let webhookClaimDue = NamedQuery("WebhookClaimDue", """
        UPDATE webhook_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
        FROM jobs j
        WHERE d.id IN (SELECT id FROM webhook_deliveries
                       WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= $1
                       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
          AND j.id = d.job_id
        RETURNING d.id, d.job_id, d.url, d.payload, d.attempts, j.webhook_secret
        """)
    static let webhookDelivered = NamedQuery("WebhookDelivered", """
        UPDATE webhook_deliveries SET delivered_at = $2, last_error = NULL WHERE id = $1
        """)
    static let webhookFailed = NamedQuery("WebhookFailed", """
        UPDATE webhook_deliveries SET next_attempt_at = $2, last_error = $3,
                                      abandoned_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE NULL END
        WHERE id = $1
        """)
    static let all = [webhookSetForJob, webhookClaimDue, webhookDelivered, webhookFailed]
}

/// The `webhook_deliveries` outbox and the jobs' webhook columns.
enum WebhookQueries {
    // Deliveries are queued with each transition's event (`JobEventQueries.jobEventRecord`).
    /// Sets a job's webhook.
    static let webhookSetForJob = NamedQuery("WebhookSetForJob", """
        UPDATE jobs SET webhook_url = $2, webhook_secret = $3 WHERE id = $1
        """)
    /// Claims due deliveries by pushing their next attempt out by a lease, so another replica
    /// skips them while this one sends; a crash mid-send only delays the retry. The claim takes
    /// turns between clients (each client's oldest due delivery first, then each one's second,
    /// …) and at most $4 per client, so one client's backlog cannot fill a sender's queue.
    /// $1 now, $2 lease end, $3 most rows, $4 most rows per client, $5 clients to skip (their queue is full).
    static let webhookClaimDue = NamedQuery("WebhookClaimDue", """
        UPDATE webhook_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1
        FROM jobs j
        WHERE d.id IN (SELECT id FROM webhook_deliveries
                       WHERE id IN (SELECT ranked.id FROM (
                                        SELECT w.id, w.next_attempt_at,
                                               row_number() OVER (PARTITION BY wj.client_account ORDER BY w.next_attempt_at, w.id) AS turn
                                        FROM webhook_deliveries w JOIN jobs wj ON wj.id = w.job_id
                                        WHERE w.delivered_at IS NULL AND w.abandoned_at IS NULL AND w.next_attempt_at <= $1
                                          AND wj.client_account <> ALL ($5::uuid[])) ranked
                                    WHERE ranked.turn <= $4
                                    ORDER BY ranked.turn, ranked.next_attempt_at LIMIT $3)
                         AND delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= $1
                       FOR UPDATE SKIP LOCKED)
          AND j.id = d.job_id
        RETURNING d.id, d.job_id, j.client_account, d.url, d.payload, d.attempts, j.webhook_secret
        """)
    /// Renews a claim just before its delivery is sent: only if no one claimed the delivery
    /// since (`attempts` counts claims), so a delivery queued past its lease is sent once.
    /// $1 delivery, $2 new lease end, $3 the attempt claimed.
    static let webhookRenewLease = NamedQuery("WebhookRenewLease", """
        UPDATE webhook_deliveries SET next_attempt_at = $2
        WHERE id = $1 AND attempts = $3 AND delivered_at IS NULL AND abandoned_at IS NULL
        RETURNING id
        """)
    static let webhookDelivered = NamedQuery("WebhookDelivered", """
        UPDATE webhook_deliveries SET delivered_at = $2, last_error = NULL WHERE id = $1
        """)
    static let webhookFailed = NamedQuery("WebhookFailed", """
        UPDATE webhook_deliveries SET next_attempt_at = $2, last_error = $3,
                                      abandoned_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE NULL END
        WHERE id = $1
        """)
    static let all = [webhookSetForJob, webhookClaimDue, webhookRenewLease, webhookDelivered, webhookFailed]
}

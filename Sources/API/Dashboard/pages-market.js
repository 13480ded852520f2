// Pages about the market: jobs, one job's timeline, the workers and their shares, and prices.
"use strict";

(function () {
  const { h } = PM;
  PM.pages = PM.pages || {};

  const STATUSES = ["open", "locked", "fulfilled", "cancelled", "expired"];
  let jobTrail = [];

  const perMMAC = (v) => (v === undefined || v === null ? "–" : PM.number(v, 1));

  /// `#/jobs?status=&client=&worker=&model=&auction=&cursor=`: the newest jobs first.
  PM.pages.jobs = async function (view, query) {
    const filter = { status: query.status, client: query.client, worker: query.worker, model: query.model, auction: query.auction };
    const [page, stats] = await Promise.all([
      PM.api("/v1/admin/jobs", Object.assign({ limit: 50, cursor: query.cursor }, filter)),
      PM.api("/v1/admin/stats"),
    ]);
    if (!query.cursor) jobTrail = [];
    const go = (values) => { location.hash = PM.href("jobs", values); };
    const chips = h("div", { class: "chips", id: "job-status-counts" }, STATUSES.map((status) =>
      h("a", { class: "chip status-" + status + (query.status === status ? " selected" : ""), href: PM.href("jobs", { status }),
               "data-status": status, "data-count": stats.jobs_by_status[status] || 0 },
        status, " ", h("strong", null, PM.number(stats.jobs_by_status[status] || 0)))));
    const rows = page.jobs.map((j) => ({
      attributes: { "data-job-id": j.id, "data-status": j.status },
      cells: [PM.idLink("job", j.id), PM.badge(j.status), j.auction,
              j.lock_price !== undefined ? PM.money(j.lock_price) : "–", perMMAC(j.lock_price_per_mega_mac),
              j.locked_by ? PM.idLink("jobs", j.locked_by, { worker: j.locked_by }) : "–", String(j.attempt),
              PM.duration(j.prove_ms), PM.duration(j.verify_ms), PM.time(j.created_at),
              PM.idLink("jobs", j.client_account, { client: j.client_account })],
    }));
    const pager = h("nav", { class: "pager", "aria-label": "Job pages" },
      h("button", { type: "button", disabled: !query.cursor, on: { click: () => go(Object.assign({}, filter, { cursor: jobTrail.pop() || undefined })) } }, "← Newer"),
      h("button", { type: "button", id: "jobs-next", disabled: !page.next_cursor, on: { click: () => {
        jobTrail.push(query.cursor || "");
        go(Object.assign({}, filter, { cursor: page.next_cursor }));
      } } }, "Older →"));
    view.append(...PM.heading("Jobs", "The newest first. Follow a job's id to its timeline."), chips,
      PM.filters("jobs-filters", [
        { name: "status", label: "Status", type: "select", value: query.status, options: [["", "any status"], ...STATUSES.map((s) => [s, s])] },
        { name: "auction", label: "Auction", type: "select", value: query.auction, options: [["", "any auction"], ["dutch", "dutch"], ["sealed", "sealed"]] },
        { name: "client", label: "Client account", value: query.client, placeholder: "account id" },
        { name: "worker", label: "Worker", value: query.worker, placeholder: "worker id" },
        { name: "model", label: "Model", value: query.model, placeholder: "model id" },
      ], go),
      PM.table("jobs-table", [["Job"], ["Status"], ["Auction"], ["Lock price", "num"], ["Per MMAC", "num"], ["Worker"], ["Locks", "num"],
                              ["Prove", "num"], ["Verify", "num"], ["Created"], ["Client"]], rows, "No job matches."),
      pager);
  };

  function describe(event) {
    const d = event.detail || {};
    const parts = [];
    if (d.worker) parts.push(h("span", null, "worker ", PM.idLink("jobs", d.worker, { worker: d.worker })));
    if (d.price) parts.push(h("span", null, "price ", PM.money(d.price)));
    if (d.fee) parts.push(h("span", null, "fee ", PM.money(d.fee)));
    if (d.verify_ms) parts.push(h("span", null, "verified in " + PM.duration(Number(d.verify_ms))));
    if (d.reason) parts.push(h("span", { class: "reason" }, "reason: " + d.reason));
    if (d.bids) parts.push(h("span", null, d.bids + " bid(s)"));
    for (const [key, value] of Object.entries(d)) {
      if (["worker", "price", "fee", "verify_ms", "reason", "bids", "expires_at", "attempt"].includes(key)) continue;
      // Integer detail values of these events are micro-credits (escrow, refund, slashed, penalty …).
      const money = /^-?[0-9]+$/.test(value) && !/_ms$|_s$|count|bids/.test(key);
      parts.push(h("span", null, key.replace(/_/g, " ") + " ", money ? PM.money(value) : value));
    }
    return parts;
  }

  /// `#/job/<id>`: what a job lived through, with its prices and times, bids and ledger entries.
  PM.pages.job = async function (view, query, id) {
    const [timeline, ledger] = await Promise.all([
      PM.api("/v1/admin/jobs/" + encodeURIComponent(id)),
      PM.api("/v1/admin/ledger", { job: id, limit: 500 }),
    ]);
    const j = timeline.job;
    const start = new Date(j.created_at).getTime();
    const total = j.finished_at ? new Date(j.finished_at).getTime() - start : null;
    view.append(...PM.heading("Job " + PM.shortID(j.id), j.id),
      h("div", { class: "cards" },
        PM.card({ label: "Status", value: j.status, id: "job-status", raw: j.status, tone: "status-" + j.status }),
        PM.card({ label: "Auction", value: j.auction, note: `${PM.credits(j.min_price)} to ${PM.credits(j.max_price)} credits` }),
        PM.card({ label: "Lock price", value: j.lock_price !== undefined ? PM.credits(j.lock_price) : "–", id: "job-lock-price", raw: j.lock_price,
                  note: j.lock_price_per_mega_mac !== undefined ? perMMAC(j.lock_price_per_mega_mac) + " per MMAC" : "" }),
        PM.card({ label: "Prove time", value: PM.duration(j.prove_ms), id: "job-prove", raw: j.prove_ms, note: "as the worker reported" }),
        PM.card({ label: "Verify time", value: PM.duration(j.verify_ms), id: "job-verify", raw: j.verify_ms }),
        PM.card({ label: "Created to final", value: total === null ? "–" : PM.duration(total), note: PM.time(j.created_at) }),
        PM.card({ label: "Locks", value: String(j.attempt), note: "stake " + PM.credits(j.lock_stake) }),
        PM.card({ label: "Escrow", value: PM.credits(j.escrow), note: "client " + PM.shortID(j.client_account) })),
      h("h2", null, "Timeline"),
      PM.timelineChart("job-timeline-chart", timeline.events),
      h("ol", { class: "events", id: "job-events" }, timeline.events.map((e) =>
        h("li", { "data-kind": e.kind, "data-event-id": e.id },
          h("time", { datetime: e.at }, PM.time(e.at)), h("span", { class: "offset" }, "+" + PM.duration(new Date(e.at).getTime() - start)),
          h("strong", { class: "kind-" + e.kind }, e.kind.replace(/_/g, " ")), h("span", { class: "event-detail" }, describe(e))))),
      h("h2", null, "Bids and locks"),
      PM.table("job-bids", [["At"], ["Kind"], ["Round", "num"], ["Worker"], ["Price", "num"], ["Outcome"]], timeline.bids.map((b) => ({
        attributes: { "data-bid-kind": b.kind },
        cells: [PM.time(b.created_at), b.kind, String(b.attempt), PM.idLink("jobs", b.worker_id, { worker: b.worker_id }), PM.money(b.price),
                b.outcome || "pending"],
      })), "No bid or lock yet."),
      h("h2", null, "Money"),
      PM.table("job-ledger", [["Chain", "num"], ["At"], ["Kind"], ["Credits", "num"]], ledger.entries.map((e) => ({
        attributes: { "data-kind": e.kind },
        cells: [e.chain_position !== undefined ? "#" + e.chain_position : "unsealed", PM.time(e.at), e.kind.replace(/_/g, " "), PM.money(e.amount)],
      })), "No money moved for this job."),
      h("p", null, h("a", { href: PM.href("ledger", { job: j.id }) }, "This job in the ledger →")));
  };

  /// `#/workers`: each worker's record and share of the last day's fulfilled jobs, with a
  /// warning above the coordinator's threshold.
  PM.pages.workers = async function (view) {
    const report = await PM.api("/v1/admin/workers", { limit: 500 });
    const heavy = report.workers.filter((w) => w.above_share_warning);
    const now = Date.now();
    const warning = heavy.length
      ? h("div", { class: "warning", id: "share-warning", role: "alert" },
          h("strong", null, "Concentration: "),
          heavy.map((w) => `${w.name} fulfilled ${PM.percent(w.share_last_day_bps)} of the last day's ${report.fulfilled_last_day} jobs`).join("; "),
          `, above the ${PM.percent(report.share_warning_bps)} threshold. One prover holding most of the capacity is the market's best-known failure mode: its outage or its prices become everyone's.`)
      : h("div", { class: "notice", id: "share-ok" }, `No worker holds more than ${PM.percent(report.share_warning_bps)} of the last day's ${report.fulfilled_last_day} fulfilled jobs.`);
    const chart = PM.barChart("share-chart", "Each worker's share of the last day's fulfilled jobs",
      report.workers.slice(0, 20).map((w) => ({ label: w.name, value: w.share_last_day_bps, cls: w.above_share_warning ? "over" : "under",
                                                note: PM.percent(w.share_last_day_bps) })),
      { max: 10000, format: PM.percent, threshold: report.share_warning_bps, thresholdLabel: "warn above " + PM.percent(report.share_warning_bps) });
    const rows = report.workers.map((w) => {
      const suspended = w.suspended_until && new Date(w.suspended_until).getTime() > now;
      return {
        attributes: { "data-worker-id": w.id, "data-above": String(w.above_share_warning), class: w.above_share_warning ? "over" : null },
        cells: [w.name, PM.idLink("jobs", w.id, { worker: w.id }), PM.number(w.jobs_fulfilled), PM.number(w.jobs_rejected),
                PM.number(w.jobs_released), PM.number(w.jobs_slashed),
                suspended ? h("span", { class: "badge status-expired" }, "until " + PM.time(w.suspended_until)) : "no",
                PM.time(w.last_heartbeat), PM.number(w.fulfilled_last_day),
                h("span", { class: "share", "data-bps": w.share_last_day_bps }, PM.percent(w.share_last_day_bps))],
      };
    });
    view.append(...PM.heading("Workers", `${report.workers_total} registered; shares count the jobs each fulfilled since ${PM.time(report.since)}.`),
      warning,
      h("p", { class: "summary", id: "share-threshold", "data-bps": report.share_warning_bps },
        `Warning threshold: ${PM.percent(report.share_warning_bps)} (serve --worker-share-warning-percent).`),
      chart,
      PM.table("workers-table", [["Name"], ["Worker"], ["Fulfilled", "num"], ["Rejected", "num"], ["Released", "num"], ["Slashed", "num"],
                                 ["Suspended"], ["Last heartbeat"], ["Last day", "num"], ["Share", "num"]], rows, "No worker has registered."));
  };

  const WINDOWS = [["1", "1 hour"], ["6", "6 hours"], ["24", "1 day"], ["168", "7 days"], ["720", "30 days"]];

  /// `#/market?hours=&buckets=`: the lock price per million multiply-accumulates over time,
  /// its percentiles, and the jobs by status.
  PM.pages.market = async function (view, query) {
    const hours = query.hours || "24";
    const buckets = query.buckets || "24";
    const [history, stats] = await Promise.all([PM.api("/v1/admin/market/history", { hours, buckets }), PM.api("/v1/admin/stats")]);
    const go = (values) => { location.hash = PM.href("market", values); };
    const since = new Date(history.since).getTime(), until = new Date(history.until).getTime();
    const half = history.bucket_seconds * 500;
    const points = (key) => history.buckets.map((b) => ({ t: new Date(b.start).getTime() + half, v: b[key] }));
    const all = stats.lock_price_per_mega_mac || {};
    const statusItems = STATUSES.map((s) => ({ label: s, value: stats.jobs_by_status[s] || 0, cls: "status-" + s }));
    view.append(...PM.heading("Market", "What a lock pays per million multiply-accumulates of a model's work, in micro-credits."),
      PM.filters("market-filters", [{ name: "hours", label: "Window", type: "select", value: hours, options: WINDOWS },
        { name: "buckets", label: "Slices", type: "select", value: buckets, options: [["12", "12"], ["24", "24"], ["48", "48"], ["96", "96"]] }], go),
      h("div", { class: "cards" },
        PM.card({ label: "p50 in window", value: perMMAC(history.p50), id: "market-p50", raw: history.p50, note: "µ per MMAC" }),
        PM.card({ label: "p90 in window", value: perMMAC(history.p90), id: "market-p90", raw: history.p90, note: "µ per MMAC" }),
        PM.card({ label: "Locks in window", value: PM.number(history.locks), id: "market-locks", raw: history.locks }),
        PM.card({ label: "p50 / p90 all time", value: `${perMMAC(all.p50)} / ${perMMAC(all.p90)}`, id: "market-all-time" }),
        PM.card({ label: "Prove p50", value: PM.duration(stats.prove_milliseconds.p50 === undefined ? null : Math.round(stats.prove_milliseconds.p50)) }),
        PM.card({ label: "Verify p50", value: PM.duration(stats.verify_milliseconds.p50 === undefined ? null : Math.round(stats.verify_milliseconds.p50)) })),
      h("h2", null, "Lock price per MMAC"),
      PM.lineChart("price-chart", "Lock price per million multiply-accumulates over time",
        [{ name: "p50", cls: "p50", points: points("p50") }, { name: "p90", cls: "p90", points: points("p90") }],
        { since, until, format: (v) => PM.number(v, v < 10 ? 1 : 0) }),
      h("h2", null, "Jobs created and fulfilled"),
      PM.columnChart("flow-chart", "Jobs created and fulfilled in each slice",
        history.buckets.map((b) => ({ t: new Date(b.start).getTime(), a: b.created, b: b.fulfilled })),
        { names: ["created", "fulfilled"], classes: ["created", "fulfilled"] }),
      h("h2", null, "Jobs by status"),
      PM.barChart("status-chart", "Jobs by status", statusItems, { format: (v) => PM.number(v) }));
  };
})();

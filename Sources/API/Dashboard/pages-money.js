// Pages about money: the ledger, its audit, and the accounts with their balances.
"use strict";

(function () {
  const { h } = PM;
  PM.pages = PM.pages || {};

  const KINDS = ["deposit", "escrow_hold", "escrow_refund", "payment", "fee", "stake_hold", "stake_release",
                 "slash_to_client", "slash_to_platform"];

  // The cursors of the pages before the one shown, so "Previous" can go back (the ledger's
  // cursor only goes forward).
  let ledgerTrail = [];

  function side(account, bucket) {
    return h("span", { class: "side" }, PM.idLink("ledger", account, { account }), h("span", { class: "bucket" }, bucket));
  }

  /// `#/ledger?account=&job=&kind=&limit=&cursor=`: entries oldest first, a page at a time.
  PM.pages.ledger = async function (view, query) {
    const limit = query.limit || "50";
    const page = await PM.api("/v1/admin/ledger", { account: query.account, job: query.job, kind: query.kind, limit,
                                                   cursor: query.cursor });
    if (!query.cursor) ledgerTrail = [];
    const filters = { account: query.account, job: query.job, kind: query.kind, limit: query.limit };
    const go = (values) => { location.hash = PM.href("ledger", values); };
    const rows = page.entries.map((e) => ({
      attributes: { "data-entry-id": e.id, "data-kind": e.kind, "data-micros": e.amount },
      cells: [
        e.chain_position !== undefined ? h("span", { class: "chain-position", "data-position": e.chain_position }, "#" + e.chain_position)
          : h("span", { class: "chain-position unsealed", title: "not chained yet: its transaction may still be running" }, "unsealed"),
        String(e.id), PM.time(e.at), h("span", { class: "kind kind-" + e.kind }, e.kind.replace(/_/g, " ")),
        side(e.debit_account, e.debit_bucket), side(e.credit_account, e.credit_bucket),
        PM.money(e.amount, "amount"),
        e.job_id ? PM.idLink("job", e.job_id) : "–",
      ],
    }));
    const pageNumber = ledgerTrail.length + 1;
    const pager = h("nav", { class: "pager", "aria-label": "Ledger pages" },
      h("button", { type: "button", id: "ledger-previous", disabled: !query.cursor, on: { click: () => {
        const previous = ledgerTrail.pop();
        go(Object.assign({}, filters, { cursor: previous || undefined }));
      } } }, "← Previous"),
      h("span", { id: "ledger-page", "data-page": pageNumber }, "Page " + pageNumber),
      h("button", { type: "button", id: "ledger-next", disabled: !page.next_cursor, on: { click: () => {
        ledgerTrail.push(query.cursor || "");
        go(Object.assign({}, filters, { cursor: page.next_cursor }));
      } } }, "Next →"));
    const total = page.entries.reduce((sum, e) => sum + BigInt(e.amount), 0n);
    view.append(...PM.heading("Ledger", "Every movement of money, oldest first, each with its place in the tamper-evident hash chain."),
      PM.filters("ledger-filters", [
        { name: "account", label: "Account", value: query.account, placeholder: "account id" },
        { name: "job", label: "Job", value: query.job, placeholder: "job id" },
        { name: "kind", label: "Kind", type: "select", value: query.kind,
          options: [["", "any kind"], ...KINDS.map((k) => [k, k.replace(/_/g, " ")])] },
        { name: "limit", label: "Per page", type: "select", value: limit, options: [["10", "10"], ["25", "25"], ["50", "50"], ["100", "100"], ["500", "500"]] },
      ], go),
      h("p", { class: "summary", id: "ledger-summary" }, `${page.entries.length} entries on this page, moving `,
        PM.money(total.toString()), " credits in all."),
      PM.table("ledger-table", [["Chain", "num"], ["Entry", "num"], ["At"], ["Kind"], ["From"], ["To"], ["Credits", "num"], ["Job"]],
        rows, "No entry matches."),
      pager);
  };

  const INVARIANTS = [
    ["balance_sum", "Balances sum to zero", "Money is neither created nor lost: every account's available plus held adds up to 0.",
      (r) => r.balance_sum === 0, (r) => "sum " + PM.credits(r.balance_sum)],
    ["non_negative", "No negative balance", "Only the external account, where deposits come from, may go below zero.",
      (r) => r.negative_accounts === 0, (r) => r.negative_accounts + " negative account(s)"],
    ["replay", "Replay gives the stored balances", "Replaying every entry from zero reproduces every account's balance.",
      (r) => r.replay_mismatches.length === 0, (r) => r.replay_mismatches.length + " mismatch(es)" +
        (r.replay_mismatches.length ? ": " + r.replay_mismatches.join(", ") : "")],
    ["chain", "Hash chain intact", "Each sealed entry's hash recomputes and links to the one before; no final entry is left out.",
      (r) => r.chain_breaks.length === 0, (r) => r.chain_breaks.length + " break(s)" +
        (r.chain_breaks.length ? " at entries " + r.chain_breaks.join(", ") : "")],
  ];

  /// `#/audit`: the auditor's four invariants, run now.
  PM.pages.audit = async function (view) {
    const report = await PM.api("/v1/admin/ledger/verify");
    const cards = INVARIANTS.map(([key, title, text, holds, detail]) => {
      const ok = holds(report);
      return h("article", { class: "invariant " + (ok ? "ok" : "broken"), "data-invariant": key, "data-ok": ok ? "true" : "false" },
        h("h2", null, h("span", { class: "verdict" }, ok ? "OK" : "BROKEN"), " ", title), h("p", null, text),
        h("p", { class: "detail" }, detail(report)));
    });
    view.append(...PM.heading("Ledger audit", "The auditor seals every finished entry into the chain, then checks the whole ledger."),
      h("div", { class: "verdict-line " + (report.intact ? "ok" : "broken"), id: "audit-verdict", "data-intact": String(report.intact) },
        report.intact ? "All four invariants hold." : "The ledger is NOT intact."),
      h("div", { class: "invariants" }, cards),
      h("div", { class: "cards" },
        PM.card({ label: "Entries checked", value: PM.number(report.entries), id: "audit-entries", raw: report.entries }),
        PM.card({ label: "Still being written", value: PM.number(report.unsealed), id: "audit-unsealed", raw: report.unsealed,
                  note: "checked by the next audit" })),
      h("button", { type: "button", id: "audit-again", on: { click: () => PM.render() } }, "Run the audit again"));
  };

  /// `#/accounts?kind=`: every account (up to 2000) with its balance; money by account, charted.
  PM.pages.accounts = async function (view, query) {
    const accounts = await PM.apiAll("/v1/admin/accounts", { kind: query.kind }, "accounts", 2000);
    const go = (values) => { location.hash = PM.href("accounts", values); };
    const rows = accounts.map((a) => ({
      attributes: { "data-account-id": a.id, "data-kind": a.kind },
      cells: [a.owner, h("span", { class: "kind" }, a.kind.replace(/_/g, " ")), PM.idLink("ledger", a.id, { account: a.id }),
              PM.money(a.available, "available"), PM.money(a.held, "held"), String(a.keys), PM.time(a.created_at)],
    }));
    const holders = accounts.filter((a) => a.kind === "client" || a.kind === "worker")
      .map((a) => ({ a, total: Number(a.available) + Number(a.held) })).sort((x, y) => y.total - x.total).slice(0, 12);
    const chart = holders.length ? PM.barChart("accounts-chart", "Money held by the largest client and worker accounts",
      holders.map(({ a, total }) => ({ label: `${a.owner} (${a.kind})`, value: total, cls: "kind-" + a.kind, note: PM.credits(total) })),
      { format: (v) => PM.credits(Math.round(v)) }) : null;
    view.append(...PM.heading("Accounts", "Every account with its available and held (escrow or stake) credits."),
      PM.filters("accounts-filters", [{ name: "kind", label: "Kind", type: "select", value: query.kind, options: [["", "any kind"],
        ...["client", "worker", "admin", "platform_fees", "platform_slashed", "external"].map((k) => [k, k.replace(/_/g, " ")])] }], go),
      chart,
      h("p", { class: "summary", id: "accounts-summary" }, `${accounts.length} accounts.`),
      PM.table("accounts-table", [["Owner"], ["Kind"], ["Account"], ["Available", "num"], ["Held", "num"], ["Keys", "num"], ["Created"]],
        rows, "No account matches."));
  };
})();

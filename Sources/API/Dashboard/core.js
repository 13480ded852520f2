// ProofMarket admin dashboard: the shared pieces (the admin key, requests to the coordinator,
// building the page, formatting). No framework and no build step; everything the page shows is
// text put in with textContent, never markup, so no value from the market can become script.
"use strict";

const PM = (window.PM = {});

// The admin key lives in this tab's session storage only: it is gone when the tab closes, and
// other tabs, windows and later visits never see it.
const KEY_SLOT = "proofmarket.adminKey";
PM.key = () => sessionStorage.getItem(KEY_SLOT);
PM.setKey = (key) => sessionStorage.setItem(KEY_SLOT, key);
PM.forgetKey = () => sessionStorage.removeItem(KEY_SLOT);

/// A failed request: the problem's code and text, as the coordinator sent them (RFC 9457).
class ProblemError extends Error {
  constructor(status, code, detail) {
    super(detail || code || "HTTP " + status);
    this.status = status;
    this.code = code || "";
  }
}
PM.ProblemError = ProblemError;

/// GETs `path` (with `query`, whose empty values are left out) as the signed-in admin and
/// returns the decoded JSON; throws ProblemError for any answer but 2xx.
PM.api = async function (path, query, key) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, value);
  }
  const url = path + (params.toString() ? "?" + params.toString() : "");
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: "Bearer " + (key || PM.key() || ""), Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch (error) {
    throw new ProblemError(0, "unreachable", "The coordinator did not answer: " + error.message);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) {
    throw new ProblemError(response.status, body && body.code, body && (body.detail || body.title));
  }
  return body;
};

/// Every page of a cursor-paged list, up to `max` items.
PM.apiAll = async function (path, query, field, max) {
  const items = [];
  let cursor = "";
  for (;;) {
    const page = await PM.api(path, Object.assign({}, query, { cursor, limit: 500 }));
    items.push(...page[field]);
    if (!page.next_cursor || items.length >= max) return items;
    cursor = page.next_cursor;
  }
};

// Building the page.

/// An element: `attributes` are set as attributes (`class`, `href`, `data-*`, …) except `on`
/// (event listeners) and `text`; children are nodes or strings (as text).
PM.h = function (tag, attributes, ...children) {
  const element = document.createElement(tag);
  PM.assign(element, attributes);
  PM.append(element, children);
  return element;
};

/// An SVG element, likewise.
PM.svg = function (tag, attributes, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  PM.assign(element, attributes);
  PM.append(element, children);
  return element;
};

PM.assign = function (element, attributes) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    } else if (name === "text") {
      element.textContent = String(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
};

PM.append = function (element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
};

/// A table: `columns` are [heading, class?]; `rows` are arrays of cells (nodes or text), each
/// row given as { cells, attributes }.
PM.table = function (id, columns, rows, empty) {
  const head = PM.h("tr", null, columns.map(([title, cls]) => PM.h("th", { scope: "col", class: cls }, title)));
  const body = rows.map((row) =>
    PM.h("tr", row.attributes, row.cells.map((cell, i) => PM.h("td", { class: columns[i][1], "data-label": columns[i][0] }, cell))));
  const table = PM.h("table", { id }, PM.h("thead", null, head), PM.h("tbody", null, body));
  return PM.h("div", { class: "table-wrap" }, table, rows.length ? null : PM.h("p", { class: "empty" }, empty || "Nothing to show."));
};

/// A small labelled figure: `{label, value, id, note, tone}`.
PM.card = function ({ label, value, id, note, tone, raw }) {
  return PM.h("div", { class: "card" + (tone ? " " + tone : ""), id, "data-value": raw },
    PM.h("span", { class: "card-label" }, label), PM.h("strong", { class: "card-value" }, value),
    note ? PM.h("span", { class: "card-note" }, note) : null);
};

/// A form of filters whose values become the page's query; `fields` are
/// { name, label, type: "text" | "select", options, value, placeholder }.
PM.filters = function (id, fields, onApply) {
  const inputs = fields.map((field) => {
    const control = field.type === "select"
      ? PM.h("select", { id: id + "-" + field.name, name: field.name },
          field.options.map(([value, label]) => PM.h("option", { value, selected: String(field.value || "") === value }, label)))
      : PM.h("input", { id: id + "-" + field.name, name: field.name, type: "text", value: field.value || "",
                        placeholder: field.placeholder, spellcheck: "false", autocomplete: "off" });
    return PM.h("label", { class: "field" }, PM.h("span", null, field.label), control);
  });
  const form = PM.h("form", { id, class: "filters" }, inputs,
    PM.h("div", { class: "filter-actions" }, PM.h("button", { type: "submit" }, "Apply"),
      PM.h("button", { type: "button", class: "quiet", on: { click: () => onApply({}) } }, "Clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = {};
    for (const field of fields) {
      const value = form.elements[field.name].value.trim();
      if (value) values[field.name] = value;
    }
    onApply(values);
  });
  return form;
};

// Formatting. Money is integer micro-credits, written as credits with six decimals by string
// arithmetic (never through a float), so every digit shown is the ledger's.

PM.credits = function (micros) {
  const text = String(micros);
  const negative = text.startsWith("-");
  const digits = (negative ? text.slice(1) : text).padStart(7, "0");
  const whole = digits.slice(0, -6).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  return (negative ? "\u2212" : "") + whole + "." + digits.slice(-6);
};

/// A money cell: the credits as text, the exact micro-credits in `data-micros`.
PM.money = (micros, cls) => PM.h("span", { class: "money " + (cls || ""), "data-micros": micros }, PM.credits(micros));

PM.time = function (iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace("T", " ").slice(0, 19) + "Z";
};

PM.shortTime = (iso) => (iso ? new Date(iso).toISOString().slice(11, 19) : "");

PM.number = (value, digits) => (value === undefined || value === null ? "–"
  : Number(value).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 0 : digits }));

/// A number in few characters, for chart axes: 2.5M, 750K.
PM.compact = (value) => Number(value).toLocaleString("en-US", { notation: "compact", maximumFractionDigits: 2 });

PM.percent = (bps) => (bps / 100).toLocaleString("en-US", { maximumFractionDigits: 2 }) + " %";

PM.duration = function (ms) {
  if (ms === undefined || ms === null) return "–";
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
  return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
};

PM.shortID = (id) => (id ? String(id).slice(0, 8) : "");

/// A link showing a short id (the full one in its title): to `#/page?query` when a query is
/// given (a list filtered by the id), else to `#/page/id` (the id's own page).
PM.idLink = (page, id, query) =>
  id ? PM.h("a", { href: query ? PM.href(page, query) : PM.href(page, {}, id), title: id, class: "id", "data-id": id },
            PM.shortID(id)) : "–";

/// `#/page/rest?query`.
PM.href = function (page, query, rest) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) if (value !== undefined && value !== "") params.set(name, value);
  return "#/" + page + (rest ? "/" + encodeURIComponent(rest) : "") + (params.toString() ? "?" + params : "");
};

PM.badge = (status) => PM.h("span", { class: "badge status-" + status }, status);

/// The page's heading and its short explanation.
PM.heading = (title, text) => [PM.h("h1", null, title), text ? PM.h("p", { class: "lede" }, text) : null];

// The dashboard's frame: signing in and out, and showing the page the address names
// (`#/jobs`, `#/job/<id>`, `#/ledger?account=…`), each drawn by one function of PM.pages.
"use strict";

(function () {
  const signIn = document.getElementById("sign-in");
  const form = document.getElementById("sign-in-form");
  const keyInput = document.getElementById("admin-key");
  const signInError = document.getElementById("sign-in-error");
  const view = document.getElementById("view");
  const nav = document.getElementById("nav");
  const signOut = document.getElementById("sign-out");

  // `message` is a refusal (shown as an error) unless `kind` is "notice" (signing out).
  function showSignIn(message, kind) {
    signIn.hidden = false;
    view.hidden = true;
    nav.hidden = true;
    signOut.hidden = true;
    signInError.hidden = !message;
    signInError.textContent = message || "";
    signInError.className = kind === "notice" ? "notice" : "error";
    signInError.setAttribute("role", kind === "notice" ? "status" : "alert");
    document.body.dataset.signedIn = "false";
    keyInput.focus();
  }

  function parse() {
    const hash = location.hash.replace(/^#\/?/, "");
    const [path, search] = hash.split("?");
    const [page, ...rest] = (path || "").split("/");
    const query = Object.fromEntries(new URLSearchParams(search || ""));
    return { page: page || "jobs", id: rest.length ? decodeURIComponent(rest.join("/")) : "", query };
  }

  // Each render has a number: an older one that finishes late draws nothing.
  let renders = 0;

  PM.render = async function () {
    if (!PM.key()) return showSignIn("");
    const { page, id, query } = parse();
    const draw = PM.pages[page];
    signIn.hidden = true;
    view.hidden = false;
    nav.hidden = false;
    signOut.hidden = false;
    document.body.dataset.signedIn = "true";
    for (const link of nav.querySelectorAll("a")) {
      link.classList.toggle("current", link.dataset.page === page || (page === "job" && link.dataset.page === "jobs"));
    }
    const number = ++renders;
    const scratch = document.createElement("div");
    view.dataset.page = page;
    view.dataset.state = "loading";
    view.replaceChildren(PM.h("p", { class: "loading" }, "Loading…"));
    try {
      if (!draw) throw new PM.ProblemError(404, "not_found", "There is no page called " + page + ".");
      await draw(scratch, query, id);
      if (number !== renders) return;
      view.replaceChildren(...scratch.childNodes);
      view.dataset.state = "ready";
      document.title = page.charAt(0).toUpperCase() + page.slice(1) + " · ProofMarket admin";
    } catch (error) {
      if (number !== renders) return;
      if (error.status === 401 || error.status === 403) {
        PM.forgetKey();
        return showSignIn("The coordinator refused the key: " + error.message);
      }
      view.replaceChildren(PM.h("div", { class: "error", role: "alert", id: "page-error", "data-code": error.code || "" },
        PM.h("strong", null, "Could not load this page. "), error.message));
      view.dataset.state = "error";
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return showSignIn("Enter an admin key.");
    try {
      // A cheap admin-only read: it tells an unknown key (401) from a key of another role (403).
      await PM.api("/v1/admin/accounts", { limit: 1 }, key);
    } catch (error) {
      const why = error.status === 403 ? "This is not an admin key: " : error.status === 401 ? "This key is not valid: " : "";
      return showSignIn(why + error.message);
    }
    PM.setKey(key);
    keyInput.value = "";
    PM.render();
  });

  signOut.addEventListener("click", () => {
    PM.forgetKey();
    showSignIn("Signed out.", "notice");
  });

  window.addEventListener("hashchange", () => PM.render());
  PM.render();
})();

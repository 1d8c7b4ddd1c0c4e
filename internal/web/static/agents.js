// Agents page and agent page: refresh every few seconds by fetching this
// same URL (so filters, sort and page stay as they are) and updating the
// page in place: rows are matched by agent id and their cells rewritten, so
// the focused element, the selection and the scroll position stay. Nothing
// refreshes while a dialog is open, the tab is hidden or (agents page) the
// box is unticked.
"use strict";

(() => {
  const box = document.getElementById("auto-refresh");
  const agentPage = document.getElementById("agent-live");
  if (!box && !agentPage) return;
  const KEY = "tc.agents.autoRefresh";
  if (box) {
    if (localStorage.getItem(KEY) === "off") box.checked = false;
    box.addEventListener("change", () => localStorage.setItem(KEY, box.checked ? "on" : "off"));
  }

  // Select all N matching: the bulk action then names the filter, not ids.
  const bar = document.getElementById("bulk");
  let matching = false;
  function updateBar() {
    if (!bar) return;
    const boxes = document.querySelectorAll('input[name="ids"]');
    const checked = document.querySelectorAll('input[name="ids"]:checked').length;
    const total = Number(bar.dataset.total || 0);
    if (checked < boxes.length || checked === 0) matching = false;
    const more = document.getElementById("select-matching"), clear = document.getElementById("select-clear");
    more.hidden = matching || checked === 0 || checked < boxes.length || total <= boxes.length || bar.dataset.totalExact !== "true";
    clear.hidden = !matching;
    bar.querySelector(".bulk-count").textContent = matching ? total.toLocaleString("en-US") : String(checked);
    bar.dataset.matching = String(matching);
  }
  if (bar) {
    document.addEventListener("change", ev => {
      if (ev.target.matches && ev.target.matches('input[name="ids"], [data-select-all]')) updateBar();
    });
    document.getElementById("select-matching").addEventListener("click", () => {
      matching = true;
      updateBar();
      document.getElementById("select-clear").focus();
    });
    document.getElementById("select-clear").addEventListener("click", () => {
      matching = false;
      document.querySelectorAll('input[name="ids"], [data-select-all]').forEach(b => { b.checked = false; });
      updateBar();
      bar.hidden = true;
    });
  }

  TC.hooks.agentBulk = btn => {
    const body = {action: btn.dataset.bulkAction};
    if (matching) {
      const d = bar.dataset;
      body.filter = {search: d.filterSearch, status: d.filterStatus, configId: d.filterConfigId,
        reportingRuleId: d.filterReportingRuleId, labelId: d.filterLabelId, configState: d.filterConfigState,
        configVersion: Number(d.filterConfigVersion) || 0};
    } else {
      body.ids = TC.hooks.selectedIds().ids;
    }
    if (body.action === "assign-rule") body.reportingRuleId = document.getElementById("bulk-rule").value;
    if (body.action.endsWith("-label")) body.labelId = document.getElementById("bulk-label").value;
    return body;
  };

  // replaceUnlessFocused swaps cur's content for fresh's unless the focus
  // is inside it.
  function replaceUnlessFocused(cur, fresh) {
    if (!cur || !fresh || cur.contains(document.activeElement)) return;
    // An opened <details> (a chart's values) stays open.
    for (const d of cur.querySelectorAll("details[id][open]")) {
      const f = fresh.querySelector("#" + CSS.escape(d.id));
      if (f) f.open = true;
    }
    if (cur.innerHTML !== fresh.innerHTML) cur.innerHTML = fresh.innerHTML;
    for (const a of fresh.getAttributeNames()) {
      if (cur.getAttribute(a) !== fresh.getAttribute(a)) cur.setAttribute(a, fresh.getAttribute(a));
    }
  }

  // updateRows reconciles the table body with a fresh one by agent id:
  // a kept row keeps its element (and its checkbox), its other cells take
  // the fresh content; rows gone are removed, new rows inserted in order.
  function updateRows(cur, fresh) {
    const byID = new Map();
    for (const tr of cur.rows) byID.set(tr.dataset.id, tr);
    const want = [];
    for (const tr of Array.from(fresh.rows)) {
      const old = byID.get(tr.dataset.id);
      if (!old) { want.push(tr); continue; }
      byID.delete(tr.dataset.id);
      Array.from(tr.cells).forEach((td, i) => {
        const c = old.cells[i];
        if (!c) return;
        if (td.classList.contains("sel")) return; // the checkbox stays as the user left it
        replaceUnlessFocused(c, td);
      });
      want.push(old);
    }
    for (const tr of byID.values()) {
      if (!tr.contains(document.activeElement)) tr.remove();
    }
    want.forEach((tr, i) => {
      if (cur.rows[i] !== tr) cur.insertBefore(tr, cur.rows[i] || null);
    });
  }

  let last = Date.now();
  const ago = document.getElementById("updated-ago");
  function tick() {
    if (!ago) return;
    const s = Math.round((Date.now() - last) / 1000);
    ago.textContent = "Updated " + (s < 1 ? "just now" : s + " s ago");
  }

  async function refresh() {
    if ((box && !box.checked) || document.hidden || document.querySelector("dialog[open]")) return;
    const focused = document.activeElement;
    if (focused && focused.tagName === "SELECT" && focused.closest("#agents-table, #agent-live")) return;
    let res;
    try {
      res = await fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}});
    } catch (e) { return; }
    if (!res.ok || res.redirected) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    if (document.querySelector("dialog[open]")) return; // opened while fetching
    const x = window.scrollX, y = window.scrollY;
    if (agentPage) {
      document.querySelectorAll("[data-live]").forEach(el => replaceUnlessFocused(el, doc.getElementById(el.id)));
    } else {
      replaceUnlessFocused(document.getElementById("agents-live"), doc.getElementById("agents-live"));
      for (const chip of document.querySelectorAll("#agent-chips [data-chip]")) {
        const f = doc.querySelector('#agent-chips [data-chip="' + CSS.escape(chip.dataset.chip) + '"] .n');
        if (f) chip.querySelector(".n").textContent = f.textContent;
      }
      const cur = document.getElementById("agent-rows"), fresh = doc.getElementById("agent-rows");
      if (cur && fresh) {
        updateRows(cur, fresh);
        replaceUnlessFocused(document.querySelector("#agents-table .pager"), doc.querySelector("#agents-table .pager"));
      } else {
        replaceUnlessFocused(document.getElementById("agents-table"), doc.getElementById("agents-table"));
        const all = document.querySelector("#agents-table [data-select-all]");
        if (all && !all.dataset.wired) {
          all.dataset.wired = "true";
          // The change then bubbles to the bulk bar's handlers.
          all.addEventListener("change", () => {
            document.querySelectorAll('input[name="ids"]').forEach(b => { b.checked = all.checked; });
          });
        }
      }
      const fb = doc.getElementById("bulk");
      if (bar && fb) {
        bar.dataset.total = fb.dataset.total;
        bar.dataset.totalExact = fb.dataset.totalExact;
        const m = document.getElementById("select-matching"), fm = fb.querySelector("#select-matching");
        if (fm) m.textContent = fm.textContent;
        updateBar();
      }
    }
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({preventScroll: true});
    if (window.scrollX !== x || window.scrollY !== y) window.scrollTo(x, y);
    last = Date.now();
    tick();
    document.dispatchEvent(new Event("tc:refreshed")); // history.js writes the new charts' times in local time
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 5000);

  // The column chooser: a change shows or hides the column (or the compact
  // rows) at once and saves the choice for this person on the server
  // (PUT /api/account/preferences). Without JavaScript its form posts.
  const chooser = document.getElementById("columns-form");
  if (chooser) {
    const details = document.getElementById("columns"), note = document.getElementById("columns-status");
    chooser.addEventListener("change", async ev => {
      const t = ev.target, grid = document.getElementById("agents-grid");
      if (grid && t.name === "columns") grid.classList.toggle("hide-" + t.value, !t.checked);
      if (grid && t.name === "compactRows") grid.classList.toggle("compact", t.checked);
      const body = {
        agentColumns: Array.from(chooser.querySelectorAll('input[name="columns"]:checked')).map(b => b.value),
        compactRows: chooser.querySelector('input[name="compactRows"]').checked,
      };
      note.textContent = "Saving…";
      const res = await TC.api("PUT", "/api/account/preferences", body);
      note.textContent = res.ok ? "Saved for your account" : ((res.body && res.body.message) || "Not saved");
    });
    chooser.addEventListener("submit", ev => ev.preventDefault()); // each change is saved already
    // Esc closes the chooser and gives the focus back to its button; so
    // does a click elsewhere.
    details.addEventListener("keydown", ev => {
      if (ev.key === "Escape" && details.open) {
        ev.preventDefault();
        details.open = false;
        details.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", ev => {
      if (details.open && !details.contains(ev.target)) details.open = false;
    });
  }
})();

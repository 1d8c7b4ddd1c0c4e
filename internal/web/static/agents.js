// Agents page: refresh the summary, chart and table every few seconds by
// fetching this same URL (so filters, sort and page stay as they are) and
// swapping the live parts, keeping the selection.
"use strict";

(() => {
  const box = document.getElementById("auto-refresh");
  if (!box) return;
  const KEY = "tc.agents.autoRefresh";
  if (localStorage.getItem(KEY) === "off") box.checked = false;
  box.addEventListener("change", () => localStorage.setItem(KEY, box.checked ? "on" : "off"));

  TC.hooks.agentBulk = btn => {
    const body = {action: btn.dataset.bulkAction, ids: TC.hooks.selectedIds().ids};
    if (body.action === "assign-rule") body.reportingRuleId = document.getElementById("bulk-rule").value;
    if (body.action.endsWith("-label")) body.labelId = document.getElementById("bulk-label").value;
    return body;
  };

  async function refresh() {
    if (!box.checked || document.hidden || document.querySelector("dialog[open]")) return;
    if (document.activeElement && document.activeElement.closest("#agents-table") && document.activeElement.tagName === "SELECT") return;
    let res;
    try {
      res = await fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}});
    } catch (e) { return; }
    if (!res.ok || res.redirected) return;
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const selected = new Set(Array.from(document.querySelectorAll('input[name="ids"]:checked')).map(b => b.value));
    const allBox = document.querySelector("[data-select-all]");
    const allChecked = allBox && allBox.checked;
    for (const id of ["agents-live", "agents-table"]) {
      const fresh = doc.getElementById(id), cur = document.getElementById(id);
      if (fresh && cur) cur.replaceWith(fresh);
    }
    document.querySelectorAll('input[name="ids"]').forEach(b => { b.checked = selected.has(b.value); });
    const newAll = document.querySelector("[data-select-all]");
    if (newAll) {
      newAll.checked = allChecked;
      newAll.addEventListener("change", () => {
        document.querySelectorAll('input[name="ids"]').forEach(b => { b.checked = newAll.checked; });
        newAll.dispatchEvent(new Event("change", {bubbles: true}));
      });
    }
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }
  setInterval(refresh, 5000);
})();

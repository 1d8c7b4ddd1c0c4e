// History charts (the agents page's fleet health, the agent page's
// reporting history): the server draws them and lists every value in a
// table, in UTC. This adds what needs a browser: times in the browser's
// own zone, named under the chart, and a tooltip with the values of the
// point nearest the pointer, or of the point chosen with the arrow keys
// once the chart has the focus. Everything is delegated from the document,
// so charts that the pages' refresh replaces keep working.
"use strict";

(() => {
  const zone = (() => {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time"; } catch (e) { return "local time"; }
  })();
  const formats = {
    hm: {hour: "2-digit", minute: "2-digit"},
    md: {month: "short", day: "numeric"},
    full: {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit"},
  };
  function local(iso, kind) {
    const d = new Date(iso);
    if (isNaN(d)) return null;
    return d.toLocaleString(undefined, formats[kind] || formats.full);
  }

  // localize rewrites the UTC times under root in the browser's zone.
  function localize(root) {
    root.querySelectorAll("svg[data-chart] text[data-at]").forEach(el => {
      const s = local(el.dataset.at, el.dataset.fmt);
      if (s) el.textContent = s;
    });
    root.querySelectorAll("time[data-local]").forEach(el => {
      const s = local(el.getAttribute("datetime"), "full");
      if (s) el.textContent = s;
    });
    root.querySelectorAll("[data-zone]").forEach(el => { el.textContent = zone; });
    root.querySelectorAll("svg[data-chart]").forEach(svg => {
      if (!svg.hasAttribute("tabindex")) svg.setAttribute("tabindex", "0");
    });
  }

  function rowsOf(svg) {
    const table = document.getElementById(svg.dataset.chart);
    return table ? Array.from(table.tBodies[0].rows) : [];
  }

  // show puts the values of row i of svg's table in the tooltip, and the
  // hover line on its point.
  function show(svg, i) {
    const rows = rowsOf(svg);
    const fig = svg.closest("figure");
    const tip = fig && fig.querySelector(".chart-tip");
    if (!rows.length || !tip) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    svg.dataset.point = String(i);
    const row = rows[i];
    const heads = Array.from(row.closest("table").tHead.rows[0].cells).map(c => c.textContent);
    const cells = Array.from(row.cells);
    tip.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = cells[0].textContent;
    tip.append(title);
    const dl = document.createElement("dl");
    cells.slice(1).forEach((c, k) => {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = heads[k + 1];
      dd.textContent = c.textContent;
      dl.append(dt, dd);
    });
    tip.append(dl);
    tip.hidden = false;
    const x = Number(row.dataset.x);
    const line = svg.querySelector("line.hover");
    if (line) {
      line.setAttribute("x1", x);
      line.setAttribute("x2", x);
      line.setAttribute("visibility", "visible");
    }
    // Beside the point, inside the figure (CSSOM, which the CSP allows).
    const vb = svg.viewBox.baseVal, box = svg.getBoundingClientRect(), fbox = fig.getBoundingClientRect();
    const px = box.left - fbox.left + x * box.width / vb.width;
    const left = px + 12 + tip.offsetWidth > fbox.width ? px - 12 - tip.offsetWidth : px + 12;
    tip.style.left = Math.max(0, left) + "px";
    tip.style.top = (box.top - fbox.top + 4) + "px";
  }

  function hide(svg) {
    const fig = svg.closest("figure");
    const tip = fig && fig.querySelector(".chart-tip");
    if (tip) tip.hidden = true;
    const line = svg.querySelector("line.hover");
    if (line) line.setAttribute("visibility", "hidden");
  }

  // nearest is the row whose point is closest to the pointer's x.
  function nearest(svg, clientX) {
    const rows = rowsOf(svg);
    if (!rows.length) return -1;
    const box = svg.getBoundingClientRect();
    const x = (clientX - box.left) * svg.viewBox.baseVal.width / box.width;
    let best = 0, bestD = Infinity;
    rows.forEach((r, i) => {
      const d = Math.abs(Number(r.dataset.x) - x);
      if (d < bestD) { best = i; bestD = d; }
    });
    return best;
  }

  const chartOf = el => el && el.closest ? el.closest("svg[data-chart]") : null;

  document.addEventListener("mousemove", ev => {
    const svg = chartOf(ev.target);
    if (!svg) return;
    const i = nearest(svg, ev.clientX);
    if (i >= 0 && String(i) !== svg.dataset.point) show(svg, i);
  });
  document.addEventListener("mouseout", ev => {
    const svg = chartOf(ev.target);
    if (svg && !svg.contains(ev.relatedTarget) && document.activeElement !== svg) {
      delete svg.dataset.point;
      hide(svg);
    }
  });
  document.addEventListener("focusin", ev => {
    const svg = chartOf(ev.target);
    if (svg) show(svg, svg.dataset.point ? Number(svg.dataset.point) : rowsOf(svg).length - 1);
  });
  document.addEventListener("focusout", ev => {
    const svg = chartOf(ev.target);
    if (svg) { delete svg.dataset.point; hide(svg); }
  });
  document.addEventListener("keydown", ev => {
    const svg = chartOf(ev.target);
    if (!svg) return;
    const n = rowsOf(svg).length, i = Number(svg.dataset.point || n - 1);
    const step = {ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10}[ev.key];
    let to = null;
    if (step) to = i + step;
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = n - 1;
    else if (ev.key === "Escape") { hide(svg); return; }
    if (to === null) return;
    ev.preventDefault();
    show(svg, to);
  });

  localize(document);
  document.body.dataset.localTime = zone;
  // The agents and agent pages' refresh replaces parts of the page.
  document.addEventListener("tc:refreshed", () => localize(document));
})();

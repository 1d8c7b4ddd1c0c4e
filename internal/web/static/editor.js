// Configuration editor: a plain textarea over a highlighted copy of its text
// (the overlay technique), line numbers, live validation against the API,
// the plugin library, and the "Use this configuration" command builder.
"use strict";

(() => {
  const root = document.querySelector("[data-editor]");
  if (!root) return;
  const ta = root.querySelector("textarea");
  const code = root.querySelector("pre code");
  const pre = root.querySelector("pre");
  const gutter = root.querySelector(".gutter");
  const problemsEl = document.getElementById("problems");
  const validity = document.getElementById("validity");
  let marks = {}; // line → "err" | "warn"

  const esc = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  function highlightLine(line) {
    const t = line.trimStart();
    if (t.startsWith("#")) return '<span class="hl-comment">' + esc(line) + "</span>";
    let h = esc(line);
    if (/^\s*\[/.test(line)) h = h.replace(/^(\s*\[\[?[^\]]*\]\]?)/, '<span class="hl-table">$1</span>');
    return h
      .replace(/&amp;\{[^}]+\}/g, m => '<span class="hl-param">' + m + "</span>")
      .replace(/\$\{[^}]+\}/g, m => '<span class="hl-env">' + m + "</span>")
      .replace(/@\{[^:}]+:[^}]+\}/g, m => '<span class="hl-secret">' + m + "</span>")
      .replace(/::\{[^}]+\}/g, m => '<span class="hl-const">' + m + "</span>");
  }

  function render() {
    const lines = ta.value.split("\n");
    code.innerHTML = lines.map((l, i) => {
      const h = highlightLine(l);
      return marks[i + 1] === "err" ? '<span class="hl-line-err">' + (h || " ") + "</span>" : h;
    }).join("\n") + "\n";
    let g = "";
    for (let i = 1; i <= lines.length; i++) {
      const m = marks[i];
      g += "<div" + (m ? ' class="' + m + '" title="' + (m === "err" ? "error" : "warning") + '"' : "") + ">" + i + "</div>";
    }
    gutter.innerHTML = g;
    sync();
  }

  function sync() {
    pre.scrollTop = ta.scrollTop;
    pre.scrollLeft = ta.scrollLeft;
    gutter.scrollTop = ta.scrollTop;
  }

  function goToLine(n) {
    const lines = ta.value.split("\n");
    let pos = 0;
    for (let i = 0; i < n - 1 && i < lines.length; i++) pos += lines[i].length + 1;
    ta.focus();
    ta.setSelectionRange(pos, pos + (lines[n - 1] || "").length);
    ta.scrollTop = Math.max(0, (n - 5) * 20);
    sync();
  }

  function showProblems(res) {
    marks = {};
    problemsEl.innerHTML = "";
    const add = (p, cls) => {
      if (p.line) marks[p.line] = marks[p.line] === "err" ? "err" : (cls === "error" ? "err" : "warn");
      const li = document.createElement("li");
      li.className = cls;
      if (p.line) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "link";
        b.textContent = "Line " + p.line + (p.column ? ", column " + p.column : "");
        b.addEventListener("click", () => goToLine(p.line));
        li.append(b, ": " + p.message);
      } else li.textContent = p.message;
      li.dataset.line = p.line || "";
      problemsEl.appendChild(li);
    };
    (res.errors || []).forEach(p => add(p, "error"));
    (res.warnings || []).forEach(p => add(p, "warning"));
    if (validity) {
      validity.textContent = res.valid ? ((res.warnings || []).length ? "Valid, with warnings" : "Valid") : "Has errors";
      validity.className = "badge " + (res.valid ? "ok" : "revoked");
    }
    render();
  }

  let timer = null, seq = 0;
  async function validate() {
    const my = ++seq;
    const res = await TC.api("POST", ta.dataset.validate, {toml: ta.value});
    if (my !== seq || !res.ok) return;
    showProblems(res.body);
  }

  ta.addEventListener("input", () => {
    render();
    clearTimeout(timer);
    timer = setTimeout(validate, 350);
  });
  ta.addEventListener("scroll", sync);

  // Tab indents inside the editor; Esc releases Tab for focus navigation.
  let tabReleased = false;
  ta.addEventListener("keydown", ev => {
    if (ev.key === "Escape") { tabReleased = true; return; }
    if (ev.key === "Tab" && !tabReleased && !ta.readOnly && !ev.shiftKey) {
      ev.preventDefault();
      insertAt("  ");
      return;
    }
    if (ev.key !== "Tab") tabReleased = false;
  });
  ta.addEventListener("blur", () => { tabReleased = false; });

  function insertAt(text) {
    const s = ta.selectionStart, e = ta.selectionEnd;
    ta.setRangeText(text, s, e, "end");
    ta.dispatchEvent(new Event("input"));
  }

  render();
  validate();

  // Plugin library.
  const list = document.getElementById("plugin-list");
  const q = document.getElementById("plugin-q");
  const typ = document.getElementById("plugin-type");
  let ptimer = null;
  async function searchPlugins() {
    const params = new URLSearchParams();
    if (q.value.trim()) params.set("search", q.value.trim());
    if (typ.value) params.set("type", typ.value);
    const res = await TC.api("GET", "/api/plugins?" + params.toString());
    list.innerHTML = "";
    if (!res.ok) { list.innerHTML = '<li class="muted">The plugin catalogue is not available.</li>'; return; }
    const items = Array.isArray(res.body) ? res.body : (res.body.items || []);
    if (!items.length) { list.innerHTML = '<li class="muted">No plugin matches.</li>'; return; }
    for (const p of items.slice(0, 60)) {
      const li = document.createElement("li");
      const title = document.createElement("strong");
      title.textContent = p.type + "." + p.name;
      const desc = document.createElement("span");
      desc.className = "muted";
      desc.textContent = p.description || p.title || "";
      li.append(title, desc);
      if (!ta.readOnly) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "secondary small";
        b.textContent = "Insert";
        b.setAttribute("aria-label", "Insert " + p.type + "." + p.name);
        b.addEventListener("click", async () => {
          const r = await TC.api("GET", "/api/plugins/" + encodeURIComponent(p.type) + "/" + encodeURIComponent(p.name));
          if (!r.ok) { TC.toast((r.body && r.body.message) || "Could not load the plugin", true); return; }
          const sample = (r.body.sample || "[[" + p.type + "." + p.name + "]]\n").replace(/\s*$/, "\n");
          ta.focus();
          ta.setSelectionRange(ta.value.length, ta.value.length);
          insertAt((ta.value.endsWith("\n") || !ta.value ? "" : "\n") + "\n" + sample);
          TC.toast("Inserted " + p.type + "." + p.name);
        });
        const wrap = document.createElement("div");
        wrap.className = "insert";
        wrap.appendChild(b);
        li.appendChild(wrap);
      }
      list.appendChild(li);
    }
  }
  if (q) {
    q.addEventListener("input", () => { clearTimeout(ptimer); ptimer = setTimeout(searchPlugins, 250); });
    typ.addEventListener("change", searchPlugins);
    document.getElementById("plugin-search").addEventListener("submit", ev => { ev.preventDefault(); searchPlugins(); });
  }

  // "Use this configuration": the agent command line.
  const dlg = document.getElementById("use-dialog");
  if (!dlg) return;
  let os = "unix";
  const out = document.getElementById("use-command");
  document.getElementById("use-form").addEventListener("submit", ev => ev.preventDefault());
  const missing = document.getElementById("use-missing");

  function configURL(forDownload) {
    const base = (dlg.dataset.apiBase || location.origin).replace(/\/$/, "");
    const params = new URLSearchParams();
    dlg.querySelectorAll("[data-param]").forEach(i => {
      if (i.value !== "") params.set(i.dataset.param, i.value);
    });
    const qs = params.toString();
    return (forDownload ? "" : base) + "/api/configs/" + encodeURIComponent(dlg.dataset.configId) + "/toml" + (qs ? "?" + qs : "");
  }

  function build() {
    const tokenVar = dlg.querySelector('input[name="tokenVar"]:checked').value;
    const token = document.getElementById("use-token").value.trim() || "<your token>";
    const missingNames = [];
    dlg.querySelectorAll("[data-param][required]").forEach(i => { if (!i.value) missingNames.push(i.dataset.param); });
    missing.textContent = missingNames.length ? "Required parameters without a value: " + missingNames.join(", ") : "";
    const envs = [[tokenVar, token]];
    dlg.querySelectorAll("[data-env]").forEach(i => { if (i.value && i.dataset.env !== tokenVar) envs.push([i.dataset.env, i.value]); });
    const args = ["--config", configURL(false)];
    if (document.getElementById("use-watch").checked) args.push("--config-url-watch-interval", document.getElementById("use-interval").value.trim() || "30s");
    document.getElementById("use-select").value.split(/[\n,]/).map(s => s.trim()).filter(Boolean).forEach(s => args.push("--select", s));
    let text;
    if (os === "unix") {
      const sq = s => "'" + s.replace(/'/g, "'\\''") + "'";
      text = envs.map(([k, v]) => "export " + k + "=" + sq(v)).join("\n") + "\ntelegraf";
      for (let i = 0; i < args.length; i += 2) text += " \\\n  " + args[i] + " " + sq(args[i + 1]);
    } else {
      const ps = s => "'" + s.replace(/'/g, "''") + "'";
      text = envs.map(([k, v]) => "$env:" + k + " = " + ps(v)).join("\n") + "\n& telegraf.exe";
      for (let i = 0; i < args.length; i += 2) text += " `\n  " + args[i] + " " + ps(args[i + 1]);
    }
    out.textContent = text;
  }

  dlg.addEventListener("input", build);
  dlg.addEventListener("change", build);
  dlg.addEventListener("open", build);
  dlg.querySelectorAll("[data-os]").forEach(a => a.addEventListener("click", ev => {
    ev.preventDefault();
    os = a.dataset.os;
    dlg.querySelectorAll("[data-os]").forEach(x => x.removeAttribute("aria-current"));
    a.setAttribute("aria-current", "page");
    build();
  }));
  document.getElementById("use-download").addEventListener("click", async () => {
    let res;
    try {
      res = await fetch(configURL(true), {headers: {"Accept": "application/octet-stream"}, credentials: "same-origin"});
    } catch (e) { TC.toast("The server cannot be reached", true); return; }
    if (!res.ok) {
      let msg = "Download failed (" + res.status + ")";
      try { msg = (await res.json()).message || msg; } catch (e) { /* not JSON */ }
      TC.toast(msg, true);
      return;
    }
    const blob = await res.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = (dlg.dataset.configName || "config").replace(/[^\w.-]+/g, "_") + ".toml";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  build();
})();

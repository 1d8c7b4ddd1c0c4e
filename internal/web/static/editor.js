// Configuration editor: a plain textarea over a highlighted copy of its text
// (the overlay technique), line numbers, live validation against the API,
// saving (button or Ctrl+S) with a guard against leaving unsaved changes,
// find, full screen, duplicate, the plugin library, and the "Use this
// configuration" command builder.
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

  // hit is the find match shown in the overlay: {line, from, to} (0-based
  // line, columns within it), or null.
  let hit = null;

  function render() {
    const lines = ta.value.split("\n");
    code.innerHTML = lines.map((l, i) => {
      let h;
      if (hit && hit.line === i && hit.to <= l.length) {
        h = highlightLine(l.slice(0, hit.from)) + '<mark class="find-hit">' + esc(l.slice(hit.from, hit.to)) + "</mark>" + highlightLine(l.slice(hit.to));
      } else h = highlightLine(l);
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
    reveal(pos);
  }

  // lineOf is the 0-based line of character offset pos.
  const lineOf = pos => ta.value.slice(0, pos).split("\n").length - 1;

  // reveal scrolls the editor so that offset pos is in view, a few lines
  // below the top when it was out of view (lines are 20px high).
  function reveal(pos) {
    const top = lineOf(pos) * 20;
    if (top < ta.scrollTop || top + 40 > ta.scrollTop + ta.clientHeight) ta.scrollTop = Math.max(0, top - 80);
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
      const warned = (res.warnings || []).length > 0;
      validity.textContent = res.valid ? (warned ? "Valid, with warnings" : "Valid") : "Has errors";
      validity.className = "badge " + (res.valid ? (warned ? "warning" : "ok") : "revoked");
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
    hit = null;
    render();
    markDirty();
    clearTimeout(timer);
    timer = setTimeout(validate, 350);
  });
  ta.addEventListener("scroll", sync);

  // Tab indents inside the editor; Esc releases Tab for focus navigation.
  let tabReleased = false;
  ta.addEventListener("keydown", ev => {
    if (ev.key === "Escape") {
      tabReleased = true;
      if (form.classList.contains("editor-full")) { ev.preventDefault(); fullScreen(false); }
      return;
    }
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

  // The caret as last seen in the editor, so that a button elsewhere on the
  // page (the plugin library) inserts where the visitor was typing.
  let caret = {start: ta.selectionStart, end: ta.selectionEnd, top: ta.scrollTop};
  const keepCaret = () => { caret = {start: ta.selectionStart, end: ta.selectionEnd, top: ta.scrollTop}; };
  ["keyup", "mouseup", "select", "blur", "input"].forEach(t => ta.addEventListener(t, keepCaret));

  // insertBlock puts a block of lines at the caret: at the start of the next
  // line when the caret is mid-line, then shows and selects its first line.
  function insertBlock(text) {
    const v = ta.value;
    let at = Math.min(caret.end, v.length);
    if (at > 0 && v[at - 1] !== "\n") {
      const nl = v.indexOf("\n", at);
      at = nl === -1 ? v.length : nl + 1;
    }
    const before = v.slice(0, at), after = v.slice(at);
    let pre = before && !before.endsWith("\n") ? "\n" : "";
    if ((before + pre).trim() && !/\n[ \t]*\n$/.test(before + pre)) pre += "\n";
    let block = text.replace(/\s*$/, "\n");
    if (after.trim() && !/^[ \t]*\n/.test(after)) block += "\n";
    ta.focus();
    ta.setRangeText(pre + block, at, at, "end");
    const first = at + pre.length;
    ta.setSelectionRange(first, first + block.indexOf("\n"));
    ta.dispatchEvent(new Event("input"));
    reveal(first);
  }

  // Saving. The form posts itself (not through app.js) so that a failed
  // save leaves the caret and the scroll where they were and shows the
  // error once, and a successful one keeps the page instead of reloading.
  const form = document.getElementById("editor-form");
  const dirtyBadge = document.getElementById("dirty");
  let saved = ta.value, leaving = false;
  const dirty = () => !ta.readOnly && ta.value !== saved;
  function markDirty() { if (dirtyBadge) dirtyBadge.hidden = !dirty(); }

  async function save() {
    if (!form.dataset.save) return;
    const sel = {start: ta.selectionStart, end: ta.selectionEnd, top: ta.scrollTop, left: ta.scrollLeft, focused: document.activeElement === ta};
    TC.clearErrors(form);
    const note = form.querySelector('[name="changeNote"]');
    const body = {toml: ta.value};
    if (note && note.value.trim()) body.changeNote = note.value.trim();
    const button = document.getElementById("save-toml");
    if (button) button.disabled = true;
    const res = await TC.api("PATCH", form.dataset.save, body);
    if (button) button.disabled = false;
    const restore = () => {
      if (sel.focused) ta.focus();
      ta.setSelectionRange(sel.start, sel.end);
      ta.scrollTop = sel.top;
      ta.scrollLeft = sel.left;
      sync();
    };
    if (!res.ok) {
      const fe = form.querySelector(".form-error");
      if (res.body && res.body.field === "toml") {
        // The problems list under the editor shows the error at its line.
        await validate();
        if (fe) { fe.textContent = "Not saved: the TOML has errors, listed under the editor."; fe.hidden = false; }
      } else if (fe) { fe.textContent = "Not saved: " + ((res.body && res.body.message) || "request failed (" + res.status + ")"); fe.hidden = false; }
      restore();
      return;
    }
    saved = body.toml;
    markDirty();
    if (note) note.value = "";
    const ver = document.getElementById("toml-version");
    if (ver && res.body && res.body.currentVersion) ver.textContent = "· version " + res.body.currentVersion + ", saved just now";
    TC.toast(res.body && res.body.currentVersion ? "Saved version " + res.body.currentVersion : "Saved");
    restore();
    validate();
  }

  if (form) {
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      // Enter in the find box means "next match", never "save".
      if (document.activeElement && document.activeElement.closest("#find-bar")) return;
      save();
    });
    document.addEventListener("keydown", ev => {
      if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key === "s" || ev.key === "S")) {
        if (document.querySelector("dialog[open]")) return;
        ev.preventDefault();
        if (form.dataset.save) save();
      }
    });
    // Unsaved changes: the browser asks before the tab closes or reloads;
    // links within the app ask with the confirmation dialog.
    window.addEventListener("beforeunload", ev => {
      if (dirty() && !leaving) { ev.preventDefault(); ev.returnValue = ""; }
    });
    document.addEventListener("click", async ev => {
      const a = ev.target.closest("a[href]");
      if (!a || !dirty() || leaving || ev.defaultPrevented) return;
      if (a.target || a.hasAttribute("download") || a.closest("[data-os]") || a.getAttribute("href").startsWith("#")) return;
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
      ev.preventDefault();
      if (await TC.confirm("Your changes to the TOML are not saved. Leave this page and lose them?", "Leave without saving")) {
        leaving = true;
        location.href = a.href;
      }
    }, true);
  }

  // Full screen: the editor card covers the window (a focus mode); Esc or
  // the button again leaves it.
  const fsButton = document.getElementById("fullscreen");
  function fullScreen(on) {
    form.classList.toggle("editor-full", on);
    document.body.classList.toggle("editor-full-open", on);
    if (fsButton) {
      fsButton.setAttribute("aria-pressed", on ? "true" : "false");
      fsButton.textContent = on ? "Exit full screen" : "Full screen";
    }
    ta.focus();
    sync();
  }
  if (fsButton) fsButton.addEventListener("click", () => fullScreen(!form.classList.contains("editor-full")));
  document.addEventListener("keydown", ev => {
    if (ev.key === "Escape" && form && form.classList.contains("editor-full") && ev.target !== ta && !document.querySelector("dialog[open]")) {
      if (ev.target.closest && ev.target.closest("#find-bar")) return;
      fullScreen(false);
    }
  });

  // The editor's height follows its resize handle and is remembered.
  const editorBox = root;
  try {
    const h = parseInt(localStorage.getItem("tc.editorHeight"), 10);
    if (h >= 200) editorBox.style.height = h + "px";
  } catch (e) { /* storage disabled */ }
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      sync();
      if (form.classList.contains("editor-full")) return;
      try { localStorage.setItem("tc.editorHeight", String(Math.round(editorBox.getBoundingClientRect().height))); } catch (e) { /* storage disabled */ }
    }).observe(editorBox);
  }

  // Find: Ctrl+F (Cmd+F) in the editor or the Find button opens the bar;
  // Enter selects the next match (Shift+Enter the previous), Esc closes.
  const findBar = document.getElementById("find-bar");
  const findQ = document.getElementById("find-q");
  const findCount = document.getElementById("find-count");
  function openFind() {
    findBar.hidden = false;
    const selected = ta.value.slice(ta.selectionStart, ta.selectionEnd);
    if (selected && !selected.includes("\n")) findQ.value = selected;
    findQ.focus();
    findQ.select();
  }
  function closeFind() {
    findBar.hidden = true;
    hit = null;
    render();
    ta.focus();
  }
  function findNext(back) {
    const needle = findQ.value.toLowerCase();
    if (!needle) { findCount.textContent = ""; return; }
    const hay = ta.value.toLowerCase();
    const all = [];
    for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) all.push(i);
    if (!all.length) { findCount.textContent = "No match"; hit = null; render(); return; }
    let k;
    if (back) {
      k = all.length - 1;
      for (let j = all.length - 1; j >= 0; j--) if (all[j] < ta.selectionStart) { k = j; break; }
    } else {
      const from = ta.selectionEnd > ta.selectionStart ? ta.selectionStart + 1 : ta.selectionStart;
      k = all.findIndex(i => i >= from);
      if (k === -1) k = 0;
    }
    const pos = all[k];
    ta.setSelectionRange(pos, pos + needle.length);
    keepCaret();
    const line = lineOf(pos);
    const lineStart = ta.value.lastIndexOf("\n", pos - 1) + 1;
    hit = {line, from: pos - lineStart, to: pos - lineStart + needle.length};
    findCount.textContent = (k + 1) + " of " + all.length;
    render();
    reveal(pos);
  }
  if (findBar) {
    document.getElementById("find-button").addEventListener("click", openFind);
    document.getElementById("find-next").addEventListener("click", () => findNext(false));
    document.getElementById("find-close").addEventListener("click", closeFind);
    findQ.addEventListener("keydown", ev => {
      if (ev.key === "Enter") { ev.preventDefault(); findNext(ev.shiftKey); }
      else if (ev.key === "Escape") { ev.preventDefault(); closeFind(); }
    });
    findQ.addEventListener("input", () => { findCount.textContent = ""; });
    form.addEventListener("keydown", ev => {
      if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key === "f" || ev.key === "F")) { ev.preventDefault(); openFind(); }
    });
  }

  // Duplicate: a new configuration "<name> (copy)" with the saved TOML,
  // description and labels, through the same create API as the New page.
  const dup = document.getElementById("duplicate");
  if (dup) dup.addEventListener("click", async () => {
    if (dirty() && !(await TC.confirm("The copy gets the saved TOML, not your unsaved changes, which are lost when you leave. Duplicate anyway?", "Duplicate"))) return;
    const labelIds = dup.dataset.labelIds ? dup.dataset.labelIds.split(",") : [];
    dup.disabled = true;
    let res;
    for (let n = 1; n <= 20; n++) {
      const name = dup.dataset.name + (n === 1 ? " (copy)" : " (copy " + n + ")");
      res = await TC.api("POST", "/api/configs", {name, description: dup.dataset.description, toml: saved, labelIds});
      if (res.status !== 409) break;
    }
    dup.disabled = false;
    if (!res.ok) { TC.toast((res.body && res.body.message) || "Could not duplicate", true); return; }
    leaving = true;
    location.href = "/configs/" + encodeURIComponent(res.body.id);
  });

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
          insertBlock(sample);
          TC.toast("Inserted " + p.type + "." + p.name + " at line " + (lineOf(ta.selectionStart) + 1));
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

  // shellSub matches what the agent's shell fills in: $(command), ${VAR}
  // and $VAR. The command line puts the URL in double quotes, where these
  // still expand, so one command gives each host its own agent id.
  const shellSub = /\$\([^()"`]*\)|\$env:[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g;
  // enc percent-encodes a URL query part, also the characters that double
  // quotes would not protect (! and the ones encodeURIComponent keeps).
  const enc = s => encodeURIComponent(s).replace(/[!'()*]/g, c => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  function encodeValue(v, keepShell) {
    if (!keepShell) return enc(v);
    let out = "", last = 0;
    for (const m of v.matchAll(shellSub)) {
      out += enc(v.slice(last, m.index)) + m[0];
      last = m.index + m[0].length;
    }
    return out + enc(v.slice(last));
  }

  function configURL(forDownload) {
    const base = (dlg.dataset.apiBase || location.origin).replace(/\/$/, "");
    const qs = [];
    dlg.querySelectorAll("[data-param]").forEach(i => {
      if (i.value === "") return;
      // A download has no shell to fill $(hostname): leave such values out
      // rather than render them literally.
      if (forDownload && i.value.search(shellSub) !== -1) return;
      qs.push(enc(i.dataset.param) + "=" + encodeValue(i.value, !forDownload));
    });
    return (forDownload ? "" : base) + "/api/configs/" + encodeURIComponent(dlg.dataset.configId) + "/toml" + (qs.length ? "?" + qs.join("&") : "");
  }

  function build() {
    const tokenVar = dlg.querySelector('input[name="tokenVar"]:checked').value;
    const token = document.getElementById("use-token").value.trim() || "<your token>";
    const missingNames = [];
    dlg.querySelectorAll("[data-param][required]").forEach(i => { if (!i.value) missingNames.push(i.dataset.param); });
    missing.textContent = missingNames.length ? "Required parameters without a value: " + missingNames.join(", ") : "";
    const envs = [[tokenVar, token]];
    dlg.querySelectorAll("[data-env]").forEach(i => { if (i.value && i.dataset.env !== tokenVar) envs.push([i.dataset.env, i.value]); });
    const url = configURL(false);
    const args = [];
    if (document.getElementById("use-watch").checked) args.push("--config-url-watch-interval", document.getElementById("use-interval").value.trim() || "30s");
    document.getElementById("use-select").value.split(/[\n,]/).map(s => s.trim()).filter(Boolean).forEach(s => args.push("--select", s));
    let text;
    if (os === "unix") {
      const sq = s => "'" + s.replace(/'/g, "'\\''") + "'";
      // Only the shell substitutions kept in the URL may expand: any other
      // $, `, " or \ (say, in the API URL setting) is escaped.
      const dq = s => '"' + s.replace(/[\\"`]|\$(?![({A-Za-z_])/g, c => "\\" + c) + '"';
      text = envs.map(([k, v]) => "export " + k + "=" + sq(v)).join("\n") + "\ntelegraf \\\n  --config " + dq(url);
      for (let i = 0; i < args.length; i += 2) text += " \\\n  " + args[i] + " " + sq(args[i + 1]);
    } else {
      const ps = s => "'" + s.replace(/'/g, "''") + "'";
      const pdq = s => '"' + s.replace(/[`"]|\$(?![({A-Za-z_])/g, c => "`" + c) + '"';
      text = envs.map(([k, v]) => "$env:" + k + " = " + ps(v)).join("\n") + "\n& telegraf.exe `\n  --config " + pdq(url);
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

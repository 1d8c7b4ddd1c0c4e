// Telegraf Controller UI: the small amount of JavaScript every page shares.
// Forms and buttons marked with data-api send JSON to the API with fetch and
// show its field errors next to the fields; destructive actions confirm first.
"use strict";

const TC = (() => {
  // api calls the JSON API and returns {ok, status, body}.
  async function api(method, url, body) {
    const opts = {method, headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, opts);
    } catch (e) {
      return {ok: false, status: 0, body: {message: "The server cannot be reached. Check your connection and try again."}};
    }
    let data = null;
    const text = await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = {message: text}; }
    }
    if (res.status === 401 && !url.startsWith("/api/auth/")) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    }
    return {ok: res.ok, status: res.status, body: data};
  }

  // formValue reads one named control into its JSON value.
  function controlValue(el) {
    const t = el.dataset.type;
    if (el.type === "checkbox" && t !== "array") return el.checked;
    if (el.multiple) return Array.from(el.selectedOptions).map(o => o.value);
    if (t === "number") return el.value === "" ? null : Number(el.value);
    if (t === "lines") return el.value.split("\n").map(s => s.trim()).filter(Boolean);
    if (t === "csv") return el.value.split(",").map(s => s.trim()).filter(Boolean);
    if (t === "bool") return el.value === "true";
    return el.value;
  }

  // formBody reads a form into a JSON object; a dotted name ("scope.labelIds")
  // is a field of a nested object.
  function formBody(form) {
    const body = {};
    for (const el of form.elements) {
      if (!el.name || el.disabled || "skip" in el.dataset) continue;
      if (el.type === "radio" && !el.checked) continue;
      const path = el.name.split(".");
      let obj = body;
      for (const p of path.slice(0, -1)) obj = obj[p] = obj[p] || {};
      const key = path[path.length - 1];
      if (el.dataset.type === "array") {
        obj[key] = obj[key] || [];
        if (el.checked) obj[key].push(el.value);
        continue;
      }
      const v = controlValue(el);
      if ("omitEmpty" in el.dataset && (v === "" || v === null || (Array.isArray(v) && v.length === 0))) continue;
      obj[key] = v;
    }
    return body;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(p => { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(el => el.removeAttribute("aria-invalid"));
    const fe = form.querySelector(".form-error");
    if (fe) { fe.hidden = true; fe.textContent = ""; }
  }

  // showError puts an API error next to its field, or at the top of the form.
  function showError(form, body, status) {
    const msg = (body && body.message) || ("Request failed (" + status + ")");
    const field = body && body.field;
    const slot = field && form.querySelector('[data-error-for="' + CSS.escape(field) + '"]');
    if (slot) {
      slot.textContent = msg;
      const input = form.querySelector('[name="' + CSS.escape(field) + '"]');
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
      return;
    }
    const fe = form.querySelector(".form-error");
    if (fe) { fe.textContent = msg; fe.hidden = false; fe.focus && fe.setAttribute("tabindex", "-1"); }
    else toast(msg, true);
  }

  function fill(tmpl, obj) {
    return tmpl.replace(/\{(\w+)\}/g, (_, k) => obj && obj[k] !== undefined ? encodeURIComponent(obj[k]) : "");
  }

  // then performs what data-then asks after a success.
  function then(el, spec, data) {
    if (!spec) return;
    if (spec === "reload") { location.reload(); return; }
    if (spec.startsWith("go:")) { location.href = fill(spec.slice(3), data); return; }
    if (spec.startsWith("toast:")) { toast(spec.slice(6)); return; }
  }

  let confirmResolve = null;
  function confirmAction(text, okLabel) {
    const dlg = document.getElementById("confirm-dialog");
    if (!dlg || !dlg.showModal) return Promise.resolve(window.confirm(text));
    document.getElementById("confirm-text").textContent = text;
    document.getElementById("confirm-ok").textContent = okLabel || "Confirm";
    dlg.returnValue = "";
    dlg.showModal();
    return new Promise(resolve => { confirmResolve = resolve; });
  }

  function toast(msg, isError) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = msg;
    t.className = "show" + (isError ? " error" : "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ""; }, 4000);
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      // Clipboard access needs a secure origin; fall back to a selection copy.
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy"); } catch (e2) { /* ignore */ }
      ta.remove();
    }
    if (button) {
      // An icon button shows "Copied" beside its icon (app.css); a labelled
      // one says it instead of its label, for two seconds.
      const icon = button.classList.contains("copy-btn");
      const old = button.dataset.label || (button.dataset.label = button.textContent);
      if (!icon) button.textContent = "Copied";
      button.dataset.copied = "true";
      clearTimeout(button.copiedTimer);
      button.copiedTimer = setTimeout(() => {
        if (!icon) button.textContent = old;
        delete button.dataset.copied;
      }, 2000);
    }
    toast("Copied to the clipboard");
  }

  async function submitForm(form, ev) {
    ev.preventDefault();
    clearErrors(form);
    for (const el of form.querySelectorAll("[data-same-as]")) {
      const other = form.querySelector('[name="' + el.dataset.sameAs + '"]');
      if (other && other.value !== el.value) {
        showError(form, {field: el.name, message: "The passwords do not match."});
        return;
      }
    }
    if (form.dataset.confirm && !(await confirmAction(form.dataset.confirm, form.dataset.confirmOk))) {
      form.querySelectorAll("select[data-was]").forEach(s => { s.value = s.dataset.was; });
      return;
    }
    const body = formBody(form);
    const hook = form.dataset.body && TC.hooks[form.dataset.body];
    const finalBody = hook ? hook(body, form) : body;
    const submit = form.querySelector('[type="submit"]');
    if (submit) submit.disabled = true;
    const res = await api(form.dataset.method || "POST", fill(form.dataset.api, body), finalBody);
    if (submit) submit.disabled = false;
    if (!res.ok) { showError(form, res.body, res.status); return; }
    form.dispatchEvent(new CustomEvent("api:success", {detail: res.body, bubbles: true}));
    then(form, form.dataset.then, res.body);
  }

  async function clickAction(btn) {
    if (btn.dataset.confirm && !(await confirmAction(btn.dataset.confirm, btn.dataset.confirmOk))) return;
    let body;
    if (btn.dataset.body) body = JSON.parse(btn.dataset.body);
    if (btn.dataset.bodyFrom && TC.hooks[btn.dataset.bodyFrom]) body = TC.hooks[btn.dataset.bodyFrom](btn);
    btn.disabled = true;
    const res = await api(btn.dataset.method || "POST", btn.dataset.api, body);
    btn.disabled = false;
    if (!res.ok) { toast((res.body && res.body.message) || "Request failed", true); return; }
    btn.dispatchEvent(new CustomEvent("api:success", {detail: res.body, bubbles: true}));
    then(btn, btn.dataset.then !== undefined ? btn.dataset.then : "reload", res.body);
  }

  document.addEventListener("submit", ev => {
    const form = ev.target;
    if (form.matches("form[data-api]")) submitForm(form, ev);
  });

  document.addEventListener("click", ev => {
    const btn = ev.target.closest("button[data-api]");
    if (btn) {
      ev.preventDefault();
      clickAction(btn);
      return;
    }
    const cp = ev.target.closest("[data-copy]");
    if (cp) {
      ev.preventDefault();
      const src = cp.dataset.copy.startsWith("#") ? document.querySelector(cp.dataset.copy) : null;
      let text = src ? (src.value !== undefined && src.tagName !== "PRE" && src.tagName !== "CODE" ? src.value : src.textContent) : cp.dataset.copy;
      if ("absolute" in cp.dataset) text = new URL(text, location.href).href; // a path of this site, as a full URL
      copy(text, cp);
      return;
    }
    const open = ev.target.closest("[data-open]");
    if (open) {
      const dlg = document.getElementById(open.dataset.open);
      if (dlg) { ev.preventDefault(); dlg.showModal(); dlg.dispatchEvent(new Event("open")); }
      return;
    }
    const close = ev.target.closest("[data-close]");
    if (close) {
      const dlg = close.closest("dialog");
      if (dlg) { ev.preventDefault(); dlg.close(); }
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const dlg = document.getElementById("confirm-dialog");
    if (dlg) dlg.addEventListener("close", () => {
      if (confirmResolve) { confirmResolve(dlg.returnValue === "ok"); confirmResolve = null; }
    });
    // Select-all checkboxes: data-select-all="name" toggles every box of that name.
    document.querySelectorAll("[data-select-all]").forEach(all => {
      all.addEventListener("change", () => {
        document.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(b => { b.checked = all.checked; b.dispatchEvent(new Event("change", {bubbles: true})); });
      });
    });
    // Auto-submit filter forms, and selects marked data-autosubmit, on change.
    document.querySelectorAll("form.filters select, select[data-autosubmit]").forEach(s => s.addEventListener("change", () => s.form.requestSubmit()));
  });

  return {api, toast, copy, confirm: confirmAction, formBody, showError, clearErrors, hooks: {}};
})();

// File inputs with data-load-into read the chosen file into a textarea.
document.addEventListener("change", ev => {
  const input = ev.target;
  if (!input.matches || !input.matches("input[type=file][data-load-into]") || !input.files.length) return;
  const target = document.getElementById(input.dataset.loadInto);
  input.files[0].text().then(t => { target.value = t; target.dispatchEvent(new Event("input")); });
});

// Bulk selection: data-body-from="selectedIds" sends {ids: [...checked]}.
TC.hooks.selectedIds = () => ({ids: Array.from(document.querySelectorAll('input[name="ids"]:checked')).map(b => b.value)});
document.addEventListener("change", ev => {
  if (!ev.target.matches || !ev.target.matches('input[name="ids"], [data-select-all]')) return;
  const bar = document.getElementById("bulk");
  if (!bar) return;
  const n = document.querySelectorAll('input[name="ids"]:checked').length;
  bar.hidden = n === 0;
  const c = bar.querySelector(".bulk-count");
  if (c) c.textContent = n;
});

// Token creation: a preset, or the permissions ticked in the grid; the
// secret is shown once after creation.
TC.hooks.tokenCreate = (body, form) => {
  if (!body.preset) {
    delete body.preset;
    body.permissions = Array.from(form.querySelectorAll("[data-perm]:checked")).map(b => b.value);
  }
  return body;
};
TC.hooks.tokenBulk = btn => {
  const body = {action: btn.dataset.bulkAction, ids: TC.hooks.selectedIds().ids};
  if (body.action === "reassign") body.userId = document.getElementById("bulk-user").value;
  return body;
};
document.addEventListener("api:success", ev => {
  if (ev.target.id !== "token-form") return;
  ev.target.hidden = true;
  const box = document.getElementById("token-created");
  document.getElementById("token-secret").textContent = ev.detail.token;
  const denied = ev.detail.deniedPermissions || [];
  document.getElementById("token-denied").textContent = denied.length ? "Not granted (your role lacks them): " + denied.join(", ") : "";
  box.hidden = false;
  document.getElementById("copy-token").focus();
});
document.addEventListener("click", ev => {
  if (ev.target.closest("[data-reload]")) location.reload();
});
// Closing the token dialog after a creation (Esc included) shows the new row.
document.addEventListener("DOMContentLoaded", () => {
  const dlg = document.getElementById("token-new");
  if (dlg) dlg.addEventListener("close", () => { if (!document.getElementById("token-created").hidden) location.reload(); });
  // A role change that is cancelled puts the select back.
  document.querySelectorAll("select[data-autosubmit]").forEach(s => { s.dataset.was = s.value; });
});


// A form posted to the page itself (no data-api) with data-busy: its
// submit button says so while the server works (a channel's test waits for
// the receiver), and a second press sends nothing more.
document.addEventListener("submit", ev => {
  const form = ev.target;
  if (!form.matches || !form.matches("form[data-busy]:not([data-api])")) return;
  const btn = form.querySelector('[type="submit"]');
  if (!btn) return;
  if (btn.getAttribute("aria-disabled") === "true") { ev.preventDefault(); return; }
  btn.setAttribute("aria-disabled", "true");
  btn.textContent = form.dataset.busy;
});

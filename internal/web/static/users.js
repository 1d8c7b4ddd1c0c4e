// Users page: one-time links (invites, password resets) shown once with a
// copy button, and the ownership transfer that needs the username typed.
"use strict";

(() => {
  function showLink(title, link, external) {
    const dlg = document.getElementById("link-dialog");
    document.getElementById("link-title").textContent = title;
    document.getElementById("link-value").textContent = link;
    // An invite through LDAP or OIDC has no use for its link: the person
    // signs in there, and their email matches the invite.
    document.getElementById("link-warning").hidden = !!external;
    document.getElementById("link-secret").hidden = !!external;
    const ext = document.getElementById("link-external");
    ext.hidden = !external;
    ext.textContent = external || "";
    if (!dlg.open) dlg.showModal();
    (external ? dlg.querySelector("[data-reload]") : document.getElementById("copy-link")).focus();
  }
  document.addEventListener("api:success", ev => {
    if (ev.target.id === "invite-form") {
      ev.target.closest("dialog").close();
      const d = ev.detail;
      const via = d.authProvider === "ldap" ? "the directory (LDAP)" : "single sign-on";
      const external = d.authProvider && d.authProvider !== "local"
        ? d.username + " signs in with " + via + " on the sign-in page, as " + d.email + ". No link is needed." : "";
      showLink((external ? "Invitation for " : "Invitation link for ") + d.username, d.link, external);
    } else if (ev.target.dataset && ev.target.dataset.showLink) {
      showLink(ev.target.dataset.showLink, ev.detail.link);
    }
  });
  const linkDlg = document.getElementById("link-dialog");
  if (linkDlg) linkDlg.addEventListener("close", () => location.reload());

  const dlg = document.getElementById("transfer-dialog");
  if (!dlg) return;
  const input = document.getElementById("transfer-confirm");
  const ok = document.getElementById("transfer-ok");
  let target = null;
  document.querySelectorAll("[data-transfer]").forEach(b => b.addEventListener("click", () => {
    target = b;
    document.getElementById("transfer-name").textContent = b.dataset.username;
    input.value = "";
    ok.disabled = true;
    dlg.showModal();
  }));
  input.addEventListener("input", () => { ok.disabled = !target || input.value !== target.dataset.username; });
  document.getElementById("transfer-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    const res = await TC.api("POST", "/api/users/" + encodeURIComponent(target.dataset.transfer) + "/transfer-ownership", {});
    if (!res.ok) { TC.showError(ev.target, res.body, res.status); return; }
    location.href = "/login";
  });
})();

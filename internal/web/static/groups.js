// Config group pages: the ordered member list. Members move by drag and
// drop, by Alt+ArrowUp / Alt+ArrowDown on a focused member, or by their
// buttons; the form sends them in order as memberIds.
"use strict";

(() => {
  const list = document.getElementById("members");
  if (!list) return;
  const live = document.getElementById("members-live");
  const empty = document.getElementById("members-empty");
  const say = msg => { if (live) live.textContent = msg; };
  const items = () => Array.from(list.querySelectorAll("li[data-id]"));
  const nameOf = li => li.querySelector(".member-name").textContent;
  const position = li => items().indexOf(li) + 1;
  const refresh = () => { if (empty) empty.hidden = items().length > 0; };

  TC.hooks.groupMembers = body => {
    body.memberIds = items().map(li => li.dataset.id);
    return body;
  };

  function move(li, by) {
    const all = items();
    const i = all.indexOf(li), j = i + by;
    if (j < 0 || j >= all.length) return;
    if (by < 0) list.insertBefore(li, all[j]); else list.insertBefore(li, all[j].nextSibling);
    li.focus();
    say(nameOf(li) + " moved to position " + position(li) + " of " + all.length);
  }

  function remove(li) {
    const next = li.nextElementSibling || li.previousElementSibling;
    const name = nameOf(li);
    li.remove();
    refresh();
    if (next) next.focus(); else document.getElementById("add-config")?.focus();
    say(name + " removed");
  }

  list.addEventListener("click", ev => {
    const li = ev.target.closest("li[data-id]");
    if (!li) return;
    const mv = ev.target.closest("[data-move]");
    if (mv) { move(li, Number(mv.dataset.move)); return; }
    if (ev.target.closest("[data-remove]")) remove(li);
  });

  list.addEventListener("keydown", ev => {
    const li = ev.target.closest("li[data-id]");
    if (!li || ev.target !== li || !li.draggable) return;
    if (ev.altKey && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
      ev.preventDefault();
      move(li, ev.key === "ArrowUp" ? -1 : 1);
    } else if (!ev.altKey && ev.key === "ArrowUp") {
      ev.preventDefault(); li.previousElementSibling?.focus();
    } else if (!ev.altKey && ev.key === "ArrowDown") {
      ev.preventDefault(); li.nextElementSibling?.focus();
    } else if (ev.key === "Delete") {
      ev.preventDefault(); remove(li);
    }
  });

  let dragged = null;
  list.addEventListener("dragstart", ev => {
    dragged = ev.target.closest("li[data-id]");
    if (!dragged) return;
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", dragged.dataset.id);
    dragged.classList.add("dragging");
  });
  list.addEventListener("dragover", ev => {
    if (!dragged) return;
    ev.preventDefault();
    const over = ev.target.closest("li[data-id]");
    if (!over || over === dragged) return;
    const r = over.getBoundingClientRect();
    list.insertBefore(dragged, ev.clientY > r.top + r.height / 2 ? over.nextSibling : over);
  });
  list.addEventListener("drop", ev => { if (dragged) ev.preventDefault(); });
  list.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    say(nameOf(dragged) + " moved to position " + position(dragged) + " of " + items().length);
    dragged = null;
  });

  const pick = document.getElementById("add-config");
  document.getElementById("add-member")?.addEventListener("click", () => {
    const opt = pick.selectedOptions[0];
    if (!opt || !opt.value) return;
    if (items().some(li => li.dataset.id === opt.value)) { say(opt.text + " is already a member"); return; }
    const li = document.createElement("li");
    li.dataset.id = opt.value;
    li.tabIndex = 0;
    li.draggable = true;
    const name = document.createElement("span");
    name.className = "member-name";
    name.textContent = opt.text;
    const actions = document.createElement("span");
    actions.className = "row-actions";
    for (const [label, attr, cls, text] of [["Move " + opt.text + " up", "data-move", "secondary small", "↑"],
      ["Move " + opt.text + " down", "data-move", "secondary small", "↓"], ["Remove " + opt.text, "data-remove", "ghost-danger small", "Remove"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.setAttribute("aria-label", label);
      b.setAttribute(attr, text === "↑" ? "-1" : text === "↓" ? "1" : "");
      b.textContent = text;
      actions.appendChild(b);
    }
    li.append(name, actions);
    list.appendChild(li);
    refresh();
    pick.value = "";
    say(opt.text + " added at position " + position(li));
  });

  document.querySelectorAll(".use-origin").forEach(el => {
    if (!el.dataset.apiBase) el.textContent = location.origin;
  });
})();

// search.js drives the search box in the top bar: "/" focuses it from
// anywhere but a form field, typing asks GET /api/search, the arrow keys move
// through the results (aria-activedescendant) and Enter opens one.
(function () {
  'use strict';
  var input = document.getElementById('global-search');
  var list = document.getElementById('search-results');
  if (!input || !list) return;
  var KINDS = { agent: 'Agent', config: 'Configuration', label: 'Label', token: 'Token', user: 'User' };
  var active = -1, timer = null, seq = 0;

  // href is where a result opens: its own page, or its row on the list page.
  function href(r) {
    var id = encodeURIComponent(r.id);
    switch (r.kind) {
      case 'agent': return '/agents/' + id;
      case 'config': return '/configs/' + id;
      case 'label': return '/labels#label-' + id;
      case 'token': return '/tokens#token-' + id;
      case 'user': return '/users#user-' + id;
    }
    return '/';
  }

  function options() { return list.querySelectorAll('[role=option]:not([aria-disabled])'); }

  function close() {
    list.hidden = true;
    list.textContent = '';
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(i) {
    var opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    opts.forEach(function (o, j) { o.setAttribute('aria-selected', j === active ? 'true' : 'false'); });
    input.setAttribute('aria-activedescendant', opts[active].id);
    opts[active].scrollIntoView({ block: 'nearest' });
  }

  function render(results) {
    list.textContent = '';
    active = -1;
    input.removeAttribute('aria-activedescendant');
    if (!results.length) {
      var none = document.createElement('li');
      none.className = 'none';
      none.setAttribute('role', 'option');
      none.setAttribute('aria-disabled', 'true');
      none.textContent = 'Nothing found';
      list.appendChild(none);
    }
    results.forEach(function (r, i) {
      var li = document.createElement('li');
      li.id = 'search-result-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.dataset.href = href(r);
      var kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = KINDS[r.kind] || r.kind;
      var name = document.createElement('span');
      name.className = 'name';
      name.textContent = r.name || r.id;
      li.append(name, kind);
      li.addEventListener('mousedown', function (e) { e.preventDefault(); });
      li.addEventListener('click', function () { location.href = li.dataset.href; });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }

  function search() {
    var q = input.value.trim();
    if (!q) { close(); return; }
    var mine = ++seq;
    fetch('/api/search?q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.json() : { results: [] }; })
      .then(function (body) { if (mine === seq) render(body.results || []); })
      .catch(function () { /* offline: keep what is shown */ });
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown') { e.preventDefault(); highlight(active + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); highlight(active - 1); }
    else if (e.key === 'Enter') {
      var opts = options();
      var pick = opts[active >= 0 ? active : 0];
      if (pick) { e.preventDefault(); location.href = pick.dataset.href; }
    } else if (e.key === 'Escape') { close(); }
  });
  input.addEventListener('blur', function () { setTimeout(close, 150); });

  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    if (document.querySelector('dialog[open]')) return;
    e.preventDefault();
    input.focus();
    input.select();
  });
})();

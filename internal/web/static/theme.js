// theme.js applies the theme chosen in this browser (light, dark or system)
// before the page is drawn: it is loaded in <head> without defer, as a file,
// since the Content-Security-Policy allows no inline script. "system" (or
// nothing stored) leaves the choice to prefers-color-scheme in app.css.
(function () {
  'use strict';
  var KEY = 'tc.theme';
  var root = document.documentElement;
  function stored() {
    try { return localStorage.getItem(KEY) || 'system'; } catch (e) { return 'system'; }
  }
  function apply(theme) {
    if (theme === 'light' || theme === 'dark') root.setAttribute('data-theme', theme);
    else root.removeAttribute('data-theme');
  }
  apply(stored());
  root.classList.add('js');

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-theme-select]').forEach(function (sel) {
      sel.value = stored();
      sel.hidden = false;
      sel.addEventListener('change', function () {
        try {
          if (sel.value === 'system') localStorage.removeItem(KEY);
          else localStorage.setItem(KEY, sel.value);
        } catch (e) { /* storage refused: the choice lasts this page only */ }
        apply(sel.value);
      });
    });
  });
})();

// nav.js folds the main navigation behind a Menu button on narrow screens
// (app.css hides the list there unless the sidebar is open). Esc closes it
// and returns focus to the button.
(function () {
  'use strict';
  var button = document.getElementById('menu-button');
  var sidebar = document.querySelector('.sidebar');
  if (!button || !sidebar) return;
  function set(open) {
    sidebar.classList.toggle('open', open);
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  }
  button.addEventListener('click', function () {
    set(button.getAttribute('aria-expanded') !== 'true');
  });
  sidebar.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && sidebar.classList.contains('open')) {
      set(false);
      button.focus();
    }
  });
})();

// Keeps the /embed widget current: reload once a minute, but never while the
// reader is inside the widget (a <meta refresh> would pull the page from under them).
(function () {
  "use strict";
  window.setInterval(function () {
    if (!document.hasFocus()) {
      window.location.reload();
    }
  }, 60000);
})();

// Status widget for your own site. Put this where the widget should appear:
//   <script src="https://status.example.com/static/js/embed.js" async></script>
// Options (attributes on the script tag):
//   data-tenant="acme"        one tenant's page instead of the main page
//   data-access="<token>"     a private tenant's access token (from its access link)
//   data-lang="zh_Hans"       language: en or zh_Hans (default: the reader's browser)
//   data-height="90"          iframe height in pixels
//   data-title="Acme status"  the frame's accessible name (default: "Service status" / "服务状态")
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var origin = new URL(script.src).origin;
  var data = script.dataset;
  var path = data.tenant ? "/t/" + encodeURIComponent(data.tenant) + "/embed" : "/embed";
  var query = [];
  if (data.access) {
    query.push("access=" + encodeURIComponent(data.access));
  }
  if (data.lang) {
    query.push("lang=" + encodeURIComponent(data.lang));
  }
  var frame = document.createElement("iframe");
  frame.src = origin + path + (query.length ? "?" + query.join("&") : "");
  // Screen readers announce the frame by its title: name it in the widget's language.
  var chinese = (data.lang || navigator.language || "").toLowerCase().indexOf("zh") === 0;
  frame.title = data.title || (chinese ? "服务状态" : "Service status");
  frame.loading = "lazy";
  frame.width = "100%";
  frame.height = String(parseInt(data.height, 10) || 90);
  frame.setAttribute("frameborder", "0");
  frame.style.border = "0";
  frame.style.maxWidth = "28rem";
  frame.style.display = "block";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();

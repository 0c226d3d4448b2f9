// Small enhancements only; every admin page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Picking a playbook fills the form straight away (the "Fill the form" button does the same without JS).
  var picker = document.getElementById("f-template");
  if (picker) {
    picker.addEventListener("change", function () { if (picker.value) picker.form.submit(); });
  }
  // Select the one-time token or access link on focus so it is easy to copy.
  document.querySelectorAll("input.token, input.link-copy").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
});

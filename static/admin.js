// Small enhancements only; every admin page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Picking a playbook fills the form straight away (the "Fill the form" button does the same without JS).
  var picker = document.getElementById("f-template");
  if (picker) {
    // Submitted as that button, never as "Post": a bare form.submit() would carry no action at all.
    var fill = picker.form.querySelector('button[name="action"][value="apply"]');
    picker.addEventListener("change", function () {
      if (picker.value && fill) { picker.form.requestSubmit(fill); }
    });
  }
  // Select the one-time token or access link on focus so it is easy to copy.
  document.querySelectorAll("input.token, input.link-copy").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
});

// <select data-autosubmit>: choosing an option submits its form (the agency dashboard's year).
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) { select.form.submit(); }
});

// Progressive enhancement only: pages work without it. Selects marked "autosubmit" submit
// their form when changed.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.classList && target.classList.contains("autosubmit") && target.form) {
    target.form.submit();
  }
});

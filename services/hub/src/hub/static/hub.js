// Progressive enhancement only: every page works without it. Sends a form once (a second press
// while the first is on its way would drop the answer to the first: the sign-in or plan secret it
// sets), shows the sign-out warning in time (WCAG 2.2.1) and moves focus to an error summary so a
// screen reader hears it first.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "");
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }  // a page restored by Back may be sent again
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) { sent[i].removeAttribute("data-sent"); }
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  var note = document.getElementById("session-note");
  var warning = document.getElementById("session-warning");
  if (!note || !warning) { return; }
  var expires = Date.parse(note.getAttribute("data-expires"));
  var warnAt = expires - Number(note.getAttribute("data-warn")) * 60000;
  var wait = warnAt - Date.now();
  if (isNaN(wait)) { return; }
  setTimeout(function () { warning.hidden = false; }, Math.max(0, Math.min(wait, 2147483647)));
})();

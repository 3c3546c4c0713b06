// Progressive enhancement only: every page works without it. Shows the sign-out warning in time
// (WCAG 2.2.1) and moves focus to an error summary so a screen reader hears it first.
(function () {
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

// Adds the visitor's own local time beside each consult time, when it differs from
// the practice's. The page works fully without this script.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-start]");
  if (!inputs.length || !window.Intl) return;
  var visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var picker = document.getElementById("slot-picker");
  var practiceZone = picker && picker.getAttribute("data-zone");
  if (!visitorZone || !practiceZone || visitorZone === practiceZone) return;
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", hour: "numeric", minute: "2-digit", timeZone: visitorZone
  });
  var practiceFormat = new Intl.DateTimeFormat("en-US", {
    hour: "numeric", minute: "2-digit", timeZone: practiceZone
  });
  var visitorFormat = new Intl.DateTimeFormat("en-US", {
    hour: "numeric", minute: "2-digit", timeZone: visitorZone
  });
  var shown = false;
  inputs.forEach(function (input) {
    var start = new Date(input.getAttribute("data-start"));
    if (isNaN(start)) return;
    if (practiceFormat.format(start) === visitorFormat.format(start)) return;
    var label = input.labels && input.labels[0];  // no document-wide search per time
    if (!label) return;
    var extra = document.createElement("span");
    extra.className = "local-time";
    extra.textContent = " (" + format.format(start) + " your time)";
    label.appendChild(extra);
    shown = true;
  });
  var note = document.querySelector(".js-local-note");
  if (shown && note) note.hidden = false;
})();

// Adds the visitor's own local time beside each consult time, when it differs from
// the practice's. The page works fully without this script.
//
// Each label carries its time twice: as a UTC instant (data-start) and as the
// practice's wall clock (data-practice, "YYYY-MM-DDTHH:MM"). The browser's own clock
// reading of the instant is compared with the second, so no Intl formatter is built:
// building them cost this page a long task on slow phones.
(function () {
  "use strict";
  var picker = document.getElementById("slot-picker");
  if (!picker) return;
  var labels = picker.querySelectorAll("label[data-start]");
  var days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

  function two(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function wallClock(date) {
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) +
      "T" + two(date.getHours()) + ":" + two(date.getMinutes());
  }

  function shortTime(date) {  // as the server writes times: "Tue 2:30 PM"
    var hours = date.getHours();
    return days[date.getDay()] + " " + (hours % 12 || 12) + ":" + two(date.getMinutes()) +
      " " + (hours < 12 ? "AM" : "PM");
  }

  var shown = false;
  for (var i = 0; i < labels.length; i++) {
    var label = labels[i];
    var start = new Date(label.getAttribute("data-start"));
    if (isNaN(start) || wallClock(start) === label.getAttribute("data-practice")) continue;
    var extra = document.createElement("span");
    extra.className = "local-time";
    extra.textContent = " (" + shortTime(start) + " your time)";
    label.appendChild(extra);
    shown = true;
  }
  var note = picker.querySelector(".js-local-note");
  if (shown && note) note.hidden = false;
})();

// The booking picker without page loads. The page works fully without this script:
// every day, fortnight and zone button submits the form, and the server shows it again
// with everything typed kept. Here the same submission is sent with fetch and only the
// picker is swapped, then focus goes where the visitor's eyes are.
//
// Also: a failed send lands on the error summary (#form-errors, by the form's anchor);
// focus moves to it so screen readers read it. And the visitor's own time zone, as the
// browser knows it, is chosen for them unless they chose one this visit.
(function () {
  "use strict";
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();

  var picker = document.getElementById("slot-picker");
  if (!picker || !window.fetch || !window.DOMParser) return;
  var form = picker.closest("form");

  var done = false; // the times shown are in the zone the select shows
  function refresh(show, focusTarget) {
    done = true; // every refresh posts the select's zone
    var data = new FormData(form);
    data.set("show", show);
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("slot-picker");
      if (!fresh) throw new Error("no picker");
      // A choice made while the request was under way is kept, where it is still shown.
      var ticked = picker.querySelectorAll("input:checked");
      for (var i = 0; i < ticked.length; i++) {
        var same = fresh.querySelector('input[name="' + ticked[i].name + '"][value="' +
          ticked[i].value + '"]');
        if (same) same.checked = true;
      }
      picker.replaceWith(fresh);
      picker = fresh;
      var target = focusTarget && picker.querySelector(focusTarget);
      if (target) target.focus();
    });
  }

  // Events are caught on the form, so they keep working after the picker is swapped.
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=show]");
    if (!button || !picker.contains(button)) return;
    event.preventDefault();
    var value = button.value;
    var focus = value.indexOf("day:") === 0 ? "#slot-times" :
      value.indexOf("page:") === 0 ? ".day" : "#" + form.elements.zone.id;
    refresh(value, focus).catch(function () { form.requestSubmit(button); });
  });
  form.addEventListener("change", function (event) {
    if (event.target.name !== "zone") return;
    refresh("zone", "#" + event.target.id).catch(function () {
      form.requestSubmit(picker.querySelector("button[value=zone]"));
    });
  });

  if (picker.hasAttribute("data-zone-chosen")) return;
  var own;
  try {
    own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  var select = form.elements.zone;
  if (!own || !select || select.value === own) return;
  if (!select.querySelector('option[value="' + own.replace(/"/g, "") + '"]')) {
    select.add(new Option(own.split("/").pop().replace(/_/g, " ") + " time", own), 0);
  }
  select.value = own;
  // The times are fetched again in that zone once the page has settled (or at the
  // visitor's first touch of the form, if sooner), so the first screen is never held up.
  function inOwnZone() {
    if (done) return;
    done = true;
    refresh("zone", null).catch(function () {});
  }
  form.addEventListener("pointerdown", inOwnZone, { once: true });
  form.addEventListener("focusin", inOwnZone, { once: true });
  setTimeout(inOwnZone, 6000);
})();

// "Where will you be during our sessions?": choosing "Somewhere else" shows the note
// about it (and its "send my request anyway" box) at once. Without this script the
// server shows the same note after a first send, with nothing sent yet.
(function () {
  "use strict";
  var note = document.querySelector("#place-note .place-elsewhere");
  var select = document.getElementById("id_place");
  if (!note || !select) return;
  select.addEventListener("change", function () {
    note.hidden = select.value !== "somewhere-else";
  });
})();

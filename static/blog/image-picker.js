// The editor's picture window: hands the chosen picture back to the editor that opened
// it (django-prose-editor's picker protocol, CKEditor's callFunction), then closes.
const funcNum = new URLSearchParams(window.location.search).get("CKEditorFuncNum");

function pick(button) {
  const opener = window.opener;
  if (!opener || !opener.CKEDITOR || !funcNum) return;
  opener.CKEDITOR.tools.callFunction(funcNum, button.dataset.url, {
    id: button.dataset.id,
    alternative_text: button.dataset.alt,
    caption: button.dataset.caption,
  });
  window.close();
}

document.querySelectorAll("[data-pick]").forEach((button) => {
  button.addEventListener("click", () => pick(button));
});
// A picture just uploaded is the one wanted: hand it back at once.
const uploaded = document.querySelector("[data-just-uploaded]");
if (uploaded) pick(uploaded);

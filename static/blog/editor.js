// The article editor: django-prose-editor's editor with the toolbar configured in
// blog/widgets.py, Word lists kept on paste, and gentle writing hints beside it.
// Loaded as a module file (no import map: the site's CSP allows no inline script).
import * as editorModule from "../django_prose_editor/editor.js";

const SELECTOR = "[data-django-prose-editor-article]";
const WORDS_PER_MINUTE = 200; // blog.markup.WORDS_PER_MINUTE
const LONG_PARAGRAPH_WORDS = 150;
const VAGUE_LINK_TEXT = /^(click here|here|read more|more|this|link|this link)$/i;

// Word marks list items as paragraphs with an mso-list style and a typed bullet or
// number in a span it hides. Turn runs of them into real lists before the editor
// reads the paste, so a list stays a list.
function wordListsToLists(html) {
  if (!/mso-list/i.test(html)) return html;
  const doc = new DOMParser().parseFromString(html, "text/html");
  const items = [...doc.body.querySelectorAll("p")].filter((p) =>
    /mso-list:\s*l\d/i.test(p.getAttribute("style") || ""),
  );
  let list = null;
  for (const p of items) {
    const marker = p.querySelector("[style*='mso-list:Ignore'], [style*='mso-list: Ignore']");
    const markerText = marker ? marker.textContent.trim() : "";
    const ordered = /^[0-9a-z]{1,3}[.)]$/i.test(markerText);
    if (marker) marker.remove();
    // An item right after the list made for the one before it continues that list.
    if (!list || p.previousElementSibling !== list || list.ordered !== ordered) {
      list = doc.createElement(ordered ? "ol" : "ul");
      list.ordered = ordered;
      p.before(list);
    }
    const li = doc.createElement("li");
    li.innerHTML = p.innerHTML;
    list.append(li);
    p.remove();
  }
  return doc.body.innerHTML;
}

const WordPaste = editorModule.Extension.create({
  name: "wordPaste",
  addProseMirrorPlugins() {
    return [new editorModule.Plugin({ props: { transformPastedHTML: wordListsToLists } })];
  },
});

function words(text) {
  return text.split(/\s+/).filter(Boolean).length;
}

// Warnings, never blocks: the therapist decides.
function hintsFor(root) {
  const hints = [];
  root.querySelectorAll("img").forEach((img) => {
    if (!(img.getAttribute("alt") || "").trim()) {
      hints.push(
        "A picture has no description. Add one (select the picture and press the picture " +
          "button), unless it is only decorative.",
      );
    }
  });
  let level = 1;
  root.querySelectorAll("h2, h3, h4").forEach((heading) => {
    const next = Number(heading.tagName[1]);
    if (next > level + 1) {
      hints.push(
        `“${heading.textContent.trim()}” skips a heading level: use a larger heading ` +
          "before a smaller one, so screen readers can follow the outline.",
      );
    }
    level = next;
  });
  root.querySelectorAll("a").forEach((link) => {
    if (VAGUE_LINK_TEXT.test(link.textContent.trim())) {
      hints.push(
        `A link says “${link.textContent.trim()}”. Words that say where it goes ` +
          "(for example “book a free consult”) help everyone, and screen readers most.",
      );
    }
  });
  root.querySelectorAll("p").forEach((p) => {
    const count = words(p.textContent);
    if (count > LONG_PARAGRAPH_WORDS) {
      hints.push(
        `A paragraph starting “${p.textContent.trim().split(/\s+/).slice(0, 6).join(" ")}…” ` +
          `has ${count} words. Shorter paragraphs are easier to read on a phone.`,
      );
    }
  });
  return hints;
}

function hintsPanel(textarea) {
  const panel = document.createElement("div");
  panel.className = "writing-help";
  const time = document.createElement("p");
  time.className = "writing-help__time";
  const heading = document.createElement("p");
  heading.className = "writing-help__title";
  heading.textContent = "Suggestions";
  const list = document.createElement("ul");
  list.className = "writing-help__hints";
  list.setAttribute("aria-live", "polite");
  panel.append(time, heading, list);
  textarea.closest(".prose-editor").after(panel);
  return { panel, time, heading, list };
}

function showHints(editor, parts) {
  const root = editor.view.dom;
  const minutes = Math.max(1, Math.ceil(words(root.textContent) / WORDS_PER_MINUTE));
  parts.time.textContent = `Reading time: about ${minutes} minute${minutes === 1 ? "" : "s"}.`;
  const hints = hintsFor(root);
  parts.heading.hidden = hints.length === 0;
  parts.list.replaceChildren(
    ...hints.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
}

// django-prose-editor's createTextareaEditor, with Tiptap's injected <style> turned off:
// the admin's CSP allows style attributes only. blog/editor.css carries those rules.
function textareaEditor(textarea, extensions) {
  const disabled = textarea.hasAttribute("disabled");
  const wrapper = document.createElement("div");
  wrapper.className = `prose-editor ${disabled ? "disabled" : ""}`;
  textarea.before(wrapper);
  wrapper.append(textarea);
  return new editorModule.Editor({
    element: wrapper,
    editable: !disabled,
    extensions,
    content: textarea.value,
    injectCSS: false,
    onUpdate({ editor }) {
      const html = editor.getHTML();
      // An editor holding one empty paragraph is an empty field.
      textarea.value = /^<(\w+)(\s[^>]*)?><\/\1>$/i.test(html) ? "" : html;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    },
    onDestroy() {
      wrapper.before(textarea);
      wrapper.remove();
    },
  });
}

function create(textarea) {
  if (textarea.closest(".prose-editor")) return null;
  const config = JSON.parse(textarea.getAttribute("data-django-prose-editor-article"));
  const extensions = [WordPaste];
  for (const [name, options] of Object.entries(config.extensions)) {
    const extension = editorModule[name];
    if (!extension) continue;
    extensions.push(typeof options === "object" ? extension.configure(options) : extension);
  }
  const editor = textareaEditor(textarea, extensions);
  const parts = hintsPanel(textarea);
  const update = () => showHints(editor, parts);
  editor.on("update", update);
  update();
  return editor;
}

// The search-engine preview follows the title and description as they are typed.
function searchPreview() {
  const preview = document.querySelector("[data-search-preview]");
  if (!preview) return;
  const title = document.getElementById("id_title");
  const summary = document.getElementById("id_summary");
  const description = document.getElementById("id_seo_description");
  const suffix = preview.dataset.suffix || "";
  const update = () => {
    preview.querySelector("[data-preview-title]").textContent =
      (title ? title.value : "") + suffix;
    preview.querySelector("[data-preview-description]").textContent =
      (description && description.value) || (summary && summary.value) || "";
  };
  [title, summary, description].forEach((el) => el && el.addEventListener("input", update));
}

editorModule.initializeEditors(create, SELECTOR);
searchPreview();

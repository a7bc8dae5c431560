/* The message box: Enter sends, Shift+Enter is a new line, the box grows with its text, too long is refused. */
import { config } from "./config.js";
import { form, formNote, input } from "./elements.js";
import { sendUserMessage } from "./outgoing.js";
import { t } from "./texts.js";

/** The form's note by its text key (data-key: a language switch translates it); "" clears it. */
function showNote(key) {
  formNote.dataset.key = key;
  formNote.textContent = key ? t(key, { max: config.maxMessageLength }) : "";
}

function autoGrow() {
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
}

/** Wires the form and its text box. */
export function setupComposer() {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    showNote("");
    if (!text) return;
    if (text.length > config.maxMessageLength) {
      showNote("tooLong");
      return;
    }
    sendUserMessage(text, text);
    input.value = "";
    autoGrow();
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", autoGrow);
}

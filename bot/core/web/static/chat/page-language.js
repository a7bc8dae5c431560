/* The language the page is shown in: its texts (data-i18n*), articles, <html lang>, the LT / EN switches' pressed
 * state and the widget, switched without a reload and remembered in the chat_lang cookie. Used by the page's own
 * switch (language.js, which also tells the bot) and by the bot's replies (incoming.js: the page follows the
 * conversation's language, e.g. after "English please"). */
import { config } from "./config.js";
import { renderIdentity } from "./demo.js";
import { announcer } from "./elements.js";
import { renderAll } from "./messages.js";
import { currentLanguage, t, useLanguage } from "./texts.js";

const ATTRIBUTES = [["i18nAriaLabel", "aria-label"], ["i18nTitle", "title"], ["i18nPlaceholder", "placeholder"]];

function dataAttribute(name) {
  return "data-" + name.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); });
}

/** Puts the current language's texts into the page (data-i18n*, articles, switches) and the widget. */
export function applyTexts() {
  const lang = currentLanguage();
  document.documentElement.lang = lang;
  document.title = t("pageTitle");
  document.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = t(node.dataset.i18n); });
  ATTRIBUTES.forEach(function (pair) {
    document.querySelectorAll("[" + dataAttribute(pair[0]) + "]").forEach(function (node) {
      node.setAttribute(pair[1], t(node.dataset[pair[0]]));
    });
  });
  document.querySelectorAll("[data-lang-section]").forEach(function (node) {
    node.hidden = node.dataset.langSection !== lang;
  });
  document.querySelectorAll("[data-set-lang]").forEach(function (button) {
    button.setAttribute("aria-pressed", String(button.dataset.setLang === lang));
  });
  // the status line and the notes of the form and the demo sign-in: shown by their text key (data-key)
  document.querySelectorAll("[data-key]").forEach(function (node) {
    if (node.dataset.key) node.textContent = t(node.dataset.key, { max: config.maxMessageLength });
  });
  // What screen readers were told stays in the language it was said in: not left behind in the page's new one.
  announcer.textContent = "";
  renderIdentity();
  renderAll();
}

/**
 * Shows the page in `next` (a language of config.languages) and remembers it; the bot is not told.
 * @param {*} next
 * @returns {boolean} whether the language changed
 */
export function showLanguage(next) {
  if (config.languages.indexOf(next) < 0 || next === currentLanguage()) return false;
  useLanguage(next);
  document.cookie = "chat_lang=" + next + "; path=/; max-age=31536000; SameSite=Lax";
  applyTexts();
  return true;
}

/* LT / EN: the page's texts, articles and <html lang> switch without a reload; the choice is remembered in the
 * chat_lang cookie, and a conversation already started switches too (/switch_language). */
import { config } from "./config.js";
import { renderIdentity } from "./demo.js";
import { statusLine } from "./elements.js";
import { conversationStarted } from "./history.js";
import { closeQuickReplies, renderAll } from "./messages.js";
import { currentLanguage, t, useLanguage } from "./texts.js";
import { enqueue } from "./transport.js";

const ATTRIBUTES = [["i18nAriaLabel", "aria-label"], ["i18nTitle", "title"], ["i18nPlaceholder", "placeholder"]];

/** Puts the current language's texts into the page (data-i18n*, articles, switches) and the widget. */
export function applyTexts() {
  const lang = currentLanguage();
  document.documentElement.lang = lang;
  document.title = t("pageTitle");
  document.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = t(node.dataset.i18n); });
  ATTRIBUTES.forEach(function (pair) {
    document.querySelectorAll("[data-" + pair[0].replace(/[A-Z]/g, function (c) {
      return "-" + c.toLowerCase();
    }) + "]").forEach(function (node) { node.setAttribute(pair[1], t(node.dataset[pair[0]])); });
  });
  document.querySelectorAll("[data-lang-section]").forEach(function (node) {
    node.hidden = node.dataset.langSection !== lang;
  });
  document.querySelectorAll("[data-set-lang]").forEach(function (button) {
    button.setAttribute("aria-pressed", String(button.dataset.setLang === lang));
  });
  if (statusLine.dataset.key) statusLine.textContent = t(statusLine.dataset.key);
  renderIdentity();
  renderAll();
}

/**
 * Switches the page and the conversation to `next` (a language of config.languages).
 * @param {string} next
 */
export function setLanguage(next) {
  if (config.languages.indexOf(next) < 0 || next === currentLanguage()) return;
  useLanguage(next);
  document.cookie = "chat_lang=" + next + "; path=/; max-age=31536000; SameSite=Lax";
  applyTexts();
  // The conversation follows: the switch_language rule sets the slot and confirms in the new language.
  // A conversation that has not started yet gets the page language as a hint with its first message.
  if (conversationStarted()) {
    closeQuickReplies();
    enqueue('/switch_language{"requested_language":"' + next + '"}', null);
  }
}

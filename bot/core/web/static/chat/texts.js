/* The interface texts (both tables come with the page, bot/core/web/texts.py) and the language shown. */
import { config } from "./config.js";

let lang = config.language;

/** @returns {string} the language the page and the widget are shown in ("lt" or "en") */
export function currentLanguage() {
  return lang;
}

/**
 * Shows the texts in `next` from now on (showLanguage in page-language.js also re-renders).
 * @param {string} next
 */
export function useLanguage(next) {
  lang = next;
}

/**
 * The text `key` in the current language (else Lithuanian, else the key), with {name} placeholders filled.
 * @param {string} key
 * @param {Object<string, *>|null} [vars]
 * @returns {string}
 */
export function t(key, vars) {
  const table = config.texts[lang] || {};
  let text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : (config.texts.lt[key] || key);
  if (vars) {
    text = text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }
  return text;
}

/* Bot texts from plain text into DOM nodes: links (http/https only), **bold**, "- " bullets and line breaks.
 * Built with text nodes and elements only: nothing received or typed is parsed as HTML. */
import { currentLanguage, t } from "./texts.js";

const INLINE = /\[([^\]\n]{1,300})\]\(([^()\s]{1,2000})\)|\*\*(?!\s)([^\n]+?)\*\*|(https?:\/\/[^\s<>"]+)/g;

/**
 * The URL, normalised, when it is an absolute http or https URL; else null.
 * @param {string} raw
 * @returns {string|null}
 */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) {
    return null;
  }
}

function makeLink(href, label) {
  const a = document.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.textContent = label;
  const hint = document.createElement("span");
  hint.className = "sr-only";
  hint.textContent = " " + t("opensNewWindow");
  hint.lang = currentLanguage(); // the page's words, inside a message that may be in the other language
  a.appendChild(hint);
  return a;
}

function trimUrl(url) {
  // Sentence punctuation after a bare URL is not part of it; a ")" is when the URL opened one.
  while (/[.,;:!?'’”»\]}>)]$/.test(url)) {
    if (url.slice(-1) === ")" && (url.split("(").length - 1) >= (url.split(")").length - 1)) break;
    url = url.slice(0, -1);
  }
  return url;
}

function appendInline(parent, text) {
  const re = new RegExp(INLINE.source, "g");
  let last = 0;
  let match;
  while ((match = re.exec(text)) !== null) {
    const start = match.index;
    let end = re.lastIndex;
    let node = null;
    if (match[1] !== undefined) {
      const href = safeUrl(match[2]);
      node = href ? makeLink(href, match[1]) : null;
    } else if (match[3] !== undefined) {
      node = document.createElement("strong");
      appendInline(node, match[3]);
    } else {
      const url = trimUrl(match[4]);
      end = start + url.length;
      re.lastIndex = end;
      const safe = safeUrl(url);
      node = safe ? makeLink(safe, url) : null;
    }
    if (!node) continue; // left as text
    if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
    parent.appendChild(node);
    last = end;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}

/**
 * Appends a bot's text: links, **bold**, "- " bullets, line breaks.
 * @param {Node} parent
 * @param {string} text
 */
export function appendRichText(parent, text) {
  String(text).split(/\r\n|\r|\n/).forEach(function (line, index) {
    if (index) parent.appendChild(document.createElement("br"));
    appendInline(parent, /^- /.test(line) ? "• " + line.slice(2) : line);
  });
}

/**
 * Appends a customer's text as it was typed (line breaks kept, nothing else).
 * @param {Node} parent
 * @param {string} text
 */
export function appendPlainText(parent, text) {
  String(text).split(/\r\n|\r|\n/).forEach(function (line, index) {
    if (index) parent.appendChild(document.createElement("br"));
    parent.appendChild(document.createTextNode(line));
  });
}

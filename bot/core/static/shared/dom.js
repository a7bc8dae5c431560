/* DOM helpers shared by the support page's widget (/static/chat.js) and the agent console
 * (/agent/static/console.js), served at /static/shared/ by bot/core/shared_assets.py (owned by neither page).
 *
 * Text goes into the page through textContent only: nothing received or typed is ever parsed as HTML. */

/**
 * A new element with an optional class and text (set through textContent).
 * @param {string} tag the element's tag name
 * @param {string|null} [className] its class attribute
 * @param {*} [text] its text; undefined or null leaves it empty
 * @returns {HTMLElement}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/**
 * The element with this id, or null.
 * @param {string} id
 * @returns {HTMLElement|null}
 */
export function byId(id) {
  return document.getElementById(id);
}

/**
 * Shows `text` in `node`, or hides the node when there is no text.
 * @param {HTMLElement|null} node
 * @param {string} [text]
 */
export function showText(node, text) {
  if (!node) return;
  node.textContent = text || "";
  node.hidden = !text;
}

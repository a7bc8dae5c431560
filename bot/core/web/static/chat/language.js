/* LT / EN switched on the page (its switches): the page changes (page-language.js) and a conversation already
 * started switches too (/switch_language). A switch typed in the conversation comes the other way: the bot's
 * reply carries the new language and the page follows it (incoming.js). */
import { conversationStarted } from "./history.js";
import { closeQuickReplies } from "./messages.js";
import { showLanguage } from "./page-language.js";
import { enqueue } from "./transport.js";

/**
 * Switches the page and the conversation to `next` (a language of config.languages).
 * @param {string} next
 */
export function setLanguage(next) {
  if (!showLanguage(next)) return;
  // The conversation follows: the switch_language rule sets the slot and confirms in the new language.
  // A conversation that has not started yet gets the page language as a hint with its first message.
  if (conversationStarted()) {
    closeQuickReplies();
    enqueue('/switch_language{"requested_language":"' + next + '"}', null);
  }
}

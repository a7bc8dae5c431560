/* The widget's elements in the page (bot/core/web/templates/index.html). */
import { byId } from "/static/shared/dom.js";

export const launcher = byId("chat-launcher");
export const panel = byId("chat-panel");
export const log = byId("chat-log");
export const form = byId("chat-form");
export const input = byId("chat-input");
export const formNote = byId("chat-form-note");
export const statusLine = byId("chat-status");
export const announcer = byId("chat-announcer");
export const identity = byId("chat-identity");

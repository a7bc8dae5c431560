/* The demo sign-in (demo mode only, CORE_DEMO_MODE): a tester acts as a seeded demo customer; the token the core
 * mints goes with every message (transport.js) and is verified by the core on every turn. */
import { byId, showText } from "/static/shared/dom.js";
import { postJson } from "/static/shared/http.js";
import { KEYS, config } from "./config.js";
import { identity } from "./elements.js";
import { addNote } from "./messages.js";
import { store } from "./storage.js";
import { t } from "./texts.js";

/**
 * The signed-in demo customer, or null (an expired sign-in ends here, and the page says so).
 * @returns {{id: string, token: string, expiresAt?: string}|null}
 */
export function demoIdentity() {
  if (!config.demoMode) return null;
  const demo = store.get(KEYS.demo, null);
  if (!demo || typeof demo.token !== "string" || typeof demo.id !== "string") return null;
  if (demo.expiresAt && Date.parse(demo.expiresAt) <= Date.now()) {
    store.remove(KEYS.demo);
    setTimeout(function () { // after the caller is done: the page shows that the sign-in ended
      renderIdentity();
      addNote("demoExpired");
    }, 0);
    return null;
  }
  return demo;
}

/** Shows who is signed in: the demo panel's form or identity, and the badge under the widget's header. */
export function renderIdentity() {
  const demo = demoIdentity();
  const signedIn = byId("demo-signed-in");
  const demoForm = byId("demo-form");
  if (signedIn && demoForm) {
    signedIn.hidden = !demo;
    demoForm.hidden = !!demo;
    byId("demo-identity").textContent = demo ? t("demoSignedInAs", { id: demo.id }) : "";
  }
  showText(identity, demo ? t("signedInBadge", { id: demo.id }) : "");
}

/** Wires the demo panel's sign-in form and sign-out button (nothing outside demo mode). */
export function setupDemo() {
  if (!config.demoMode) return;
  const demoForm = byId("demo-form");
  const error = byId("demo-error");
  const button = byId("demo-sign-in");
  demoForm.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    error.dataset.key = "";
    button.disabled = true;
    postJson("/demo/sign-in", { customer_id: byId("demo-customer").value }).then(function (result) {
      if (!result.ok || result.data === null) throw new Error("HTTP " + result.status);
      const body = result.data;
      store.set(KEYS.demo, { id: body.customer_id, token: body.customer_token, expiresAt: body.expires_at });
      renderIdentity();
      addNote("signedInNote", { id: body.customer_id });
      byId("demo-sign-out").focus();
    }).catch(function () {
      error.dataset.key = "demoSignInFailed"; // by its key: a language switch translates it
      error.textContent = t("demoSignInFailed");
    }).then(function () {
      button.disabled = false;
    });
  });
  byId("demo-sign-out").addEventListener("click", function () {
    const demo = demoIdentity();
    store.remove(KEYS.demo);
    renderIdentity();
    if (demo) addNote("signedOutNote");
    byId("demo-customer").focus();
  });
}

/* localStorage as JSON, falling back to memory when the browser refuses it (private mode, quota). */

const memory = {};

/** The widget's storage: get(key, fallback), set(key, value), remove(key). */
export const store = {
  /**
   * @param {string} key
   * @param {*} fallback returned when nothing (or no JSON) is stored
   * @returns {*}
   */
  get(key, fallback) {
    let raw;
    try { raw = window.localStorage.getItem(key); } catch (e) { raw = memory[key]; }
    if (raw === null || raw === undefined) return fallback;
    try { return JSON.parse(raw); } catch (e) { return fallback; }
  },
  /**
   * @param {string} key
   * @param {*} value stored as JSON
   */
  set(key, value) {
    const raw = JSON.stringify(value);
    try { window.localStorage.setItem(key, raw); } catch (e) { memory[key] = raw; }
  },
  /** @param {string} key */
  remove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    delete memory[key];
  }
};

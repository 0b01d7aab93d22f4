// The signed-in token: kept in sessionStorage (this tab only, gone when it closes), never in a
// URL, and sent as a bearer header by every API call and every bridge subscription.

const KEY = 'fanout.token';

export const session = {
  token() {
    try {
      return window.sessionStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  },

  save(token) {
    window.sessionStorage.setItem(KEY, token);
  },

  clear() {
    window.sessionStorage.removeItem(KEY);
  },

  /** The Authorization header of the signed-in token, or none. */
  headers() {
    const token = session.token();
    return token ? { Authorization: `Bearer ${token}` } : {};
  },
};

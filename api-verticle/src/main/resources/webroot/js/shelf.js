// The jobs this browser follows, kept in localStorage so that a reload or a new tab finds them
// again: the list of ids (newest first), and for each job the last state this page showed, so a
// reloaded page starts from there instead of from zero.

const LIST_KEY = 'fanout.jobs.v1';
const JOB_KEY_PREFIX = 'fanout.job.v1.';
const ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function read(key) {
  try {
    const text = window.localStorage.getItem(key);
    return text == null ? null : JSON.parse(text);
  } catch (e) {
    return null;
  }
}

function write(key, value) {
  try {
    if (value == null) {
      window.localStorage.removeItem(key);
    } else {
      window.localStorage.setItem(key, JSON.stringify(value));
    }
  } catch (e) {
    // Storage full or disabled: the page still works, it just will not remember.
  }
}

export const shelf = {
  isJobId: (id) => typeof id === 'string' && ID_SHAPE.test(id),

  /** Every followed id, once each, newest first. */
  ids() {
    const stored = read(LIST_KEY);
    const ids = Array.isArray(stored) ? stored.filter(shelf.isJobId) : [];
    return [...new Set(ids)];
  },

  /** Puts a new id first; an id already kept keeps its place. */
  add(id) {
    const ids = shelf.ids();
    if (!ids.includes(id)) {
      write(LIST_KEY, [id, ...ids]);
    }
  },

  remove(id) {
    write(LIST_KEY, shelf.ids().filter((other) => other !== id));
    write(JOB_KEY_PREFIX + id, null);
  },

  /** The state this page last showed for the job, or null. */
  lastShown(id) {
    const state = read(JOB_KEY_PREFIX + id);
    return state && typeof state === 'object' ? state : null;
  },

  rememberShown(id, state) {
    write(JOB_KEY_PREFIX + id, state);
  },

  /** Calls back with the new list when another tab adds or dismisses a job. */
  onOtherTabChange(callback) {
    window.addEventListener('storage', (event) => {
      if (event.key === LIST_KEY || event.key === null) {
        callback(shelf.ids());
      }
    });
  },
};

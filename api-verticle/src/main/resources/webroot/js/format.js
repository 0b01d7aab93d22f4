// How numbers, durations and log records read on the page.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export const count = (n) => (n == null ? '–' : integer.format(n));

export function rate(tasksPerSecond) {
  if (tasksPerSecond == null) {
    return '–';
  }
  return `${tasksPerSecond >= 100 ? integer.format(tasksPerSecond) : decimal.format(tasksPerSecond)} tasks/s`;
}

export function duration(ms) {
  if (ms == null || !Number.isFinite(ms)) {
    return '–';
  }
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) {
    return ms < 10000 && ms > 0 ? `${decimal.format(ms / 1000)} s` : `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${seconds % 60} s`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function percent(part, whole) {
  if (!whole) {
    return 0;
  }
  return Math.min(100, (part / whole) * 100);
}

export function time(value) {
  if (value == null) {
    return '–';
  }
  const date = new Date(typeof value === 'number' ? value : Date.parse(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleTimeString();
}

/** A JSON value as one line of text, cut to `max` characters. */
export function json(value, max = 160) {
  let text;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch (e) {
    text = String(value);
  }
  if (text === undefined) {
    return '';
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** One line for a log record: a task's outcome, or a lifecycle event. */
export function logRecord(record) {
  if (!record || typeof record !== 'object') {
    return '';
  }
  if (record.event) {
    return `job ${record.event}: ${count(record.done)} done, ${count(record.failed)} failed`;
  }
  const outcome = record.status === 'failed' ? json(record.error) : json(record.result);
  return `#${record.index} ${record.status || ''}${outcome ? `: ${outcome}` : ''}`;
}

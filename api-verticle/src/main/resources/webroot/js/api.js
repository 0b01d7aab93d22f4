// Calls to Fanout's HTTP API. Every answer comes back as a value, errors included; only a
// server that cannot be reached at all throws (Unreachable), so callers can tell "down" from "no".

import { session } from './session.js';

export class Unreachable extends Error {}

/** Set by the page: what to do when the API says the token is missing, unknown or revoked. */
let onUnauthorized = () => {};

export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/** @returns {Promise<{ok: boolean, status: number, body: any, error: ?{code, message, field}}>} */
export async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      cache: 'no-store',
      headers: { ...session.headers(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Unreachable(`${method} ${path}: ${e.message}`);
  }
  let json = null;
  try {
    json = await response.json();
  } catch (e) {
    // Not every answer has a JSON body; the status says enough.
  }
  const error = json && typeof json.error === 'object' ? json.error : null;
  if (response.status === 401) {
    onUnauthorized();
  }
  return {
    ok: response.ok,
    status: response.status,
    body: json,
    error,
  };
}

/**
 * A streamed answer saved whole, for the browser to hand to the user as a file; fetched with the
 * session's token, which a plain link could not send.
 * @returns {Promise<{ok: boolean, status: number, blob: ?Blob, error: ?{code, message, field}}>}
 */
export async function download(path, accept) {
  let response;
  try {
    response = await fetch(path, { cache: 'no-store', headers: { ...session.headers(), Accept: accept } });
  } catch (e) {
    throw new Unreachable(`GET ${path}: ${e.message}`);
  }
  if (response.status === 401) {
    onUnauthorized();
  }
  if (!response.ok) {
    const json = await response.json().catch(() => null);
    return { ok: false, status: response.status, blob: null, error: json?.error ?? null };
  }
  return { ok: true, status: response.status, blob: await response.blob(), error: null };
}

export const api = {
  submit: (job) => call('POST', '/jobs', job),
  job: (id) => call('GET', `/jobs/${encodeURIComponent(id)}`),
  jobs: (query) => call('GET', `/jobs?${new URLSearchParams(query)}`),
  callbacks: (id) => call('GET', `/jobs/${encodeURIComponent(id)}/callbacks`),
  failures: (id, from, limit) => call('GET', `/jobs/${encodeURIComponent(id)}/failures?from=${from}&limit=${limit}`),
  me: () => call('GET', '/me'),
  results: (id, format) => download(`/jobs/${encodeURIComponent(id)}/results`,
    format === 'csv' ? 'text/csv' : 'application/x-ndjson'),
  lastLog: (id) => call('GET', `/jobs/${encodeURIComponent(id)}/log/last`),
  log: (id, from, limit) => call('GET', `/jobs/${encodeURIComponent(id)}/log?from=${from}&limit=${limit}`),
  cancel: (id) => call('DELETE', `/jobs/${encodeURIComponent(id)}`),
  retryFailed: (id) => call('POST', `/jobs/${encodeURIComponent(id)}/retry-failed`),
  stats: () => call('GET', '/stats'),
  cluster: () => call('GET', '/cluster'),
  uiConfig: () => call('GET', '/ui/config'),
  schedules: () => call('GET', '/schedules'),
  schedule: (id) => call('GET', `/schedules/${encodeURIComponent(id)}`),
  createSchedule: (schedule) => call('POST', '/schedules', schedule),
  pauseSchedule: (id, paused) => call('PATCH', `/schedules/${encodeURIComponent(id)}`, { paused }),
  deleteSchedule: (id) => call('DELETE', `/schedules/${encodeURIComponent(id)}`),
};

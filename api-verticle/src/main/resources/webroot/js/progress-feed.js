// The live side of the page: one event-bus connection (the maintained SockJS and Vert.x bridge
// clients) to the progress bridge, opened again by itself after any drop. It remembers which
// jobs the page follows and subscribes to them again on every new connection; the bridge then
// sends each job's current snapshot at once, so nothing that happened meanwhile is missed.

import { session } from './session.js';

export class ProgressFeed {
  /**
   * @param addresses where the bridge publishes, as GET /ui/config gives them: {events, progressPrefix}
   * @param listeners {onState(state), onSnapshot(snapshot), onEvent(event)}; state is
   *   'connecting', 'live' or 'disconnected'
   */
  constructor(addresses, listeners) {
    this.addresses = addresses;
    this.listeners = listeners;
    /** Per job, who on the page wants it (the board, the dashboard, the job page). */
    this.followed = new Map();
    this.handlers = new Map();
    this.bus = null;
  }

  /** Connects to the bridge, e.g. https://host/eventbus; jobs followed before are subscribed then. */
  start(url) {
    // The client's own reconnect loop, with short delays: a restarted server is found in seconds.
    this.bus = new EventBus(url, {
      vertxbus_reconnect_delay_min: 500,
      vertxbus_reconnect_delay_max: 2000,
    });
    this.bus.enableReconnect(true);
    // The bridge checks the token on every subscription, as the API does on every call.
    this.bus.defaultHeaders = session.headers();
    this.bus.onopen = () => {
      // Handlers belong to one connection: the client forgets them when it reconnects.
      this.handlers.clear();
      this.bus.registerHandler(this.addresses.events, {}, (error, message) => {
        if (!error && message && message.body) {
          this.listeners.onEvent(message.body);
        }
      });
      this.followed.forEach((owners, jobId) => this.subscribe(jobId));
      this.listeners.onState('live');
    };
    this.bus.onclose = () => {
      this.handlers.clear();
      this.listeners.onState('disconnected');
    };
    this.bus.onerror = (error) => {
      console.warn('progress bridge error', error);
    };
    this.listeners.onState('connecting');
  }

  isLive() {
    return this.bus !== null && this.bus.state === EventBus.OPEN;
  }

  follow(jobId, owner = 'board') {
    if (!this.followed.has(jobId)) {
      this.followed.set(jobId, new Set());
    }
    this.followed.get(jobId).add(owner);
    if (this.isLive() && !this.handlers.has(jobId)) {
      this.subscribe(jobId);
    }
  }

  /** Stops following for this owner; the subscription ends when no one on the page wants it. */
  unfollow(jobId, owner = 'board') {
    const owners = this.followed.get(jobId);
    if (owners) {
      owners.delete(owner);
      if (owners.size > 0) {
        return;
      }
    }
    this.followed.delete(jobId);
    const handler = this.handlers.get(jobId);
    this.handlers.delete(jobId);
    if (handler && this.isLive()) {
      this.bus.unregisterHandler(this.progressAddress(jobId), {}, handler);
    }
  }

  subscribe(jobId) {
    const handler = (error, message) => {
      if (!error && message && message.body && message.body.jobId === jobId) {
        this.listeners.onSnapshot(message.body);
      }
    };
    this.handlers.set(jobId, handler);
    this.bus.registerHandler(this.progressAddress(jobId), {}, handler);
  }

  progressAddress(jobId) {
    return this.addresses.progressPrefix + jobId;
  }
}

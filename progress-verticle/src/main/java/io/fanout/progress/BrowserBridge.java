package io.fanout.progress;

import io.fanout.core.Addresses;
import io.fanout.core.auth.AccessRole;
import io.fanout.core.auth.Authenticator;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of the browsers' bridge beyond its address filter: nothing comes in (no send, no
 * publish, not even a reply), a subscription needs a token of role viewer or above (sent as the
 * register frame's {@code Authorization} header) when authentication is on, a socket never gets a
 * progress snapshot older than one it already has, and a browser that subscribes to a job gets
 * the job's current snapshot at once.
 *
 * <p>Every viewer may follow every job: the dashboard is an operator's view of the whole system,
 * and roles differ in what they may change, not in what they may read.
 */
final class BrowserBridge implements Handler<BridgeEvent> {
  private static final Logger LOG = LoggerFactory.getLogger(BrowserBridge.class);
  private static final Pattern PROGRESS = Pattern.compile(Addresses.PROGRESS_REGEX);
  private static final int JOB_ID_OFFSET = Addresses.progress("").length();

  /** Outbound only, to per-job progress and lifecycle events; no inbound address at all. */
  static final SockJSBridgeOptions OPTIONS = new SockJSBridgeOptions()
      .addOutboundPermitted(new PermittedOptions().setAddressRegex(Addresses.PROGRESS_REGEX))
      .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.EVENTS));

  private final ProgressStore store;
  private final Authenticator authenticator;
  /** Per open socket, the sequence number of the last snapshot it got, per progress address. */
  private final Map<SockJSSocket, Map<String, Long>> delivered = new HashMap<>();

  BrowserBridge(ProgressStore store, Authenticator authenticator) {
    this.store = store;
    this.authenticator = authenticator;
  }

  static boolean isPermitted(String address) {
    return address != null && (Addresses.EVENTS.equals(address) || PROGRESS.matcher(address).matches());
  }

  @Override
  public void handle(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    String address = event.getRawMessage() == null ? null : event.getRawMessage().getString("address");
    switch (event.type()) {
      case SEND, PUBLISH -> {
        LOG.debug("Refused {} from a browser to {}", event.type(), address);
        event.complete(false);
      }
      case REGISTER -> authorize(event, address);
      case REGISTERED -> {
        event.complete(true);
        sendCurrentSnapshot(socket, address);
      }
      case RECEIVE -> event.complete(isNewer(socket, address, event.getRawMessage().getValue("body")));
      case UNREGISTER -> {
        Map<String, Long> seqs = delivered.get(socket);
        if (seqs != null) {
          seqs.remove(address);
        }
        event.complete(true);
      }
      case SOCKET_CREATED -> {
        delivered.put(socket, new HashMap<>());
        event.complete(true);
      }
      case SOCKET_CLOSED, SOCKET_ERROR -> {
        delivered.remove(socket);
        event.complete(true);
      }
      default -> event.complete(true);
    }
  }

  /**
   * Checked once, when the browser subscribes: a token revoked later stops new subscriptions,
   * not the ones already open.
   */
  private void authorize(BridgeEvent event, String address) {
    if (!isPermitted(address)) {
      event.complete(false);
      return;
    }
    JsonObject headers = event.getRawMessage().getJsonObject("headers");
    String authorization = headers == null ? null : headers.getString("Authorization");
    authenticator.authenticate(authorization)
        .map(caller -> caller != null && caller.may(AccessRole.VIEWER))
        .onSuccess(allowed -> {
          if (!allowed) {
            LOG.debug("Refused a subscription to {} without a viewer's token", address);
          }
          event.complete(allowed);
        })
        .onFailure(failure -> {
          LOG.warn("Refused a subscription to {}: tokens could not be read ({})", address, failure.toString());
          event.complete(false);
        });
  }

  /** Whichever node the browser is on, its subscription starts from what Redis says now. */
  private void sendCurrentSnapshot(SockJSSocket socket, String address) {
    if (address == null || !PROGRESS.matcher(address).matches()) {
      return;
    }
    String jobId = address.substring(JOB_ID_OFFSET);
    store.current(jobId)
        .onSuccess(snapshot -> {
          JsonObject body = snapshot == null ? null : snapshot.toJson();
          if (body != null && isNewer(socket, address, body)) {
            socket.write(Buffer.buffer(new JsonObject().put("type", "rec").put("address", address).put("body", body)
                .encode()));
          }
        })
        .onFailure(failure -> LOG.warn("No current snapshot for a new subscriber to job {}: {}", jobId,
            failure.toString()));
  }

  /**
   * Snapshots reach a node from several publishers by several paths, so one may overtake
   * another; the socket keeps only those that move forward.
   */
  private boolean isNewer(SockJSSocket socket, String address, Object body) {
    if (address == null || !PROGRESS.matcher(address).matches()) {
      return true;
    }
    Map<String, Long> seqs = delivered.get(socket);
    if (seqs == null) {
      // The socket closed (or never opened through this bridge): nothing to deliver to.
      return false;
    }
    if (!(body instanceof JsonObject snapshot) || snapshot.getValue("seq") == null) {
      return false;
    }
    long seq = snapshot.getLong("seq");
    Long last = seqs.get(address);
    if (last != null && seq <= last) {
      return false;
    }
    seqs.put(address, seq);
    return true;
  }
}

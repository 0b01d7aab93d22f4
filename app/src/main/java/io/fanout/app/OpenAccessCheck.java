package io.fanout.app;

import io.fanout.core.Settings;
import io.fanout.core.SettingsRefusedException;
import io.fanout.core.auth.ConfiguredTokens;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

/**
 * Secure by default: an API or bridge with no token configured is open to whoever reaches it,
 * which is fine on loopback (one developer's machine) and nowhere else. Such a start is refused
 * before anything runs, with the settings that would fix it.
 */
final class OpenAccessCheck {
  private OpenAccessCheck() {}

  static void verify(Settings settings, Set<Role> roles) {
    // A bad entry is refused even on loopback: it would be a token nobody can use.
    boolean configured;
    try {
      configured = !ConfiguredTokens.read(settings).isEmpty();
    } catch (IllegalArgumentException e) {
      throw new SettingsRefusedException(e.getMessage());
    }
    boolean listens = roles.contains(Role.API) || roles.contains(Role.PROGRESS);
    String host = settings.string(Settings.HTTP_HOST);
    if (configured || !listens || isLoopback(host)) {
      return;
    }
    throw new SettingsRefusedException(Settings.HTTP_HOST + "=" + host + " is not a loopback address and no token"
        + " is configured, so anyone who reaches it could submit, cancel and pause everything; set "
        + Settings.AUTH_TOKENS + " (or " + Settings.AUTH_TOKENS_FILE + ") to name:role:sha256hex entries, at least"
        + " one of them an admin, or set " + Settings.HTTP_HOST + "=127.0.0.1");
  }

  private static boolean isLoopback(String host) {
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}

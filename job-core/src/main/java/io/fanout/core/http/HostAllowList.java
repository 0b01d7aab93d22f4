package io.fanout.core.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The hosts an {@code http} job may call, from {@code HTTP_TASK_ALLOWED_HOSTS}: comma-separated
 * patterns, each a host name or address ({@code api.partner.com}, {@code 10.1.2.3}), or a domain
 * and its subdomains ({@code *.partner.com}), optionally with a port ({@code 127.0.0.1:8443}).
 * Empty allows nothing, so a fresh install cannot be made to call its own network.
 */
public final class HostAllowList {
  private record Pattern(String host, boolean subdomains, int port) {
    boolean matches(String candidateHost, int candidatePort) {
      if (port >= 0 && port != candidatePort) {
        return false;
      }
      return subdomains ? candidateHost.endsWith("." + host) : candidateHost.equals(host);
    }
  }

  private final List<Pattern> patterns;

  private HostAllowList(List<Pattern> patterns) {
    this.patterns = patterns;
  }

  public static HostAllowList of(List<String> entries) {
    return new HostAllowList(entries.stream().map(HostAllowList::pattern).toList());
  }

  private static Pattern pattern(String entry) {
    String text = entry.trim().toLowerCase(Locale.ROOT);
    int port = -1;
    int colon = text.lastIndexOf(':');
    if (colon > 0 && !text.endsWith("]") && text.indexOf(':') == colon) {
      port = Integer.parseInt(text.substring(colon + 1));
      text = text.substring(0, colon);
    }
    boolean subdomains = text.startsWith("*.");
    return new Pattern(subdomains ? text.substring(2) : text, subdomains, port);
  }

  public boolean isEmpty() {
    return patterns.isEmpty();
  }

  /** Whether the URL's host (and port, where a pattern names one) is on the list. */
  public boolean allows(URI url) {
    String host = url.getHost();
    if (host == null) {
      return false;
    }
    String lowered = host.toLowerCase(Locale.ROOT);
    int port = url.getPort() >= 0 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    return patterns.stream().anyMatch(pattern -> pattern.matches(lowered, port));
  }
}

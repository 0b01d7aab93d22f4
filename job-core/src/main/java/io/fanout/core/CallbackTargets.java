package io.fanout.core;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which URLs a job may name as its {@code callbackUrl}, so that a submitter cannot make Fanout
 * call addresses inside its network. With {@code CALLBACK_ALLOWED_HOSTS} set, only the hosts it
 * lists ({@code hooks.example.com}, {@code *.example.com}, an IP literal, or {@code *} for any);
 * with it empty, any host whose every address is public: loopback, private, link-local,
 * unique-local, multicast and unspecified addresses are refused. A name is checked twice: its
 * shape when the job is submitted, and its addresses when the webhook is sent.
 */
public final class CallbackTargets {
  private static final int MAX_URL_LENGTH = 2048;

  private final List<String> allowedHosts;

  public CallbackTargets(List<String> allowedHosts) {
    this.allowedHosts = allowedHosts.stream().map(host -> host.toLowerCase(Locale.ROOT)).toList();
  }

  public static CallbackTargets from(Settings settings) {
    return new CallbackTargets(settings.list(Settings.CALLBACK_ALLOWED_HOSTS));
  }

  /** Why {@code url} may not be a callback target, or null when it may, as far as can be told without DNS. */
  public String refusal(String url) {
    if (url.length() > MAX_URL_LENGTH) {
      return "callbackUrl must be at most " + MAX_URL_LENGTH + " characters";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "callbackUrl is not a URL: " + e.getReason();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      return "callbackUrl must be an absolute http or https URL with a host";
    }
    if (uri.getRawUserInfo() != null) {
      return "callbackUrl must not carry credentials; the webhook is signed instead";
    }
    String host = host(uri);
    if (!allowedHosts.isEmpty()) {
      return isListed(host) ? null
          : "callbackUrl's host '" + host + "' is not in CALLBACK_ALLOWED_HOSTS (" + String.join(", ", allowedHosts) + ")";
    }
    if (host.equals("localhost") || host.endsWith(".localhost")) {
      return "callbackUrl's host '" + host + "' is internal; an operator can allow it in CALLBACK_ALLOWED_HOSTS";
    }
    InetAddress literal = literalAddress(host);
    if (literal != null && isInternal(literal)) {
      return "callbackUrl's address " + host + " is internal; an operator can allow it in CALLBACK_ALLOWED_HOSTS";
    }
    return null;
  }

  /**
   * Why the addresses {@code host} resolved to may not be called, or null when they may. Listed
   * hosts may resolve anywhere: the operator named them.
   */
  public String refusal(String host, InetAddress[] addresses) {
    if (!allowedHosts.isEmpty()) {
      return isListed(host.toLowerCase(Locale.ROOT)) ? null : "host " + host + " is not in CALLBACK_ALLOWED_HOSTS";
    }
    for (InetAddress address : addresses) {
      if (isInternal(address)) {
        return "host " + host + " resolves to the internal address " + address.getHostAddress();
      }
    }
    return null;
  }

  /** The URL's host in lower case, without the brackets of an IPv6 literal. */
  public static String host(URI uri) {
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private boolean isListed(String host) {
    for (String allowed : allowedHosts) {
      if (allowed.equals("*") || allowed.equals(host)
          || allowed.startsWith("*.") && host.endsWith(allowed.substring(1))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isInternal(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
        || address.isSiteLocalAddress() || address.isMulticastAddress()) {
      return true;
    }
    byte[] bytes = address.getAddress();
    if (address instanceof Inet6Address) {
      // fc00::/7, unique local: IPv6's private range, which isSiteLocalAddress does not cover.
      return (bytes[0] & 0xfe) == 0xfc;
    }
    // 100.64.0.0/10 (carrier-grade NAT) is no more public than 10/8.
    return (bytes[0] & 0xff) == 100 && (bytes[1] & 0xc0) == 64;
  }

  /** The address an IP literal names, or null for a name (never a DNS query). */
  private static InetAddress literalAddress(String host) {
    boolean ipv4 = host.matches("[0-9.]+");
    boolean ipv6 = host.contains(":");
    if (!ipv4 && !ipv6) {
      return null;
    }
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}

package io.fanout.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.fanout.core.Settings;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.UnknownHostException;
import java.util.List;

/**
 * How a process finds its cluster: {@code conf/cluster.xml} (TCP-IP join, no multicast), with the
 * name, port, members and interface overridden by settings, so that containers can name each
 * other and tests can run clusters side by side without meeting.
 */
public final class ClusterJoin {
  /** Hazelcast binds every interface unless told otherwise, even with one interface named. */
  public static final String BIND_ANY = "hazelcast.socket.bind.any";
  static final String LOG_DETAILS = "hazelcast.logging.details.enabled";

  private ClusterJoin() {}

  /** A fresh Hazelcast configuration for one node: cluster.xml, then the CLUSTER_* settings. */
  public static Config hazelcastConfig(Settings settings) {
    Config config = ConfigUtil.loadConfig();
    String name = settings.optionalString(Settings.CLUSTER_NAME);
    if (name != null) {
      config.setClusterName(name);
    }
    String secret = settings.optionalString(Settings.CLUSTER_SECRET);
    if (secret != null) {
      config.setClusterName(keyedName(config.getClusterName(), secret));
      // Hazelcast prefixes its log lines with the cluster name, which is now what admits a node.
      config.setProperty(LOG_DETAILS, "false");
    }
    NetworkConfig network = config.getNetworkConfig();
    int port = settings.integer(Settings.CLUSTER_PORT);
    if (port > 0) {
      // Auto-increment stays on: nodes on one machine take the ports after this one.
      network.setPort(port);
    }
    List<String> members = settings.list(Settings.CLUSTER_MEMBERS);
    JoinConfig join = network.getJoin();
    if (!members.isEmpty()) {
      join.getMulticastConfig().setEnabled(false);
      join.getAutoDetectionConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(members);
    }
    String address = bindAddress(settings);
    if (address == null) {
      // Let Hazelcast pick this machine's address, as a container must (its address is not known in advance).
      network.getInterfaces().setEnabled(false).clear();
    } else {
      network.getInterfaces().setEnabled(true).clear().addInterface(address);
      config.setProperty(BIND_ANY, "false");
    }
    return config;
  }

  /**
   * The cluster name a node with CLUSTER_SECRET joins under: the name and an HMAC of it keyed by
   * the secret. Open-source Hazelcast admits a member whose cluster name matches and checks no
   * credential, so the secret goes into the name; the secret itself never leaves the process
   * (only its HMAC is on the wire), and a node without it, or with another, is refused.
   */
  static String keyedName(String name, String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return name + "." + HexFormat.of().formatHex(mac.doFinal(name.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JVM has HmacSHA256", e);
    }
  }

  /**
   * The IP address this node binds its cluster port and event bus to and announces to the
   * others: CLUSTER_HOST resolved, or null (empty setting) to let Hazelcast choose.
   */
  public static String bindAddress(Settings settings) {
    String host = settings.optionalString(Settings.CLUSTER_HOST);
    if (host == null) {
      return null;
    }
    try {
      // Hazelcast's interface list takes addresses, not names.
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("CLUSTER_HOST '" + host + "' does not resolve to an address", e);
    }
  }
}

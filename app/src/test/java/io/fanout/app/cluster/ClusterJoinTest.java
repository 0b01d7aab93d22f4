package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import io.fanout.app.ClusterJoin;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The Hazelcast join comes from conf/cluster.xml, overridden by the CLUSTER_* settings")
class ClusterJoinTest {

  @Test
  @DisplayName("with the settings empty, cluster.xml's loopback TCP-IP join is used as it is")
  void defaultsAreClusterXml() {
    Config config = ClusterJoin.hazelcastConfig(settings("", 0, "", "127.0.0.1"));

    assertThat(config.getClusterName()).isEqualTo("fanout");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5701);
    assertThat(config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).containsExactly("127.0.0.1");
    assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertThat(config.getProperty(ClusterJoin.BIND_ANY)).as("bound to that address only").isEqualTo("false");
    assertThat(config.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
  }

  @Test
  @DisplayName("containers name their cluster's members and let Hazelcast pick their own address")
  void containersNameEachOther() {
    Config config = ClusterJoin.hazelcastConfig(settings("prod", 5801, "api, progress,worker", ""));

    assertThat(config.getClusterName()).isEqualTo("prod");
    assertThat(config.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(config.getNetworkConfig().isPortAutoIncrement()).isTrue();
    assertThat(config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("api", "progress", "worker");
    assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
    assertThat(ClusterJoin.bindAddress(settings("prod", 5801, "api", ""))).isNull();
  }

  @Test
  @DisplayName("a host name is resolved to the address Hazelcast and the event bus bind, and a bad one is refused")
  void hostNamesResolve() {
    assertThat(ClusterJoin.bindAddress(settings("", 0, "", "localhost"))).isEqualTo("127.0.0.1");
    assertThatThrownBy(() -> ClusterJoin.hazelcastConfig(settings("", 0, "", "no-such-host.invalid")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CLUSTER_HOST");
  }

  private static Settings settings(String name, int port, String members, String host) {
    return new Settings(new JsonObject()
        .put(Settings.CLUSTER_NAME, name)
        .put(Settings.CLUSTER_PORT, port)
        .put(Settings.CLUSTER_MEMBERS, members)
        .put(Settings.CLUSTER_HOST, host));
  }
}

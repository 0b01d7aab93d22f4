package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.fanout.app.ClusterJoin;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Real Hazelcast members on loopback, joining through the first one's port as Fanout nodes do. */
@DisplayName("With CLUSTER_SECRET only nodes that know the secret join the cluster")
class ClusterSecretTest {
  private final String name = "secret-" + UUID.randomUUID();
  private final List<HazelcastInstance> started = new ArrayList<>();

  @AfterEach
  void stop() {
    started.forEach(HazelcastInstance::shutdown);
  }

  @Test
  @DisplayName("a node with the same secret joins; one with another secret, or none, stays alone")
  void wrongSecretDoesNotJoin() throws IOException {
    int port = freePort();
    HazelcastInstance first = member(port, "s3cret-shared");

    HazelcastInstance same = member(port, "s3cret-shared");
    HazelcastInstance wrong = member(port, "not-the-secret");
    HazelcastInstance none = member(port, "");

    assertThat(first.getCluster().getMembers()).as("the first node's cluster")
        .containsExactlyInAnyOrder(first.getCluster().getLocalMember(), same.getCluster().getLocalMember());
    assertThat(wrong.getCluster().getMembers()).as("the node with another secret").hasSize(1);
    assertThat(none.getCluster().getMembers()).as("the node without a secret").hasSize(1);
  }

  @Test
  @DisplayName("the secret is not in the cluster name Hazelcast sends, and names differ per secret")
  void secretStaysLocal() {
    String keyed = ClusterJoin.hazelcastConfig(settings(5701, "s3cret-shared")).getClusterName();

    assertThat(keyed).startsWith(name + ".").doesNotContain("s3cret-shared");
    assertThat(ClusterJoin.hazelcastConfig(settings(5701, "other")).getClusterName()).isNotEqualTo(keyed);
    assertThat(ClusterJoin.hazelcastConfig(settings(5701, "")).getClusterName()).isEqualTo(name);
  }

  /** Starts a member; Hazelcast returns once it has joined a cluster or, finding none it may join, made its own. */
  private HazelcastInstance member(int port, String secret) {
    HazelcastInstance member = Hazelcast.newHazelcastInstance(ClusterJoin.hazelcastConfig(settings(port, secret)));
    started.add(member);
    return member;
  }

  private Settings settings(int port, String secret) {
    return new Settings(new JsonObject()
        .put(Settings.CLUSTER_NAME, name)
        .put(Settings.CLUSTER_PORT, port)
        .put(Settings.CLUSTER_MEMBERS, "127.0.0.1:" + port)
        .put(Settings.CLUSTER_HOST, "127.0.0.1")
        .put(Settings.CLUSTER_SECRET, secret));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

package io.fanout.core;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.admin.KafkaAdminClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * A verticle's Kafka admin client. Most calls go through Vert.x's client; topics are created with
 * Kafka's own, because Vert.x's {@code NewTopic} cannot leave the replication factor out, and a
 * topic made without one takes the cluster's {@code default.replication.factor} (and, with it,
 * the cluster's {@code min.insync.replicas}), as an operator of a replicated Kafka expects.
 * {@code TOPIC_REPLICATION_FACTOR} overrides it when set.
 */
public final class TopicAdmin {
  private final Context context;
  private final AdminClient kafka;
  private final KafkaAdminClient client;
  private final Optional<Short> replicationFactor;

  private TopicAdmin(Context context, AdminClient kafka, KafkaAdminClient client, Optional<Short> replicationFactor) {
    this.context = context;
    this.kafka = kafka;
    this.client = client;
    this.replicationFactor = replicationFactor;
  }

  /** Created on the verticle's context: answers of {@link #createTopics} come back on it. */
  public static TopicAdmin create(Vertx vertx, Settings settings, String clientId) {
    AdminClient kafka = AdminClient.create(Map.copyOf(KafkaClients.admin(settings, clientId)));
    return new TopicAdmin(vertx.getOrCreateContext(), kafka, KafkaAdminClient.create(vertx, kafka),
        settings.topicReplicationFactor());
  }

  public KafkaAdminClient client() {
    return client;
  }

  /** Kafka's own face of the same client, for what Vert.x's does not say (leaderless partitions). */
  public AdminClient kafka() {
    return kafka;
  }

  /**
   * Creates the topics (name to partition count) with the replication factor above; a topic that
   * is there already counts as created, so a resumed job or a second worker need not ask first.
   */
  public Future<Void> createTopics(Map<String, Integer> partitionsByTopic) {
    List<NewTopic> topics = partitionsByTopic.entrySet().stream()
        .map(topic -> new NewTopic(topic.getKey(), Optional.of(topic.getValue()), replicationFactor)
            .configs(Topics.configOf(topic.getKey())))
        .toList();
    List<Future<Void>> created = kafka.createTopics(topics).values().values().stream()
        .map(each -> KafkaFutures.on(context, each)
            .recover(failure -> failure instanceof TopicExistsException
                ? Future.succeededFuture()
                : Future.failedFuture(failure)))
        .toList();
    return Future.all(created).mapEmpty();
  }

  /**
   * Deletes the topics; one that is not there counts as deleted, so a sweep that died halfway
   * can simply do it all again.
   */
  public Future<Void> deleteTopics(List<String> topics) {
    List<Future<Void>> deleted = kafka.deleteTopics(topics).topicNameValues().values().stream()
        .map(each -> KafkaFutures.on(context, each)
            .recover(failure -> failure instanceof UnknownTopicOrPartitionException
                ? Future.succeededFuture()
                : Future.failedFuture(failure)))
        .toList();
    return Future.all(deleted).mapEmpty();
  }

  /** Kafka's descriptions of the topics, which (unlike Vert.x's) can say a partition has no leader. */
  public Future<Map<String, TopicDescription>> describeTopics(List<String> topics) {
    return KafkaFutures.on(context, kafka.describeTopics(topics).allTopicNames());
  }

  /** Closes both faces of the client (Vert.x's closes Kafka's). */
  public Future<Void> close() {
    return client.close();
  }
}

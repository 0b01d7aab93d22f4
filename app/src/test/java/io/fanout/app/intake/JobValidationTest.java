package io.fanout.app.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refusal of the API: its status, its error body naming the problem, and no trace of it in
 * Redis. The API runs alone on its own Redis database, so any key a refused request wrote shows.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Bad input is refused with a clear 4xx and stores nothing")
class JobValidationTest {
  private static final int REDIS_DB = 1;
  private static final String JSON = "application/json";
  private static final String NDJSON = "application/x-ndjson";

  private static FanoutUnderTest api;
  private static RedisProbe redis;

  @BeforeAll
  static void start() {
    api = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.ROLES, "api")
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.MAX_TASKS_PER_JOB, 1000)
        .put(Settings.MAX_ITEMS_PER_JOB, 5)
        .put(Settings.MAX_ITEM_BYTES, 100)
        .put(Settings.MAX_BODY_BYTES, 4096));
    redis = new RedisProbe(api.app().vertx(), SharedBackends.redisUrl(REDIS_DB));
    redis.flush();
  }

  @AfterAll
  static void stop() {
    redis.close();
    api.close();
  }

  /** A request, what the API must answer, and the field it must name (null for none). */
  record Case(String name, HttpMethod method, String path, String contentType, String body, int status,
      String code, String field) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> refusals() {
    String unknownId = "/jobs/00000000-0000-4000-8000-000000000000";
    return Stream.of(
        post("malformed JSON", "{\"type\": ", 400, "malformed_json", null),
        post("a JSON array instead of an object", "[1, 2]", 400, "malformed_json", null),
        post("an empty body", "", 400, "malformed_json", null),
        new Case("a body that is not JSON", HttpMethod.POST, "/jobs", "text/plain", "type=count", 415,
            "unsupported_media_type", null),
        post("no type", "{\"count\": 3}", 400, "invalid_field", "type"),
        post("type of the wrong JSON type", "{\"type\": 7, \"count\": 3}", 400, "invalid_field", "type"),
        post("an unknown task type", "{\"type\": \"mine-bitcoin\", \"count\": 3}", 400, "invalid_field", "type"),
        post("a resultsTopic Kafka would refuse", "{\"type\": \"count\", \"count\": 3, \"resultsTopic\": \"my results\"}",
            400, "invalid_field", "resultsTopic"),
        post("a resultsTopic among Fanout's own topics", "{\"type\": \"count\", \"count\": 3, \"resultsTopic\": \"job.x.log\"}",
            400, "invalid_field", "resultsTopic"),
        post("a resultsTopic longer than Kafka allows", "{\"type\": \"count\", \"count\": 3, \"resultsTopic\": \""
            + "r".repeat(250) + "\"}", 400, "invalid_field", "resultsTopic"),
        post("a payload that is not an object", "{\"type\": \"count\", \"count\": 3, \"payload\": \"x\"}", 400,
            "invalid_field", "payload"),
        post("neither count nor items", "{\"type\": \"count\"}", 400, "invalid_field", "count"),
        post("both count and items", "{\"type\": \"sha256\", \"count\": 2, \"items\": [\"a\"]}", 400,
            "invalid_field", "items"),
        post("a negative count", "{\"type\": \"count\", \"count\": -5}", 400, "invalid_field", "count"),
        post("a zero count", "{\"type\": \"count\", \"count\": 0}", 400, "invalid_field", "count"),
        post("a count over the limit", "{\"type\": \"count\", \"count\": 1001}", 400, "invalid_field", "count"),
        post("a count far beyond a long", "{\"type\": \"count\", \"count\": 123456789012345678901234567890}", 400,
            "invalid_field", "count"),
        post("a count given as a string", "{\"type\": \"count\", \"count\": \"10\"}", 400, "invalid_field", "count"),
        post("a fractional count", "{\"type\": \"count\", \"count\": 1.5}", 400, "invalid_field", "count"),
        post("items that are not an array", "{\"type\": \"sha256\", \"items\": {\"a\": 1}}", 400, "invalid_field",
            "items"),
        post("an empty items array", "{\"type\": \"sha256\", \"items\": []}", 400, "invalid_field", "items"),
        post("too many items", "{\"type\": \"sha256\", \"items\": [1, 2, 3, 4, 5, 6]}", 400, "invalid_field",
            "items"),
        post("a count on a one-task type", "{\"type\": \"compute\", \"count\": 2, \"payload\": {\"input\": \"x\"}}",
            400, "invalid_field", "count"),
        post("an unknown field", "{\"type\": \"count\", \"count\": 2, \"colour\": \"red\"}", 400, "invalid_field",
            "colour"),
        post("partitions out of range", "{\"type\": \"count\", \"count\": 2, \"partitions\": 0}", 400,
            "invalid_field", "partitions"),
        post("priority out of range", "{\"type\": \"count\", \"count\": 2, \"priority\": 5000}", 400,
            "invalid_field", "priority"),
        post("a negative delay", "{\"type\": \"count\", \"count\": 2, \"delayMs\": -1}", 400, "invalid_field",
            "delayMs"),
        post("zero attempts", "{\"type\": \"count\", \"count\": 2, \"maxAttempts\": 0}", 400, "invalid_field",
            "maxAttempts"),
        post("an idempotency key that is not a string", "{\"type\": \"count\", \"count\": 2, \"idempotencyKey\": 4}",
            400, "invalid_field", "idempotencyKey"),
        post("a body over the size limit", "{\"type\": \"count\", \"count\": 2, \"payload\": {\"pad\": \""
            + "x".repeat(5000) + "\"}}", 413, "body_too_large", null),
        ndjson("an upload whose first line is not JSON", "nope\n\"a\"\n", 400, "malformed_ndjson", null),
        ndjson("an upload with an invalid item", "{\"type\": \"sha256\"}\n\"a\"\n{oops\n", 400, "invalid_field",
            "items"),
        ndjson("an upload with no items", "{\"type\": \"sha256\"}\n", 400, "invalid_field", "items"),
        ndjson("an empty upload", "", 400, "malformed_ndjson", null),
        ndjson("an upload with too many items", "{\"type\": \"sha256\"}\n1\n2\n3\n4\n5\n6\n", 400, "invalid_field",
            "items"),
        ndjson("an upload whose job line has a count", "{\"type\": \"sha256\", \"count\": 3}\n1\n", 400,
            "invalid_field", "count"),
        ndjson("an upload with an item over the size limit", "{\"type\": \"sha256\"}\n\"" + "y".repeat(300)
            + "\"\n", 413, "item_too_large", "items"),
        request("an unknown job", HttpMethod.GET, unknownId, 404, "not_found"),
        request("a job id of the wrong shape", HttpMethod.GET, "/jobs/not-a-job", 404, "not_found"),
        request("cancelling an unknown job", HttpMethod.DELETE, unknownId, 404, "not_found"),
        request("the last log of an unknown job", HttpMethod.GET, unknownId + "/log/last", 404, "not_found"),
        request("the log of an unknown job", HttpMethod.GET, unknownId + "/log", 404, "not_found"),
        new Case("patching an unknown job", HttpMethod.PATCH, unknownId, JSON, "{\"priority\": 3}", 404,
            "not_found", null),
        new Case("an unknown status filter", HttpMethod.GET, "/jobs?status=sleeping", null, null, 400,
            "invalid_field", "status"),
        new Case("a page size of zero", HttpMethod.GET, "/jobs?limit=0", null, null, 400, "invalid_field", "limit"),
        new Case("an unknown route", HttpMethod.GET, "/nope/nothing", null, null, 404, "not_found", null))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  @DisplayName("refused, named, and not stored")
  void refused(Case refusal) {
    Set<String> keysBefore = redis.storedKeys();

    HttpResponse<Buffer> response = send(refusal);

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(refusal.status());
    assertThat(response.getHeader("Content-Type")).startsWith(JSON);
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo(refusal.code());
    assertThat(error.getString("message")).isNotBlank();
    assertThat(error.getString("field")).isEqualTo(refusal.field());
    assertThat(redis.storedKeys()).as("keys in Redis after the refusal").isEqualTo(keysBefore);
    assertThat(redis.keys("upload:*")).as("staged items left behind").isEmpty();
  }


  private static HttpResponse<Buffer> send(Case refusal) {
    var request = api.http().request(refusal.method(), refusal.path());
    if (refusal.contentType() != null) {
      request.putHeader("Content-Type", refusal.contentType());
    }
    return Await.result(refusal.body() == null ? request.send() : request.sendBuffer(Buffer.buffer(refusal.body())));
  }

  private static Case post(String name, String body, int status, String code, String field) {
    return new Case(name, HttpMethod.POST, "/jobs", JSON, body, status, code, field);
  }

  private static Case ndjson(String name, String body, int status, String code, String field) {
    return new Case(name, HttpMethod.POST, "/jobs", NDJSON, body, status, code, field);
  }

  private static Case request(String name, HttpMethod method, String path, int status, String code) {
    return new Case(name, method, path, null, null, status, code, null);
  }
}

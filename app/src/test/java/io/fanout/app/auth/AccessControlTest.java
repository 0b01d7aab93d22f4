package io.fanout.app.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.Tokens;
import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.auth.TokenHash;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(SharedBackends.class)
@DisplayName("Tokens and roles guard every route of the API: 401 without a known token, 403 below the route's role")
class AccessControlTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
  /** Queued and never started within the test: a job there is to be changed. */
  private static final long HOUR_MS = 3_600_000;

  private static FanoutUnderTest fanout;
  private static RedisProbe redis;
  /** A finished job of alice's, for the read routes. */
  private static String finished;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.AUTH_TOKENS, Tokens.AUTH_TOKENS));
    redis = new RedisProbe(fanout.app().vertx(), SharedBackends.redisUrl());
    finished = submit(Tokens.ALICE, new JsonObject().put("type", "compute")
        .put("payload", new JsonObject().put("input", "access")));
    awaitStatus(finished, JobState.COMPLETED);
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
    if (fanout != null) {
      fanout.close();
    }
  }

  static Stream<Arguments> readRoutes() {
    return Stream.of("/jobs", "/jobs?status=completed&type=compute", "/jobs/{id}", "/jobs/{id}/log/last",
        "/jobs/{id}/log", "/jobs/{id}/failures", "/jobs/{id}/callbacks", "/schedules", "/stats", "/cluster", "/me")
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "GET {0}")
  @MethodSource("readRoutes")
  @DisplayName("read routes: no token 401 with a challenge, every role 200")
  void readRoutesNeedAViewer(String route) {
    String path = route.replace("{id}", finished);

    HttpResponse<Buffer> anonymous = call(HttpMethod.GET, path, null, null);
    assertUnauthorized(anonymous);
    assertUnauthorized(call(HttpMethod.GET, path, TokenHash.newToken(), null));
    for (String token : List.of(Tokens.VIEWER, Tokens.BOB, Tokens.ALICE, Tokens.ADMIN)) {
      assertThat(call(HttpMethod.GET, path, token, null).statusCode()).as("GET %s", path).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("/me names the caller's token and role")
  void meNamesTheCaller() {
    JsonObject me = call(HttpMethod.GET, "/me", Tokens.VIEWER, null).bodyAsJsonObject();

    assertThat(me.getString("name")).isEqualTo("vera");
    assertThat(me.getString("role")).isEqualTo("viewer");
    assertThat(me.getBoolean("authRequired")).isTrue();
  }

  @Test
  @DisplayName("POST /jobs: submitters and admins 202 with the submitter recorded; a refused one stores nothing")
  void submittingNeedsASubmitter() {
    String key = "refused-" + UUID.randomUUID();
    JsonObject job = new JsonObject().put("type", "count").put("count", 1).put("delayMs", HOUR_MS)
        .put("idempotencyKey", key);
    long jobsBefore = allJobs();

    assertUnauthorized(call(HttpMethod.POST, "/jobs", null, job));
    assertForbidden(call(HttpMethod.POST, "/jobs", Tokens.VIEWER, job));
    HttpResponse<Buffer> upload = Await.result(bearer(fanout.http().post("/jobs"), Tokens.VIEWER)
        .putHeader("Content-Type", "application/x-ndjson")
        .sendBuffer(Buffer.buffer("{\"type\":\"sha256\"}\n\"a\"\n\"b\"\n")));
    assertForbidden(upload);

    assertThat(allJobs()).as("jobs stored by refused submissions").isEqualTo(jobsBefore);
    assertThat(redis.send(Command.EXISTS, RedisKeys.idempotency(key)).toInteger()).isZero();

    HttpResponse<Buffer> accepted = call(HttpMethod.POST, "/jobs", Tokens.ALICE, job);
    assertThat(accepted.statusCode()).isEqualTo(202);
    String id = accepted.bodyAsJsonObject().getString("jobId");
    assertThat(call(HttpMethod.GET, "/jobs/" + id, Tokens.VIEWER, null).bodyAsJsonObject().getString("submittedBy"))
        .isEqualTo("alice");
    assertThat(call(HttpMethod.POST, "/jobs", Tokens.ADMIN, job.copy().put("idempotencyKey", key + "-admin"))
        .statusCode()).isEqualTo(202);
    call(HttpMethod.DELETE, "/jobs/" + id, Tokens.ADMIN, null);
  }

  @Test
  @DisplayName("DELETE /jobs/<id>: the submitter and an admin cancel, another submitter and a viewer get 403 and change nothing")
  void cancellingNeedsTheOwnerOrAnAdmin() {
    String own = delayedJobOf(Tokens.ALICE);
    String path = "/jobs/" + own;

    assertUnauthorized(call(HttpMethod.DELETE, path, null, null));
    assertForbidden(call(HttpMethod.DELETE, path, Tokens.VIEWER, null));
    assertForbidden(call(HttpMethod.DELETE, path, Tokens.BOB, null));
    assertThat(status(own)).isEqualTo("queued");

    assertThat(call(HttpMethod.DELETE, path, Tokens.ALICE, null).statusCode()).isEqualTo(200);
    assertThat(status(own)).isEqualTo("cancelled");
    String other = delayedJobOf(Tokens.ALICE);
    assertThat(call(HttpMethod.DELETE, "/jobs/" + other, Tokens.ADMIN, null).statusCode()).isEqualTo(200);
    assertThat(status(other)).isEqualTo("cancelled");
  }

  @Test
  @DisplayName("PATCH /jobs/<id>: the submitter and an admin change the priority, others get 403 and change nothing")
  void reprioritisingNeedsTheOwnerOrAnAdmin() {
    String own = delayedJobOf(Tokens.ALICE);
    String path = "/jobs/" + own;

    assertUnauthorized(call(HttpMethod.PATCH, path, null, new JsonObject().put("priority", 5)));
    assertForbidden(call(HttpMethod.PATCH, path, Tokens.VIEWER, new JsonObject().put("priority", 5)));
    assertForbidden(call(HttpMethod.PATCH, path, Tokens.BOB, new JsonObject().put("priority", 5)));
    assertThat(job(own).getInteger("priority")).isZero();

    assertThat(call(HttpMethod.PATCH, path, Tokens.ALICE, new JsonObject().put("priority", 5)).statusCode())
        .isEqualTo(200);
    assertThat(call(HttpMethod.PATCH, path, Tokens.ADMIN, new JsonObject().put("priority", 7)).statusCode())
        .isEqualTo(200);
    assertThat(job(own).getInteger("priority")).isEqualTo(7);
    call(HttpMethod.DELETE, path, Tokens.ADMIN, null);
  }

  @Test
  @DisplayName("POST /jobs/<id>/retry-failed: the submitter and an admin retry, others get 403 and nothing is queued")
  void retryingNeedsTheOwnerOrAnAdmin() {
    String failed = submit(Tokens.ALICE, new JsonObject().put("type", "fail").put("count", 1).put("maxAttempts", 1)
        .put("payload", new JsonObject().put("p", 1.0)));
    awaitStatus(failed, JobState.FAILED);
    String path = "/jobs/" + failed + "/retry-failed";

    assertUnauthorized(call(HttpMethod.POST, path, null, null));
    assertForbidden(call(HttpMethod.POST, path, Tokens.VIEWER, null));
    assertForbidden(call(HttpMethod.POST, path, Tokens.BOB, null));
    assertThat(status(failed)).isEqualTo("failed");

    assertThat(call(HttpMethod.POST, path, Tokens.ALICE, null).statusCode()).isEqualTo(202);
    awaitStatus(failed, JobState.FAILED);
    assertThat(call(HttpMethod.POST, path, Tokens.ADMIN, null).statusCode()).isEqualTo(202);
    awaitStatus(failed, JobState.FAILED);
  }

  @Test
  @DisplayName("POST /workers/pause and /resume: admins only; a refused pause pauses nothing")
  void pausingNeedsAnAdmin() {
    for (String route : List.of("/workers/pause", "/workers/resume")) {
      assertUnauthorized(call(HttpMethod.POST, route, null, null));
      assertForbidden(call(HttpMethod.POST, route, Tokens.VIEWER, null));
      assertForbidden(call(HttpMethod.POST, route, Tokens.ALICE, null));
      assertThat(redis.send(Command.EXISTS, RedisKeys.WORKERS_PAUSED).toInteger()).as("paused by %s", route).isZero();
    }
    assertThat(call(HttpMethod.POST, "/workers/pause", Tokens.ADMIN, null).statusCode()).isEqualTo(200);
    assertThat(redis.send(Command.EXISTS, RedisKeys.WORKERS_PAUSED).toInteger()).isOne();
    assertThat(call(HttpMethod.POST, "/workers/resume", Tokens.ADMIN, null).statusCode()).isEqualTo(200);
    assertThat(redis.send(Command.EXISTS, RedisKeys.WORKERS_PAUSED).toInteger()).isZero();
  }

  @Test
  @DisplayName("/tokens: admins create (the token shown once), list (no secret) and revoke; a revoked token gets 401")
  void tokensAreAnAdminsAndRevocable() {
    String name = "carol-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject request = new JsonObject().put("name", name).put("role", "submitter");
    for (String token : List.of(Tokens.VIEWER, Tokens.ALICE)) {
      assertForbidden(call(HttpMethod.POST, "/tokens", token, request));
      assertForbidden(call(HttpMethod.GET, "/tokens", token, null));
      assertForbidden(call(HttpMethod.DELETE, "/tokens/" + name, token, null));
    }
    assertUnauthorized(call(HttpMethod.POST, "/tokens", null, request));
    assertThat(call(HttpMethod.GET, "/tokens", Tokens.ADMIN, null).bodyAsString()).doesNotContain(name);

    HttpResponse<Buffer> created = call(HttpMethod.POST, "/tokens", Tokens.ADMIN, request);
    assertThat(created.statusCode()).isEqualTo(201);
    String carol = created.bodyAsJsonObject().getString("token");
    assertThat(call(HttpMethod.POST, "/tokens", Tokens.ADMIN, request).statusCode()).as("same name again")
        .isEqualTo(409);

    String listing = call(HttpMethod.GET, "/tokens", Tokens.ADMIN, null).bodyAsString();
    assertThat(listing).contains(name, "submitter").doesNotContain(carol, TokenHash.of(carol));
    assertThat(redis.send(Command.HGETALL, RedisKeys.TOKENS).toString()).doesNotContain(carol);
    String id = submit(carol, new JsonObject().put("type", "count").put("count", 1).put("delayMs", HOUR_MS));
    assertThat(job(id).getString("submittedBy")).isEqualTo(name);
    assertForbidden(call(HttpMethod.DELETE, "/jobs/" + id, Tokens.ALICE, null));
    assertThat(call(HttpMethod.DELETE, "/jobs/" + id, carol, null).statusCode()).isEqualTo(200);

    assertThat(call(HttpMethod.DELETE, "/tokens/" + name, Tokens.ADMIN, null).statusCode()).isEqualTo(200);
    assertUnauthorized(call(HttpMethod.GET, "/jobs", carol, null));
    assertThat(call(HttpMethod.DELETE, "/tokens/" + name, Tokens.ADMIN, null).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("schedules: a submitter makes them, only its owner or an admin changes them; refusals store nothing")
  void schedulesNeedASubmitterAndTheOwner() {
    // Paused: nothing of this test should fire on the shared Redis.
    JsonObject request = new JsonObject().put("cron", "0 3 * * *").put("paused", true)
        .put("template", new JsonObject().put("type", "count").put("count", 1));
    long before = redis.send(Command.HLEN, RedisKeys.SCHEDULE_DEFINITIONS).toLong();
    assertUnauthorized(call(HttpMethod.POST, "/schedules", null, request));
    assertForbidden(call(HttpMethod.POST, "/schedules", Tokens.VIEWER, request));
    assertThat(redis.send(Command.HLEN, RedisKeys.SCHEDULE_DEFINITIONS).toLong()).as("schedules stored").isEqualTo(before);

    HttpResponse<Buffer> created = call(HttpMethod.POST, "/schedules", Tokens.ALICE, request);
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String path = "/schedules/" + created.bodyAsJsonObject().getString("id");
    assertThat(created.bodyAsJsonObject().getString("createdBy")).isEqualTo("alice");
    assertThat(call(HttpMethod.GET, path, Tokens.VIEWER, null).statusCode()).isEqualTo(200);
    JsonObject resume = new JsonObject().put("paused", false);
    assertUnauthorized(call(HttpMethod.PATCH, path, null, resume));
    assertForbidden(call(HttpMethod.PATCH, path, Tokens.VIEWER, resume));
    assertForbidden(call(HttpMethod.PATCH, path, Tokens.BOB, resume));
    assertForbidden(call(HttpMethod.DELETE, path, Tokens.BOB, null));
    assertThat(call(HttpMethod.GET, path, Tokens.VIEWER, null).bodyAsJsonObject().getBoolean("paused")).isTrue();
    assertThat(call(HttpMethod.PATCH, path, Tokens.ALICE, new JsonObject().put("cron", "0 4 * * *")).statusCode())
        .isEqualTo(200);
    assertThat(call(HttpMethod.DELETE, path, Tokens.ADMIN, null).statusCode()).isEqualTo(204);
  }

  @Test
  @DisplayName("the page, the OpenAPI document and /health stay open: a browser must load the page to sign in")
  void openRoutes() {
    for (String path : List.of("/", "/openapi.yaml", "/ui/config")) {
      assertThat(call(HttpMethod.GET, path, null, null).statusCode()).as(path).isEqualTo(200);
    }
    assertThat(call(HttpMethod.GET, "/health", null, null).statusCode()).isIn(200, 503);
    JsonObject uiConfig = call(HttpMethod.GET, "/ui/config", null, null).bodyAsJsonObject();
    assertThat(uiConfig.getBoolean("authRequired")).isTrue();
    // The page subscribes to what the server names: it keeps no copy of the addresses.
    assertThat(uiConfig.getJsonObject("addresses")).isEqualTo(new JsonObject()
        .put("events", Addresses.EVENTS).put("progressPrefix", Addresses.PROGRESS_PREFIX));
  }

  private static void assertUnauthorized(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.getHeader("WWW-Authenticate")).startsWith("Bearer");
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("unauthorized");
  }

  private static void assertForbidden(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("forbidden");
  }

  private static String delayedJobOf(String token) {
    return submit(token, new JsonObject().put("type", "count").put("count", 1).put("delayMs", HOUR_MS));
  }

  private static String submit(String token, JsonObject body) {
    HttpResponse<Buffer> response = call(HttpMethod.POST, "/jobs", token, body);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("jobId");
  }

  private static JsonObject job(String id) {
    return call(HttpMethod.GET, "/jobs/" + id, Tokens.ADMIN, null).bodyAsJsonObject();
  }

  private static String status(String id) {
    return job(id).getString("status");
  }

  private static void awaitStatus(String id, JobState state) {
    fanout.awaitStatus(id, state, Tokens.ADMIN, JOB_TIMEOUT);
  }

  private static long allJobs() {
    return redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, String token, JsonObject body) {
    HttpRequest<Buffer> request = bearer(fanout.http().request(method, path), token);
    return Await.result(body == null ? request.send() : request.sendJsonObject(body));
  }

  private static HttpRequest<Buffer> bearer(HttpRequest<Buffer> request, String token) {
    return token == null ? request : request.bearerTokenAuthentication(token);
  }
}

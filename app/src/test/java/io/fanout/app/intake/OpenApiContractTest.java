package io.fanout.app.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.Tokens;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.Yaml;

/**
 * The running API against the OpenAPI document it serves: every operation is called, and every
 * answer, success or refusal, must match the document's schema for its status.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The API keeps the contract it publishes at /openapi.yaml")
class OpenApiContractTest {
  private static FanoutUnderTest fanout;
  private static OpenAPIContract contract;
  private static ResponseValidator validator;
  private final Set<String> exercised = new HashSet<>();
  /** The token calls carry: an admin's, which may call everything, until the refusals are checked. */
  private String token = Tokens.ADMIN;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.REDIS_URL, SharedBackends.redisUrl(2))
        .put(Settings.AUTH_TOKENS, Tokens.AUTH_TOKENS));
    HttpResponse<Buffer> document = fanout.get("/openapi.yaml");
    assertThat(document.statusCode()).isEqualTo(200);
    JsonObject published = new JsonObject(new Yaml().<Map<String, Object>>load(document.bodyAsString()));
    // The validator cannot model an ndjson request body; this test checks answers, so drop it.
    published.getJsonObject("paths").getJsonObject("/jobs").getJsonObject("post").getJsonObject("requestBody")
        .getJsonObject("content").remove("application/x-ndjson");
    // Nor a streamed ndjson or CSV answer: the results' 200 is ResultsTest's; their refusals are checked here.
    published.getJsonObject("paths").getJsonObject("/jobs/{id}/results").getJsonObject("get")
        .getJsonObject("responses").getJsonObject("200").remove("content");
    contract = Await.result(OpenAPIContract.from(fanout.app().vertx(), published));
    validator = ResponseValidator.create(fanout.app().vertx(), contract);
  }

  @AfterAll
  static void stop() {
    fanout.close();
  }

  @Test
  @DisplayName("every documented operation answers as documented")
  void everyOperationMatches() {
    String done = runToEnd(new JsonObject().put("type", "count").put("count", 20));
    String delayed = call("submitJob", HttpMethod.POST, "/jobs", new JsonObject().put("type", "count").put("count", 5)
        .put("delayMs", 60_000).put("idempotencyKey", "contract-" + System.nanoTime()), 202)
        .bodyAsJsonObject().getString("jobId");

    call("submitJob", HttpMethod.POST, "/jobs", new JsonObject().put("type", "nothing"), 400);
    call("listJobs", HttpMethod.GET, "/jobs?limit=2", null, 200);
    call("listJobs", HttpMethod.GET, "/jobs?status=completed", null, 200);
    call("listJobs", HttpMethod.GET, "/jobs?limit=-1", null, 400);
    call("getJob", HttpMethod.GET, "/jobs/" + done, null, 200);
    call("getJob", HttpMethod.GET, "/jobs/" + delayed, null, 200);
    call("getJob", HttpMethod.GET, "/jobs/00000000-0000-4000-8000-000000000000", null, 404);
    call("patchJob", HttpMethod.PATCH, "/jobs/" + delayed, new JsonObject().put("priority", 7), 200);
    call("patchJob", HttpMethod.PATCH, "/jobs/" + done, new JsonObject().put("priority", 7), 409);
    call("patchJob", HttpMethod.PATCH, "/jobs/" + delayed, new JsonObject().put("name", "x"), 400);
    call("getLastLog", HttpMethod.GET, "/jobs/" + done + "/log/last", null, 200);
    call("getLastLog", HttpMethod.GET, "/jobs/" + delayed + "/log/last", null, 200);
    call("getLog", HttpMethod.GET, "/jobs/" + done + "/log?from=3&limit=5", null, 200);
    call("getLog", HttpMethod.GET, "/jobs/" + delayed + "/log", null, 410);
    call("cancelJob", HttpMethod.DELETE, "/jobs/" + delayed + "?purge=true", null, 409);
    call("cancelJob", HttpMethod.DELETE, "/jobs/" + delayed, null, 200);
    call("cancelJob", HttpMethod.DELETE, "/jobs/" + delayed, null, 409);
    call("cancelJob", HttpMethod.DELETE, "/jobs/" + delayed + "?purge=maybe", null, 400);
    call("cancelJob", HttpMethod.DELETE, "/jobs/" + delayed + "?purge=true", null, 204);
    call("getJob", HttpMethod.GET, "/jobs/" + delayed, null, 404);
    call("getStats", HttpMethod.GET, "/stats", null, 200);
    call("getCluster", HttpMethod.GET, "/cluster", null, 200);
    call("getFailures", HttpMethod.GET, "/jobs/" + done + "/failures", null, 200);
    call("getFailures", HttpMethod.GET, "/jobs/" + done + "/failures?limit=0", null, 400);
    call("retryFailed", HttpMethod.POST, "/jobs/" + done + "/retry-failed", null, 409);
    String failedJob = runToEnd(new JsonObject().put("type", "fail").put("count", 2).put("maxAttempts", 1)
        .put("payload", new JsonObject().put("p", 1)));
    call("getFailures", HttpMethod.GET, "/jobs/" + failedJob + "/failures", null, 200);
    call("retryFailed", HttpMethod.POST, "/jobs/" + failedJob + "/retry-failed", null, 202);
    call("getCallbacks", HttpMethod.GET, "/jobs/" + done + "/callbacks", null, 200);
    call("getCallbacks", HttpMethod.GET, "/jobs/00000000-0000-4000-8000-000000000000/callbacks", null, 404);
    // Paused: this test's Redis is shared with no dispatcher of its own, and nothing should fire.
    JsonObject template = new JsonObject().put("type", "count").put("count", 1);
    String schedule = call("createSchedule", HttpMethod.POST, "/schedules", new JsonObject().put("cron", "0 3 * * *")
        .put("timeZone", "Europe/Paris").put("template", template).put("paused", true), 201)
        .bodyAsJsonObject().getString("id");
    call("createSchedule", HttpMethod.POST, "/schedules", new JsonObject().put("cron", "0 3 * *")
        .put("template", template), 400);
    call("listSchedules", HttpMethod.GET, "/schedules", null, 200);
    call("getSchedule", HttpMethod.GET, "/schedules/" + schedule, null, 200);
    call("getSchedule", HttpMethod.GET, "/schedules/no-such-schedule", null, 404);
    call("patchSchedule", HttpMethod.PATCH, "/schedules/" + schedule, new JsonObject().put("cron", "0 4 * * *"), 200);
    call("patchSchedule", HttpMethod.PATCH, "/schedules/" + schedule, new JsonObject().put("timeZone", "Nowhere"), 400);
    call("patchSchedule", HttpMethod.PATCH, "/schedules/no-such-schedule", new JsonObject().put("paused", true), 404);
    call("deleteSchedule", HttpMethod.DELETE, "/schedules/" + schedule, null, 204);
    call("deleteSchedule", HttpMethod.DELETE, "/schedules/" + schedule, null, 404);
    call("pauseWorkers", HttpMethod.POST, "/workers/pause", null, 200);
    call("resumeWorkers", HttpMethod.POST, "/workers/resume", null, 200);
    call("getHealth", HttpMethod.GET, "/health", null, 200);
    call("getMe", HttpMethod.GET, "/me", null, 200);
    String name = "contract-" + System.nanoTime();
    call("createToken", HttpMethod.POST, "/tokens", new JsonObject().put("name", name).put("role", "viewer"), 201);
    call("createToken", HttpMethod.POST, "/tokens", new JsonObject().put("name", name).put("role", "viewer"), 409);
    call("createToken", HttpMethod.POST, "/tokens", new JsonObject().put("name", name).put("role", "owner"), 400);
    call("listTokens", HttpMethod.GET, "/tokens", null, 200);
    call("revokeToken", HttpMethod.DELETE, "/tokens/" + name, null, 200);
    call("revokeToken", HttpMethod.DELETE, "/tokens/" + name, null, 404);
    call("getResults", HttpMethod.GET, "/jobs/00000000-0000-4000-8000-000000000000/results", null, 404);
    // The refusals are part of the contract too: without a token, and with a role too low.
    token = null;
    call("listJobs", HttpMethod.GET, "/jobs", null, 401);
    call("getMe", HttpMethod.GET, "/me", null, 401);
    token = Tokens.VIEWER;
    call("pauseWorkers", HttpMethod.POST, "/workers/pause", null, 403);
    call("submitJob", HttpMethod.POST, "/jobs", new JsonObject().put("type", "count").put("count", 1), 403);
    call("listTokens", HttpMethod.GET, "/tokens", null, 403);
    call("createSchedule", HttpMethod.POST, "/schedules", new JsonObject().put("cron", "0 3 * * *")
        .put("template", template), 403);

    Set<String> documented = contract.getPaths().stream()
        .flatMap(path -> path.getOperations().stream())
        .map(Operation::getOperationId)
        .collect(Collectors.toSet());
    assertThat(exercised).as("operations this test calls").containsExactlyInAnyOrderElementsOf(documented);
  }

  /** Submits as the admin and waits, asking the API, for the job's end; its id. */
  private String runToEnd(JsonObject job) {
    String id = call("submitJob", HttpMethod.POST, "/jobs", job, 202).bodyAsJsonObject().getString("jobId");
    fanout.awaitFinal(id, token, Duration.ofSeconds(60));
    return id;
  }

  private HttpResponse<Buffer> call(String operationId, HttpMethod method, String path, JsonObject body, int status) {
    var request = fanout.http().request(method, path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    HttpResponse<Buffer> response = Await.result(body == null ? request.send() : request.sendJsonObject(body));
    assertThat(response.statusCode()).as("%s %s: %s", method, path, response.bodyAsString()).isEqualTo(status);
    ValidatableResponse answer = ValidatableResponse.create(response.statusCode(), response.body(),
        response.getHeader("Content-Type"));
    Await.result(validator.validate(answer, operationId));
    exercised.add(operationId);
    return response;
  }
}

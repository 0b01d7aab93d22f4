package io.fanout.api;

import io.fanout.api.JobRequest.Submission;
import io.fanout.core.JobTemplate;
import io.fanout.core.JobId;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /jobs} as {@code application/x-ndjson}: the first line is the job, each further
 * line one item. Lines are read as they arrive and written to the job's staging topic in Kafka a
 * chunk at a time; the request is paused while two chunks are unacknowledged, so memory stays
 * bounded whatever the size of the dataset. An upload refused or cut off has its topic deleted
 * (or, if this process dies, swept after {@code UPLOAD_GRACE_MS}); see {@link DatasetStaging}.
 */
final class NdjsonUpload {
  static final String TYPE = "application/x-ndjson";

  private final JobRoutes jobs;
  private final DatasetStaging staging;
  private final Settings settings;

  NdjsonUpload(JobRoutes jobs, DatasetStaging staging, Settings settings) {
    this.jobs = jobs;
    this.staging = staging;
    this.settings = settings;
  }

  void handle(RoutingContext ctx) {
    new Upload(ctx).start();
  }

  /** The state of one upload. */
  private final class Upload {
    /** Chunks pushed or waiting to be pushed before the request is paused. */
    private static final int MAX_PENDING_CHUNKS = 2;

    private final RoutingContext ctx;
    private final int maxItemBytes = settings.integer(Settings.MAX_ITEM_BYTES);
    private final String jobId = JobId.next();
    private List<String> chunk = new ArrayList<>(JobRoutes.STAGING_CHUNK);
    /** The staging topic being made, then made: every write and the discard wait for it. */
    private Future<DatasetStaging.Upload> upload;
    private int pendingChunks;
    private RecordParser lines;
    private Submission header;
    private long line;
    private long items;
    private boolean failed;

    Upload(RoutingContext ctx) {
      this.ctx = ctx;
    }

    /**
     * Opens the upload (refused at once if its announced size passes the staging budget), then
     * reads the body. The parser is fed by hand rather than wrapping the request: it would resume
     * the request whenever it runs out of lines, and only this upload knows when Kafka has caught up.
     */
    void start() {
      String length = ctx.request().getHeader("Content-Length");
      long announced = 0;
      try {
        announced = length == null ? 0 : Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        // A malformed length is HTTP's business; the budget is then checked as the body arrives.
      }
      // Lines may be read before the topic exists (the request can arrive resumed after the
      // guards' own waits): the request is paused until it does, and every write waits for it.
      ctx.request().pause();
      lines = RecordParser.newDelimited("\n").maxRecordSize(maxItemBytes);
      lines.exceptionHandler(this::fail);
      lines.handler(this::onLine);
      ctx.request().handler(lines);
      ctx.request().exceptionHandler(this::fail);
      ctx.request().endHandler(end -> {
        lines.handle(Buffer.buffer("\n"));
        finish();
      });
      upload = staging.open(jobId, announced);
      upload.onSuccess(opened -> {
        if (!failed && pendingChunks < MAX_PENDING_CHUNKS) {
          ctx.request().resume();
        }
      }).onFailure(this::fail);
    }

    private void onLine(Buffer raw) {
      if (failed) {
        return;
      }
      line++;
      if (raw.length() > maxItemBytes) {
        fail(itemTooLarge());
        return;
      }
      String text = raw.toString().strip();
      if (text.isEmpty()) {
        return;
      }
      try {
        if (header == null) {
          header = jobs.jobRequest().parseUploadHeader(parseHeader(text));
          return;
        }
        if (++items > jobs.jobRequest().maxItems()) {
          throw ApiError.invalid("items", "too many items: more than " + jobs.jobRequest().maxItems());
        }
        chunk.add(validItem(text));
      } catch (ApiError error) {
        fail(error);
        return;
      }
      if (chunk.size() == JobRoutes.STAGING_CHUNK) {
        push();
      }
    }

    /** Sends the current chunk to the staging topic; reading waits while too many chunks are pending. */
    private void push() {
      List<String> pushed = chunk;
      chunk = new ArrayList<>(JobRoutes.STAGING_CHUNK);
      if (++pendingChunks >= MAX_PENDING_CHUNKS) {
        ctx.request().pause();
      }
      upload.compose(opened -> opened.write(pushed))
          .onSuccess(pushedNow -> {
            if (--pendingChunks < MAX_PENDING_CHUNKS && !failed) {
              ctx.request().resume();
            }
          })
          .onFailure(this::fail);
    }

    private void finish() {
      if (failed) {
        return;
      }
      if (header == null) {
        fail(new ApiError(400, "malformed_ndjson", "the upload is empty; its first line must be the job", null));
        return;
      }
      if (items == 0) {
        fail(ApiError.invalid("items", "the upload holds no items; put one per line after the job"));
        return;
      }
      if (!chunk.isEmpty()) {
        push();
      }
      upload.compose(opened -> opened.written()
              .compose(pushed -> jobs.accept(ctx, jobId,
                  new JobTemplate(header.spec().withTotal(items), header.callbackUrl(), header.resultsRetentionMs()), header.idempotencyKey(), opened)))
          .onFailure(this::fail);
    }

    private void fail(Throwable failure) {
      if (failed) {
        return;
      }
      failed = true;
      // The parser refuses a line that grows past the limit before its end arrives.
      Throwable reported = failure instanceof IllegalStateException ? itemTooLarge() : failure;
      // The rest of the body is not read: close an HTTP/1 connection after the answer.
      if (ctx.request().version() != HttpVersion.HTTP_2) {
        ctx.response().putHeader("Connection", "close");
      }
      // A failed open has nothing to discard; a pending one is discarded once made.
      Future<Void> discarded = upload == null ? Future.succeededFuture()
          : upload.transform(opened -> opened.succeeded() ? opened.result().discard() : Future.succeededFuture());
      discarded.onComplete(done -> ctx.fail(reported));
    }

    private ApiError itemTooLarge() {
      return new ApiError(413, "item_too_large", "line " + line + " is over " + maxItemBytes + " bytes", "items");
    }

    private JsonObject parseHeader(String text) {
      try {
        return new JsonObject(text);
      } catch (DecodeException | ClassCastException e) {
        throw new ApiError(400, "malformed_ndjson", "line 1 must be the job as a JSON object", null);
      }
    }

    /** The item as sent, once it is known to be one JSON value. */
    private String validItem(String text) {
      try {
        io.vertx.core.json.Json.decodeValue(text);
        return text;
      } catch (DecodeException e) {
        throw ApiError.invalid("items", "line " + line + " is not valid JSON");
      }
    }
  }
}

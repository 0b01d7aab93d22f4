package io.fanout.core;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A cron expression in a time zone, evaluated by cron-utils: five fields (minute hour day month
 * weekday, as in Unix cron) or six with seconds first (as in Spring). Daylight saving time is the
 * zone's: a firing at 02:30 on the night that skips that hour is the library's to place.
 */
public final class CronSchedule {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser WITH_SECONDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private final ExecutionTime times;
  private final ZoneId zone;

  private CronSchedule(ExecutionTime times, ZoneId zone) {
    this.times = times;
    this.zone = zone;
  }

  /** Parses both; fails with {@link InvalidCronException} naming the one at fault. */
  public static CronSchedule of(String expression, String timeZone) {
    ExecutionTime times = ExecutionTime.forCron(cron(expression));
    ZoneId zone = zone(timeZone);
    CronSchedule schedule = new CronSchedule(times, zone);
    if (schedule.nextAfter(Instant.now()).isEmpty()) {
      throw new InvalidCronException("cron", "cron '" + expression + "' never fires");
    }
    return schedule;
  }

  private static Cron cron(String expression) {
    String trimmed = expression.trim();
    int fields = trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    CronParser parser = switch (fields) {
      case 5 -> UNIX;
      case 6 -> WITH_SECONDS;
      default -> throw new InvalidCronException("cron", "cron must have 5 fields (minute hour day month weekday) "
          + "or 6 with seconds first; '" + expression + "' has " + fields);
    };
    try {
      return parser.parse(trimmed).validate();
    } catch (IllegalArgumentException e) {
      throw new InvalidCronException("cron", "cron '" + expression + "' is invalid: " + e.getMessage());
    }
  }

  private static ZoneId zone(String timeZone) {
    try {
      return ZoneId.of(timeZone);
    } catch (DateTimeException e) {
      throw new InvalidCronException("timeZone", "unknown time zone '" + timeZone + "'; use an IANA name such as "
          + "Europe/Paris or UTC");
    }
  }

  /** The first firing strictly after {@code time}, or empty when there is none. */
  public Optional<Instant> nextAfter(Instant time) {
    return times.nextExecution(ZonedDateTime.ofInstant(time, zone)).map(ZonedDateTime::toInstant);
  }

  /** The last firing at or before {@code time}, or empty when there is none. */
  public Optional<Instant> latestAtOrBefore(Instant time) {
    Optional<Instant> before = times.lastExecution(ZonedDateTime.ofInstant(time, zone)).map(ZonedDateTime::toInstant);
    // The library's last firing is strictly before: a firing exactly at `time` is its next one.
    Optional<Instant> following = before.flatMap(this::nextAfter);
    if (following.isPresent() && !following.get().isAfter(time)) {
      return following;
    }
    return before;
  }

  /** A cron expression or time zone that cannot be used, with the field at fault. */
  public static final class InvalidCronException extends IllegalArgumentException {
    private final String field;

    public InvalidCronException(String field, String message) {
      super(message);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }
}

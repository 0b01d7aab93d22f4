package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Cron schedules: five or six fields, in a time zone, evaluated by cron-utils")
class CronScheduleTest {
  @Test
  @DisplayName("six fields fire on seconds; the latest firing at or before a time includes that time")
  void secondsAndLatest() {
    CronSchedule everyTwoSeconds = CronSchedule.of("*/2 * * * * *", "UTC");
    Instant onTheGrid = Instant.parse("2026-01-01T00:00:10Z");
    assertThat(everyTwoSeconds.nextAfter(onTheGrid)).contains(Instant.parse("2026-01-01T00:00:12Z"));
    assertThat(everyTwoSeconds.latestAtOrBefore(onTheGrid)).contains(onTheGrid);
    assertThat(everyTwoSeconds.latestAtOrBefore(onTheGrid.plusMillis(1999))).contains(onTheGrid);
  }

  @Test
  @DisplayName("five fields are minutes; the time zone decides the hour")
  void zoneDecides() {
    CronSchedule threeInParis = CronSchedule.of("0 3 * * *", "Europe/Paris");
    assertThat(threeInParis.nextAfter(Instant.parse("2026-01-01T00:00:00Z")))
        .contains(Instant.parse("2026-01-01T02:00:00Z"));
    assertThat(threeInParis.nextAfter(Instant.parse("2026-07-01T00:00:00Z")))
        .contains(Instant.parse("2026-07-01T01:00:00Z"));
  }

  @Test
  @DisplayName("a bad expression or zone is refused naming the field")
  void refusals() {
    assertThatThrownBy(() -> CronSchedule.of("61 * * * *", "UTC"))
        .isInstanceOfSatisfying(CronSchedule.InvalidCronException.class, e -> assertThat(e.field()).isEqualTo("cron"));
    assertThatThrownBy(() -> CronSchedule.of("* * *", "UTC"))
        .isInstanceOfSatisfying(CronSchedule.InvalidCronException.class, e -> assertThat(e.field()).isEqualTo("cron"));
    assertThatThrownBy(() -> CronSchedule.of("0 3 * * *", "Mars/Olympus"))
        .isInstanceOfSatisfying(CronSchedule.InvalidCronException.class,
            e -> assertThat(e.field()).isEqualTo("timeZone"));
  }
}

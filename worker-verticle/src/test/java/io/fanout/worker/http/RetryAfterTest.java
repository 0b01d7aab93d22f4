package io.fanout.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

  @Test
  @DisplayName("Retry-After in seconds, as a date, absent or unreadable; never more than an hour")
  void readsBothForms() {
    assertThat(HttpTaskHandler.retryAfterMs("2")).isEqualTo(2000);
    assertThat(HttpTaskHandler.retryAfterMs(null)).isZero();
    assertThat(HttpTaskHandler.retryAfterMs("soon")).isZero();
    assertThat(HttpTaskHandler.retryAfterMs("999999")).isEqualTo(3_600_000);
    String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
    assertThat(HttpTaskHandler.retryAfterMs(inTenSeconds)).isBetween(8_000L, 10_000L);
  }
}

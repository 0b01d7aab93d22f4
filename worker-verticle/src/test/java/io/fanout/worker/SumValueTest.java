package io.fanout.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("What a summing task adds to its job's value")
class SumValueTest {

  @Test
  @DisplayName("a finite number is added; no result or no value adds nothing")
  void finiteValues() {
    assertThat(TaskAttempts.addsToSum(new JsonObject().put("value", 2.5))).isEqualTo(2.5);
    assertThat(TaskAttempts.addsToSum(new JsonObject().put("value", 7))).isEqualTo(7.0);
    assertThat(TaskAttempts.addsToSum(new JsonObject())).isNull();
    assertThat(TaskAttempts.addsToSum(null)).isNull();
  }

  @Test
  @DisplayName("NaN, infinity or a value that is no number fail the attempt instead of the job's count")
  void otherValuesFail() {
    assertThatThrownBy(() -> TaskAttempts.addsToSum(new JsonObject().put("value", Double.NaN)))
        .hasMessageContaining("not a finite number");
    assertThatThrownBy(() -> TaskAttempts.addsToSum(new JsonObject().put("value", Double.POSITIVE_INFINITY)))
        .hasMessageContaining("not a finite number");
    assertThatThrownBy(() -> TaskAttempts.addsToSum(new JsonObject().put("value", "ten")))
        .isInstanceOf(ClassCastException.class);
  }
}

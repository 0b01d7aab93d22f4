package io.fanout.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostAllowListTest {
  private final HostAllowList allowed = HostAllowList.of(List.of("api.partner.example", "*.hooks.example",
      "127.0.0.1:9000"));

  @ParameterizedTest(name = "{0} allowed: {1}")
  @CsvSource({
      "https://api.partner.example/v1, true",
      "http://API.Partner.Example:8080/v1, true",
      "https://a.hooks.example/x, true",
      "https://a.b.hooks.example/x, true",
      "https://hooks.example/x, false",
      "https://evilhooks.example/x, false",
      "https://api.partner.example.evil.example/x, false",
      "http://127.0.0.1:9000/work, true",
      "http://127.0.0.1:9001/work, false",
      "http://127.0.0.1/work, false",
      "http://169.254.169.254/latest, false"})
  @DisplayName("a host is allowed by name, by a *. domain (its subdomains only), or by host and port")
  void matches(String url, boolean expected) {
    assertThat(allowed.allows(URI.create(url))).isEqualTo(expected);
  }

  @Test
  @DisplayName("the empty list, the default, allows nothing")
  void emptyAllowsNothing() {
    HostAllowList none = HostAllowList.of(List.of());
    assertThat(none.isEmpty()).isTrue();
    assertThat(none.allows(URI.create("http://127.0.0.1/"))).isFalse();
  }
}

package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Callback targets: only absolute http(s) URLs, and by default no internal address")
class CallbackTargetsTest {
  private final CallbackTargets publicOnly = new CallbackTargets(List.of());

  @Test
  @DisplayName("with no allow-list, public hosts pass and loopback, private, link-local and unique-local addresses do not")
  void defaultRefusesInternalAddresses() throws Exception {
    assertThat(publicOnly.refusal("https://hooks.example.com/fanout?token=x")).isNull();
    assertThat(publicOnly.refusal("http://93.184.216.34:8443/hook")).isNull();
    for (String internal : List.of("http://127.0.0.1/h", "http://localhost:8080/h", "http://api.localhost/h",
        "http://10.1.2.3/h", "http://192.168.0.10/h", "http://172.16.5.5/h", "http://169.254.169.254/latest",
        "http://[::1]/h", "http://[fd00::1]/h", "http://0.0.0.0/h", "http://100.64.0.1/h")) {
      assertThat(publicOnly.refusal(internal)).as(internal).isNotNull();
    }
    InetAddress[] metadata = {InetAddress.getByName("169.254.169.254")};
    assertThat(publicOnly.refusal("evil.example.com", metadata)).contains("internal address");
    assertThat(publicOnly.refusal("hooks.example.com", new InetAddress[] {InetAddress.getByName("93.184.216.34")}))
        .isNull();
  }

  @Test
  @DisplayName("a URL that is not absolute http(s) with a host, or carries credentials, is refused")
  void shapeIsChecked() {
    for (String bad : List.of("ftp://hooks.example.com/x", "/relative", "hooks.example.com/x", "http:///nohost",
        "https://user:secret@hooks.example.com/x", "http://exa mple.com/")) {
      assertThat(publicOnly.refusal(bad)).as(bad).isNotNull();
    }
  }

  @Test
  @DisplayName("with an allow-list, exactly the listed hosts and wildcard subdomains pass, internal ones included")
  void allowListIsExact() throws Exception {
    CallbackTargets listed = new CallbackTargets(List.of("127.0.0.1", "*.example.com"));
    assertThat(listed.refusal("http://127.0.0.1:9000/hook")).isNull();
    assertThat(listed.refusal("https://hooks.example.com/x")).isNull();
    assertThat(listed.refusal("https://example.com.evil.net/x")).isNotNull();
    assertThat(listed.refusal("https://hooks.example.org/x")).isNotNull();
    assertThat(listed.refusal("127.0.0.1", new InetAddress[] {InetAddress.getLoopbackAddress()})).isNull();
  }

  @Test
  @DisplayName("the signature is HMAC-SHA256 over '<t>.<body>' in hex, as t=<t>,v1=<hex>")
  void signatureFormat() {
    // Reference value computed with: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    assertThat(WebhookSignature.header("secret", 1_700_000_000L, "{\"a\":1}"))
        .isEqualTo("t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
  }
}

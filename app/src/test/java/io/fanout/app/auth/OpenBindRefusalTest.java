package io.fanout.app.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fanout.app.FanoutApp;
import io.fanout.core.Settings;
import io.fanout.core.SettingsRefusedException;
import io.fanout.core.auth.TokenHash;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Secure by default: a start that would be open to the network is refused, saying what to set")
class OpenBindRefusalTest {
  @Test
  @DisplayName("HTTP_HOST=0.0.0.0 with no token refuses to start, naming HTTP_HOST and AUTH_TOKENS")
  void openNonLoopbackBindIsRefused() {
    assertThatThrownBy(() -> FanoutApp.start(new JsonObject().put(Settings.HTTP_HOST, "0.0.0.0")))
        .isInstanceOf(SettingsRefusedException.class)
        .hasMessageContaining("HTTP_HOST=0.0.0.0 is not a loopback address and no token is configured")
        .hasMessageContaining(Settings.AUTH_TOKENS)
        .hasMessageContaining("HTTP_HOST=127.0.0.1");
  }

  @Test
  @DisplayName("a bridge-only process is refused too: the bridge listens on HTTP_HOST as the API does")
  void bridgeOnlyIsRefused() {
    assertThatThrownBy(() -> FanoutApp.start(new JsonObject().put(Settings.HTTP_HOST, "0.0.0.0")
        .put(Settings.ROLES, "progress")))
        .isInstanceOf(SettingsRefusedException.class)
        .hasMessageContaining(Settings.HTTP_HOST);
  }

  @Test
  @DisplayName("a token given where its SHA-256 belongs is refused, without showing the token")
  void rawTokenInsteadOfHashIsRefused() {
    String token = TokenHash.newToken();

    assertThatThrownBy(() -> FanoutApp.start(new JsonObject().put(Settings.AUTH_TOKENS, "ops:admin:" + token)))
        .isInstanceOf(SettingsRefusedException.class)
        .hasMessageContaining("AUTH_TOKENS entry 'ops' must end with the token's SHA-256")
        .satisfies(refused -> assertThat(refused.getMessage()).doesNotContain(token));
  }
}

package io.liveroom.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The config as {@code --check-config} prints it: every secret masked, everything else as it is. */
class MaskedConfigTest {
  /** Leaf names that sound secret; publicKey is public. */
  private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(secret|password|token|apikey).*");

  private static JsonObject config() {
    JsonObject c = ConfigLoader.defaults();
    c.getJsonObject("auth").put("apiKeys", new JsonArray().add("first-key").add("second-key"));
    c.getJsonObject("auth").getJsonObject("jwt").put("secret", "jwt-secret-value").put("publicKey", "PEM");
    c.getJsonObject("redis").put("url", "redis://app:redis-pw@redis.example:6379/0");
    c.getJsonObject("webhooks").put("secret", "webhook-secret-16+")
        .put("urls", new JsonArray().add("https://hooks.example/in?token=abc").add("https://other.example/in"));
    return c;
  }

  @Test
  void secretsAreMaskedAndTheRestIsKept() {
    JsonObject original = config();
    JsonObject masked = ConfigLoader.masked(original);
    assertEquals(new JsonArray().add("****").add("****"), masked.getJsonObject("auth").getJsonArray("apiKeys"),
        "the count of keys shows, not the keys");
    assertEquals("****", masked.getJsonObject("auth").getJsonObject("jwt").getString("secret"));
    assertEquals("PEM", masked.getJsonObject("auth").getJsonObject("jwt").getString("publicKey"));
    assertEquals("redis://app:****@redis.example:6379/0", masked.getJsonObject("redis").getString("url"));
    assertEquals("****", masked.getJsonObject("webhooks").getString("secret"));
    assertEquals(new JsonArray().add("https://hooks.example/in?****").add("https://other.example/in"),
        masked.getJsonObject("webhooks").getJsonArray("urls"));
    assertEquals(config(), original, "masked works on a copy");
    String text = masked.encode();
    for (String secret : List.of("first-key", "second-key", "jwt-secret-value", "redis-pw", "webhook-secret", "token=abc")) {
      assertTrue(!text.contains(secret), secret + " shows in " + text);
    }
    // everything but the masked keys is unchanged
    JsonObject rest = masked.copy();
    JsonObject expected = original.copy();
    for (String key : List.of("auth", "redis", "webhooks")) {
      rest.remove(key);
      expected.remove(key);
    }
    assertEquals(expected, rest);
  }

  @Test
  void emptySecretsStayEmptySoThatAMissingOneShows() {
    JsonObject masked = ConfigLoader.masked(ConfigLoader.defaults());
    assertEquals(new JsonArray(), masked.getJsonObject("auth").getJsonArray("apiKeys"));
    assertEquals("", masked.getJsonObject("auth").getJsonObject("jwt").getString("secret"));
    assertEquals("", masked.getJsonObject("webhooks").getString("secret"));
    assertEquals(ConfigLoader.defaults().getJsonObject("redis").getString("url"),
        masked.getJsonObject("redis").getString("url"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "redis://127.0.0.1:6379|redis://127.0.0.1:6379",
      "redis://:pw@host:6379|redis://:****@host:6379",
      "rediss://user:p@ss@host/1|rediss://user:****@host/1",
      "redis://token@host|redis://****@host",
      "unix:///run/redis.sock|unix:///run/redis.sock",
      "https://h.example/p?a=1#frag|https://h.example/p?****#frag",
  })
  void urlPasswordsAndQueriesAreMasked(String url, String expected) {
    JsonObject c = ConfigLoader.defaults();
    c.getJsonObject("redis").put("url", url);
    assertEquals(expected, ConfigLoader.masked(c).getJsonObject("redis").getString("url"));
  }

  @Test
  void everyKeyThatSoundsSecretIsMasked() {
    List<String> secretSounding = new ArrayList<>();
    collect(ConfigLoader.defaults(), "", secretSounding);
    assertTrue(secretSounding.contains("auth.jwt.secret"), "the check sees the keys: " + secretSounding);
    for (String key : secretSounding) {
      if (key.equals("auth.jwt.allowWeakSecret")) {
        continue; // a switch (true or false), not a secret
      }
      assertTrue(ConfigLoader.SECRET_KEYS.contains(key) || ConfigLoader.URL_KEYS.contains(key),
          key + " sounds secret: add it to ConfigLoader.SECRET_KEYS (or say why not here)");
    }
  }

  private static void collect(JsonObject o, String prefix, List<String> out) {
    o.forEach(e -> {
      if (e.getValue() instanceof JsonObject child) {
        collect(child, prefix + e.getKey() + ".", out);
      } else if (SECRET_NAME.matcher(e.getKey()).matches()) {
        out.add(prefix + e.getKey());
      }
    });
  }
}

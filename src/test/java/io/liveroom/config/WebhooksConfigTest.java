package io.liveroom.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code webhooks} section: off by default; with URLs, a real secret and http(s) URLs only. */
class WebhooksConfigTest {
  private static final String SECRET = "0123456789abcdef";

  /** A shard-only node (no auth needed) with the given webhooks overrides. */
  private static JsonObject with(JsonObject webhooks) {
    return new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("webhooks", webhooks);
  }

  private static void assertRejected(JsonObject webhooks, String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(with(webhooks)));
    assertTrue(e.getMessage().contains(key), () -> "message should name " + key + ": " + e.getMessage());
  }

  @Test
  void offByDefaultWithTheShippedDefaults() {
    LiveroomConfig.Webhooks w = ConfigLoader.fromJson(with(new JsonObject())).webhooks();
    assertFalse(w.enabled());
    assertEquals(List.of(), w.urls());
    assertEquals("", w.secret());
    assertEquals(5000, w.timeoutMs());
    assertEquals(8, w.maxAttempts());
    assertEquals(10_000, w.queueSize());
    assertEquals(4, w.concurrency());
  }

  @Test
  void urlsWithASecretAreAcceptedAndTheSecretIsNotPrinted() {
    LiveroomConfig.Webhooks w = ConfigLoader.fromJson(with(new JsonObject()
        .put("urls", new JsonArray().add("https://hooks.example.com/liveroom").add("http://10.0.0.5:9000/h?k=v"))
        .put("secret", SECRET))).webhooks();
    assertTrue(w.enabled());
    assertEquals(2, w.urls().size());
    assertFalse(w.toString().contains(SECRET), w.toString());
    assertFalse(w.toString().contains("example.com"), w.toString());
  }

  @Test
  void urlsNeedASecretOfSixteenCharacters() {
    JsonArray urls = new JsonArray().add("https://hooks.example.com/x");
    assertRejected(new JsonObject().put("urls", urls), "webhooks.secret");
    assertRejected(new JsonObject().put("urls", urls).put("secret", "too-short"), "webhooks.secret");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://hooks.example.com/x", "hooks.example.com/x", "/relative", "http://", "http://exa mple.com/"})
  void everyUrlMustBeHttpOrHttps(String url) {
    assertRejected(new JsonObject().put("urls", new JsonArray().add("https://ok.example.com/").add(url))
        .put("secret", SECRET), "webhooks.urls");
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({"timeoutMs, 50", "maxAttempts, 0", "queueSize, 0", "concurrency, 0", "concurrency, 1000"})
  void rangesNameTheKey(String key, int value) {
    assertRejected(new JsonObject().put(key, value), "webhooks." + key);
  }

  @Test
  void environmentSetsUrlsAsAList() {
    JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(), Map.of(
        "LIVEROOM_NODE_ROLES", "shard",
        "LIVEROOM_WEBHOOKS_URLS", "https://a.example.com/h, https://b.example.com/h",
        "LIVEROOM_WEBHOOKS_SECRET", SECRET), Map.of());
    assertEquals(List.of("https://a.example.com/h", "https://b.example.com/h"),
        LiveroomConfig.from(o).webhooks().urls());
  }
}

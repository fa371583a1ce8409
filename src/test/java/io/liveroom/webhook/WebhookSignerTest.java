package io.liveroom.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The webhook signature, checked against `openssl dgst -sha256 -hmac`, and the backoff bounds. */
class WebhookSignerTest {
  private static final String SECRET = "whsec-test-0123456789abcdef";

  @Test
  void signatureIsTheHexHmacOfTimestampDotBody() {
    WebhookSigner signer = new WebhookSigner(SECRET);
    byte[] body = "{\"id\":\"d-1\",\"event\":\"room.live\",\"room\":\"r-1\",\"createdAt\":1700000000000,\"data\":{}}"
        .getBytes(StandardCharsets.UTF_8);
    // printf '%s' '1700000000000.<body>' | openssl dgst -sha256 -hmac "$SECRET"
    assertEquals("sha256=22b497a84dbc5a6a3573418abe3a441125bb5bcca7b1e2eeb0117a25ed3ebc0f",
        signer.sign(1_700_000_000_000L, body));
    assertEquals(signer.sign(1_700_000_000_000L, body), signer.sign(1_700_000_000_000L, body), "the Mac is reusable");
    assertNotEquals(signer.sign(1_700_000_000_000L, body), signer.sign(1_700_000_000_001L, body));
  }

  @Test
  void bodyIsSignedAsUtf8Bytes() {
    byte[] body = "{\"text\":\"héllo ✓\"}".getBytes(StandardCharsets.UTF_8);
    assertEquals("sha256=b18cbc58804db89b91a9c087c15fd42379a3c36a8c0c2dab841e708cc2e3b51a",
        new WebhookSigner(SECRET).sign(1_700_000_000_000L, body));
  }

  @Test
  void backoffDoublesWithJitterUpToTheCapAndHonoursRetryAfter() {
    for (int i = 0; i < 200; i++) {
      long first = WebhookVerticle.backoffMs(1, 0);
      assertTrue(first >= 250 && first <= 500, "first step " + first);
      long third = WebhookVerticle.backoffMs(3, 0);
      assertTrue(third >= 1000 && third <= 2000, "third step " + third);
      long late = WebhookVerticle.backoffMs(40, 0);
      assertTrue(late >= 30_000 && late <= 60_000, "capped " + late);
      assertTrue(WebhookVerticle.backoffMs(1, 5000) >= 5000, "Retry-After wins");
      assertTrue(WebhookVerticle.backoffMs(1, 3_600_000) <= 60_000, "Retry-After is capped too");
    }
  }
}

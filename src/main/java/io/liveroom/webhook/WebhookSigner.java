package io.liveroom.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhook bodies: {@code sha256=} and the hex HMAC-SHA256 of {@code "<timestamp>.<body>"}
 * under the configured secret. One instance per thread (it keeps one {@link Mac}).
 */
final class WebhookSigner {
  private static final byte DOT = '.';
  private final Mac mac;

  WebhookSigner(String secret) {
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** The {@code X-Liveroom-Signature} value for {@code body} sent with {@code timestamp}. */
  String sign(long timestamp, byte[] body) {
    mac.update(Long.toString(timestamp).getBytes(StandardCharsets.US_ASCII));
    mac.update(DOT);
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
  }
}

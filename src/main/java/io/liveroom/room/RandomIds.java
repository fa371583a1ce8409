package io.liveroom.room;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Unguessable ids (room ids, guest names) from a DRBG seeded once per thread. The platform's
 * default {@code new SecureRandom()} on Linux is NativePRNG, which reads {@code /dev/urandom}
 * under one global lock for every few ints; and a DRBG pays a whole generate call (several
 * SHA-256 digests and a big-number update of its state) per request, whatever its size, so the
 * bytes are drawn {@value #BUFFER} at a time and each character takes one byte.
 */
public final class RandomIds {
  private static final int BUFFER = 512;
  private static final ThreadLocal<Bytes> RANDOM = ThreadLocal.withInitial(Bytes::new);

  private RandomIds() {
  }

  /** {@code prefix} and then {@code n} characters drawn uniformly from {@code alphabet} (at most 256 of them). */
  public static String next(String prefix, char[] alphabet, int n) {
    if (alphabet.length == 0 || alphabet.length > 256) {
      throw new IllegalArgumentException("an alphabet of 1 to 256 characters, not " + alphabet.length);
    }
    Bytes r = RANDOM.get();
    // bytes at or over the last whole multiple of the alphabet's size are skipped: no character is favoured
    int limit = 256 - 256 % alphabet.length;
    char[] c = new char[prefix.length() + n];
    prefix.getChars(0, prefix.length(), c, 0);
    for (int i = prefix.length(); i < c.length; i++) {
      int b;
      do {
        b = r.next();
      } while (b >= limit);
      c[i] = alphabet[b % alphabet.length];
    }
    return new String(c);
  }

  /** One thread's DRBG and the bytes it drew and were not used yet. */
  private static final class Bytes {
    private final SecureRandom random = drbg();
    private final byte[] buffer = new byte[BUFFER];
    private int at = BUFFER;

    int next() {
      if (at == BUFFER) {
        random.nextBytes(buffer);
        at = 0;
      }
      return buffer[at++] & 0xff;
    }
  }

  private static SecureRandom drbg() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }
}

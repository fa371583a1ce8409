package io.liveroom.room;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Unguessable ids (room ids, guest names) from a DRBG seeded once per thread. The platform's
 * default {@code new SecureRandom()} on Linux is NativePRNG, which reads {@code /dev/urandom}
 * under one global lock for every few ints: 3.6% of a node's CPU in {@code create-http}.
 */
public final class RandomIds {
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(RandomIds::drbg);

  private RandomIds() {
  }

  /** {@code prefix} and then {@code n} characters drawn uniformly from {@code alphabet}. */
  public static String next(String prefix, char[] alphabet, int n) {
    SecureRandom r = RANDOM.get();
    char[] c = new char[prefix.length() + n];
    prefix.getChars(0, prefix.length(), c, 0);
    for (int i = prefix.length(); i < c.length; i++) {
      c[i] = alphabet[r.nextInt(alphabet.length)];
    }
    return new String(c);
  }

  private static SecureRandom drbg() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }
}

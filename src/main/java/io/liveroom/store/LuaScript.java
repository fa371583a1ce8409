package io.liveroom.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script with its SHA-1, computed here so that no start-up round trip is needed: calls go
 * by {@code EVALSHA} and fall back to {@code EVAL} once per Redis ({@link StoreClient#eval}).
 * Each script is a constant next to the code that builds its KEYS and ARGV.
 */
record LuaScript(String name, String source, String sha) {
  LuaScript(String name, String source) {
    this(name, source, sha1(source));
  }

  private static String sha1(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

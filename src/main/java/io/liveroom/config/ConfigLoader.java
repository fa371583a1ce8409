package io.liveroom.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the node configuration through vertx-config: the defaults shipped in the jar
 * ({@code conf/liveroom.json}), then the config file ({@code LIVEROOM_CONFIG} or
 * {@code -Dliveroom.config}, default {@code conf/liveroom.json} when it exists), then environment
 * variables, then system properties.
 *
 * <p>Every key {@code a.bC} can be set as {@code LIVEROOM_A_B_C} or {@code -Dliveroom.a.bC};
 * lists are comma-separated. Values are converted to the type of the default and validated by
 * {@link LiveroomConfig#from}.
 */
public final class ConfigLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
  public static final String ENV_PREFIX = "LIVEROOM_";
  public static final String SYS_PREFIX = "liveroom.";
  private static final String DEFAULTS = "conf/liveroom.json";
  /** Keys whose values are secrets, masked by {@link #masked}. */
  static final List<String> SECRET_KEYS = List.of("auth.apiKeys", "auth.jwt.secret", "webhooks.secret",
      "redis.password");
  /** Keys holding URLs that may carry a password (in the user info or the query). */
  static final List<String> URL_KEYS = List.of("redis.url", "webhooks.urls");
  static final String MASK = "****";
  /** scheme://, user info@ (up to the last @ of the authority), host and path, ?query, #fragment. */
  private static final Pattern URL = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)(?:([^/?#]*)@)?([^?#]*)(\\?[^#]*)?(#.*)?");

  private ConfigLoader() {
  }

  /** The defaults shipped in the jar. */
  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS)) {
      if (in == null) {
        throw new ConfigException(DEFAULTS + " is not on the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Defaults deep-merged with {@code overrides}, validated: for tests and embedding. */
  public static LiveroomConfig fromJson(JsonObject overrides) {
    return LiveroomConfig.from(defaults().mergeIn(overrides, true));
  }

  /** Loads file, environment and system properties with vertx-config and validates the result. */
  public static Future<LiveroomConfig> load(Vertx vertx) {
    return loadJson(vertx).map(LiveroomConfig::from);
  }

  /**
   * The effective config as JSON, not yet validated: the jar's defaults, the config file, then
   * environment variables and system properties, keyed as in {@code conf/liveroom.json}.
   */
  public static Future<JsonObject> loadJson(Vertx vertx) {
    String path = System.getProperty("liveroom.config", System.getenv("LIVEROOM_CONFIG"));
    boolean explicit = path != null;
    String file = explicit ? path : DEFAULTS;
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setIncludeDefaultStores(false).setScanPeriod(-1);
    if (explicit || new java.io.File(file).isFile()) {
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json")
          .setConfig(new JsonObject().put("path", file)));
    }
    options.addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true)));
    options.addStore(new ConfigStoreOptions().setType("sys")
        .setConfig(new JsonObject().put("raw-data", true).put("hierarchical", false).put("cache", false)));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .recover(e -> Future.failedFuture(new ConfigException("cannot read config file " + file + ": " + e.getMessage())))
        .map(merged -> {
          Map<String, String> env = new LinkedHashMap<>();
          Map<String, String> sys = new LinkedHashMap<>();
          JsonObject fileJson = new JsonObject();
          merged.forEach(e -> {
            String k = e.getKey();
            if (k.startsWith(ENV_PREFIX)) {
              env.put(k, String.valueOf(e.getValue()));
            } else if (k.startsWith(SYS_PREFIX)) {
              sys.put(k, String.valueOf(e.getValue()));
            } else if (e.getValue() instanceof JsonObject) {
              fileJson.put(k, e.getValue());
            }
          });
          return overlay(defaults().mergeIn(fileJson, true), env, sys);
        })
        .eventually(retriever::close);
  }

  /**
   * Applies environment variables, then system properties, onto {@code base}: only keys that
   * exist in it, converted to the type of the value they replace.
   */
  public static JsonObject overlay(JsonObject base, Map<String, String> env, Map<String, String> sys) {
    Map<String, String> envNames = new LinkedHashMap<>();
    Map<String, String> sysNames = new LinkedHashMap<>();
    collectKeys(base, "", envNames, sysNames);
    env.forEach((k, v) -> {
      String key = envNames.get(k);
      if (key != null) {
        set(base, key, v, k);
      } else if (!k.equals("LIVEROOM_CONFIG")) {
        LOG.warn("ignoring environment variable {}: no config key of that name", k);
      }
    });
    sys.forEach((k, v) -> {
      String key = sysNames.get(k);
      if (key != null) {
        set(base, key, v, "-D" + k);
      } else if (!k.equals("liveroom.config")) {
        LOG.warn("ignoring system property {}: no config key of that name", k);
      }
    });
    return base;
  }

  /**
   * A copy of {@code config} fit to print: secrets ({@link #SECRET_KEYS}) replaced by
   * {@value #MASK} (an empty one stays empty, so that a missing secret shows), and the password
   * in the user info and the query of the URLs of {@link #URL_KEYS} masked.
   */
  public static JsonObject masked(JsonObject config) {
    JsonObject copy = config.copy();
    for (String key : SECRET_KEYS) {
      replaceLeaf(copy, key, v -> v.isEmpty() ? v : MASK);
    }
    for (String key : URL_KEYS) {
      replaceLeaf(copy, key, ConfigLoader::maskUrl);
    }
    return copy;
  }

  private static void replaceLeaf(JsonObject root, String key, UnaryOperator<String> mask) {
    String[] parts = key.split("\\.");
    JsonObject o = root;
    for (int i = 0; i < parts.length - 1 && o != null; i++) {
      o = o.getJsonObject(parts[i]);
    }
    String leaf = parts[parts.length - 1];
    if (o == null || !o.containsKey(leaf)) {
      return;
    }
    Object v = o.getValue(leaf);
    if (v instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(item -> out.add(item instanceof String str ? mask.apply(str) : MASK));
      o.put(leaf, out);
    } else if (v != null) {
      o.put(leaf, mask.apply(String.valueOf(v)));
    }
  }

  /** {@code redis://user:pw@host/0?password=x} -> {@code redis://user:****@host/0?****}. */
  private static String maskUrl(String url) {
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      return url;
    }
    String userInfo = m.group(2);
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      // no colon: the whole user info may be a token (https://token@host)
      userInfo = (colon < 0 ? MASK : userInfo.substring(0, colon + 1) + MASK) + "@";
    }
    return m.group(1) + (userInfo == null ? "" : userInfo) + m.group(3) + (m.group(4) == null ? "" : "?" + MASK)
        + (m.group(5) == null ? "" : m.group(5));
  }

  /** The environment variable name of a dotted key: {@code auth.jwt.publicKey} -> {@code LIVEROOM_AUTH_JWT_PUBLIC_KEY}. */
  public static String envName(String key) {
    StringBuilder sb = new StringBuilder(ENV_PREFIX);
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString();
  }

  private static void collectKeys(JsonObject o, String prefix, Map<String, String> env, Map<String, String> sys) {
    o.forEach(e -> {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof JsonObject child) {
        collectKeys(child, key + ".", env, sys);
      } else {
        env.put(envName(key), key);
        sys.put(SYS_PREFIX + key, key);
      }
    });
  }

  private static void set(JsonObject root, String key, String text, String source) {
    String[] parts = key.split("\\.");
    JsonObject o = root;
    for (int i = 0; i < parts.length - 1; i++) {
      o = o.getJsonObject(parts[i]);
    }
    String leaf = parts[parts.length - 1];
    Object current = o.getValue(leaf);
    String v = text.strip();
    Object typed;
    if (current instanceof Number) {
      try {
        typed = Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw new ConfigException(key + " must be an integer, got '" + text + "' (from " + source + ")");
      }
    } else if (current instanceof Boolean) {
      if (!v.equals("true") && !v.equals("false")) {
        throw new ConfigException(key + " must be true or false, got '" + text + "' (from " + source + ")");
      }
      typed = Boolean.parseBoolean(v);
    } else if (current instanceof JsonArray) {
      JsonArray a = new JsonArray();
      for (String s : v.split(",")) {
        if (!s.isBlank()) {
          a.add(s.strip());
        }
      }
      typed = a;
    } else {
      typed = text;
    }
    o.put(leaf, typed);
  }
}

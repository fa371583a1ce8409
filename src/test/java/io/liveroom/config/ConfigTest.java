package io.liveroom.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.room.RoomLimits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The typed config: defaults, validation messages that name the key, env and system overrides. */
class ConfigTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();
  /** An HS256 secret of the 32 bytes a node asks for. */
  private static final String SECRET = "s3cret-of-32-bytes-0123456789abc";

  /** The least an edge node needs on top of the defaults. */
  private static JsonObject minimal() {
    return new JsonObject()
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray().add("abcdef"))
            .put("jwt", new JsonObject().put("secret", SECRET)));
  }

  /** {@link #minimal()} with {@code value} put at the dotted {@code key}. */
  private static JsonObject minimalWith(String key, Object value) {
    JsonObject root = minimal();
    String[] parts = key.split("\\.");
    JsonObject o = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject next = o.getJsonObject(parts[i]);
      if (next == null) {
        next = new JsonObject();
        o.put(parts[i], next);
      }
      o = next;
    }
    o.put(parts[parts.length - 1], value);
    return root;
  }

  private static ConfigException assertRejected(JsonObject overrides, String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(overrides));
    assertTrue(e.getMessage().contains(key), () -> "message should name " + key + ": " + e.getMessage());
    return e;
  }

  @Nested
  class Defaults {
    @Test
    void minimalOverridesGiveTheShippedDefaultsTyped() {
      LiveroomConfig c = ConfigLoader.fromJson(minimal());

      assertEquals(Set.of(Role.EDGE, Role.SHARD, Role.SWEEPER), c.node().roles());
      assertTrue(c.node().has(Role.EDGE));
      assertEquals(20_000, c.node().shutdownGraceMs());

      assertEquals("liveroom", c.cluster().name());
      assertEquals("127.0.0.1", c.cluster().host());
      assertEquals(5701, c.cluster().port());
      assertEquals(0, c.cluster().eventBusPort(), "a free port unless one is fixed");
      assertEquals("", c.cluster().publicAddress(), "announce the bind address");
      assertEquals("", c.cluster().eventBusPublicHost());
      assertEquals(0, c.cluster().eventBusPublicPort());
      assertEquals(10_000, c.redis().claimLogSize());
      assertEquals(List.of("127.0.0.1"), c.cluster().members());
      assertEquals("conf/cluster.xml", c.cluster().configFile());
      assertEquals(30_000, c.cluster().joinTimeoutMs());

      assertEquals("0.0.0.0", c.http().host());
      assertEquals(8080, c.http().port());
      assertEquals(65_536, c.http().maxBodyBytes());

      assertEquals(2000, c.shard().requestTimeoutMs());
      assertEquals(3000, c.shard().retryBudgetMs());

      assertEquals("redis://127.0.0.1:6379", c.redis().url());
      assertEquals(64, c.redis().poolSize());
      assertEquals(2048, c.redis().maxWaiting());
      assertEquals(1000, c.redis().timeoutMs());
      assertEquals(1000, c.redis().healthIntervalMs());

      assertEquals(List.of("abcdef"), c.auth().apiKeys());
      assertEquals("HS256", c.auth().jwtAlgorithm());
      assertEquals(SECRET, c.auth().jwtSecret());
      assertEquals("", c.auth().jwtPublicKey());
      assertTrue(c.auth().requireExp(), "tokens must expire unless told otherwise");
      assertEquals("", c.auth().jwtIssuer());
      assertEquals("", c.auth().jwtAudience());
      assertEquals(5, c.auth().leewaySec());
      assertFalse(c.auth().allowWeakSecret());
      assertFalse(c.auth().weakSecret());

      assertEquals(new RoomLimits(100, 4096, 100_000, 10_000_000, 3600), c.rooms().limits());
      assertEquals(RoomLimits.DEFAULTS, c.rooms().limits());
      assertEquals(50, c.rooms().pageSize());
      assertEquals(200, c.rooms().maxPageSize());

      assertEquals(1000, c.sweeper().intervalMs());
      assertEquals(300_000, c.sweeper().idleAfterMs());
      assertEquals(1000, c.sweeper().batchSize());
      assertEquals(5000, c.sweeper().maxHotRooms());
    }

    @Test
    void zeroInstancesMeansOnePerCore() {
      LiveroomConfig c = ConfigLoader.fromJson(minimal());
      assertEquals(CORES, c.http().instances());
      assertEquals(CORES, c.shard().instances());
    }

    @Test
    void explicitInstancesAreKept() {
      JsonObject o = minimalWith("http.instances", 3);
      o.put("shard", new JsonObject().put("instances", 5));
      LiveroomConfig c = ConfigLoader.fromJson(o);
      assertEquals(3, c.http().instances());
      assertEquals(5, c.shard().instances());
    }

    @Test
    void overridesMergeDeeplyIntoTheDefaults() {
      LiveroomConfig c = ConfigLoader.fromJson(minimalWith("http.port", 9090));
      assertEquals(9090, c.http().port());
      assertEquals("0.0.0.0", c.http().host());
      assertEquals(65_536, c.http().maxBodyBytes());
    }

    @Test
    void authToStringHidesTheSecrets() {
      LiveroomConfig c = ConfigLoader.fromJson(minimal());
      assertFalse(c.auth().toString().contains("abcdef"), c.auth().toString());
      assertFalse(c.auth().toString().contains(SECRET), c.auth().toString());
    }

    @Test
    void rolesAndListsAreReadOnly() {
      LiveroomConfig c = ConfigLoader.fromJson(minimal());
      assertThrows(UnsupportedOperationException.class, () -> c.node().roles().add(Role.EDGE));
      assertThrows(UnsupportedOperationException.class, () -> c.auth().apiKeys().add("x"));
    }
  }

  @Nested
  class Auth {
    @Test
    void missingApiKeysNamesTheKey() {
      JsonObject o = minimal();
      o.getJsonObject("auth").remove("apiKeys");
      assertRejected(o, "auth.apiKeys");
      assertRejected(minimalWith("auth.apiKeys", new JsonArray()), "auth.apiKeys");
    }

    @Test
    void shortApiKeyNamesTheKey() {
      assertRejected(minimalWith("auth.apiKeys", new JsonArray().add("abcdef").add("abc")), "auth.apiKeys");
    }

    @Test
    void blankApiKeyNamesTheKey() {
      assertRejected(minimalWith("auth.apiKeys", new JsonArray().add("abcdef").add("  ")), "auth.apiKeys");
    }

    @Test
    void missingJwtSecretNamesTheKey() {
      JsonObject o = minimal();
      o.getJsonObject("auth").getJsonObject("jwt").remove("secret");
      assertRejected(o, "auth.jwt.secret");
      assertRejected(minimalWith("auth.jwt.secret", "   "), "auth.jwt.secret");
    }

    @Test
    void anHs256SecretUnder32BytesIsRefusedUnlessWeakSecretsAreAllowed() {
      ConfigException e = assertRejected(minimalWith("auth.jwt.secret", "dev-secret"), "auth.jwt.secret");
      assertTrue(e.getMessage().contains("10 bytes") && e.getMessage().contains("auth.jwt.allowWeakSecret"),
          e.getMessage());
      // bytes, not characters: 11 characters of 3 bytes each are 33 bytes
      assertEquals(33, ConfigLoader.fromJson(minimalWith("auth.jwt.secret", "\u732b".repeat(11))).auth()
          .jwtSecret().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      assertRejected(minimalWith("auth.jwt.secret", "x".repeat(31)), "auth.jwt.secret");

      JsonObject allowed = minimalWith("auth.jwt.secret", "dev-secret");
      allowed.getJsonObject("auth").getJsonObject("jwt").put("allowWeakSecret", true);
      LiveroomConfig c = ConfigLoader.fromJson(allowed);
      assertTrue(c.auth().weakSecret());
      assertTrue(c.auth().allowWeakSecret());
    }

    @Test
    void theSecretLengthIsAnHs256Rule() {
      JsonObject rs = minimalWith("auth.jwt.algorithm", "RS256");
      rs.getJsonObject("auth").getJsonObject("jwt").put("publicKey", "-----BEGIN PUBLIC KEY-----").put("secret", "");
      assertFalse(ConfigLoader.fromJson(rs).auth().weakSecret());
      JsonObject shardOnly = new JsonObject().put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
          .put("auth", new JsonObject().put("jwt", new JsonObject().put("secret", "short")));
      assertEquals("short", ConfigLoader.fromJson(shardOnly).auth().jwtSecret(), "a node without the edge role checks no token");
    }

    @Test
    void tokenLifetimeKeysAreTyped() {
      assertRejected(minimalWith("auth.jwt.requireExp", "yes"), "auth.jwt.requireExp");
      assertRejected(minimalWith("auth.jwt.allowWeakSecret", 1), "auth.jwt.allowWeakSecret");
      assertRejected(minimalWith("auth.jwt.leewaySec", -1), "auth.jwt.leewaySec");
      assertRejected(minimalWith("auth.jwt.leewaySec", 601), "auth.jwt.leewaySec");
      JsonObject o = minimalWith("auth.jwt.issuer", " https://id.example ");
      o.getJsonObject("auth").getJsonObject("jwt").put("audience", "liveroom").put("requireExp", false).put("leewaySec", 0);
      LiveroomConfig.Auth a = ConfigLoader.fromJson(o).auth();
      assertEquals("https://id.example", a.jwtIssuer());
      assertEquals("liveroom", a.jwtAudience());
      assertFalse(a.requireExp());
      assertEquals(0, a.leewaySec());
    }

    @ParameterizedTest
    @CsvSource({"RS256", "ES256"})
    void publicKeyAlgorithmsNeedThePublicKey(String algorithm) {
      assertRejected(minimalWith("auth.jwt.algorithm", algorithm), "auth.jwt.publicKey");
      JsonObject withKey = minimalWith("auth.jwt.algorithm", algorithm);
      withKey.getJsonObject("auth").getJsonObject("jwt").put("publicKey", "-----BEGIN PUBLIC KEY-----");
      assertEquals(algorithm, ConfigLoader.fromJson(withKey).auth().jwtAlgorithm());
    }

    @ParameterizedTest
    @CsvSource({"none", "HS512", "hs256", "''"})
    void unknownAlgorithmNamesTheKey(String algorithm) {
      assertRejected(minimalWith("auth.jwt.algorithm", algorithm), "auth.jwt.algorithm");
    }

    @Test
    void nodeWithoutTheEdgeRoleNeedsNoKeys() {
      JsonObject o = new JsonObject().put("node", new JsonObject().put("roles", new JsonArray().add("shard")));
      LiveroomConfig c = ConfigLoader.fromJson(o);
      assertEquals(Set.of(Role.SHARD), c.node().roles());
      assertFalse(c.node().has(Role.EDGE));
      assertTrue(c.auth().apiKeys().isEmpty());

      JsonObject sweeping = new JsonObject()
          .put("node", new JsonObject().put("roles", new JsonArray().add("shard").add("sweeper")));
      assertEquals(Set.of(Role.SHARD, Role.SWEEPER), ConfigLoader.fromJson(sweeping).node().roles());
    }
  }

  @Nested
  class BadValues {
    static Stream<Arguments> badValues() {
      return Stream.of(
          Arguments.of("http.port", 70_000),
          Arguments.of("http.port", -1),
          Arguments.of("http.port", "abc"),
          Arguments.of("http.port", "8080"),
          Arguments.of("http.port", 1.5),
          Arguments.of("http.port", true),
          Arguments.of("http.maxBodyBytes", 10),
          Arguments.of("http.instances", 257),
          Arguments.of("shard.requestTimeoutMs", 1.5),
          Arguments.of("node.shutdownGraceMs", 600_001),
          Arguments.of("node.transport", "epoll"),
          Arguments.of("node.transport", ""),
          Arguments.of("rt.transports", new JsonArray()),
          Arguments.of("rt.transports", new JsonArray().add("websocket").add("carrier-pigeon")),
          Arguments.of("rt.transports", new JsonArray().add("xhr").add("xhr")),
          Arguments.of("node.roles", new JsonArray().add("edge").add("bogus")),
          Arguments.of("node.roles", new JsonArray()),
          Arguments.of("node.roles", "edge"),
          Arguments.of("node.roles", new JsonArray().add("sweeper")),
          Arguments.of("node.roles", new JsonArray().add("edge").add("sweeper")),
          Arguments.of("cluster.port", 0),
          Arguments.of("cluster.eventBusPort", -1),
          Arguments.of("cluster.eventBusPort", 65_536),
          Arguments.of("cluster.eventBusPort", 5701),
          Arguments.of("cluster.name", " "),
          Arguments.of("cluster.publicAddress", "10.0.0.1:port"),
          Arguments.of("cluster.publicAddress", "a b"),
          Arguments.of("cluster.eventBusPublicPort", 70_000),
          Arguments.of("cluster.eventBusPublicPort", 5702),
          Arguments.of("redis.claimLogSize", -1),
          Arguments.of("cluster.members", new JsonArray().add(1)),
          Arguments.of("redis.url", "http://x"),
          Arguments.of("redis.url", ""),
          Arguments.of("redis.url", 6379),
          Arguments.of("redis.poolSize", 0),
          Arguments.of("rooms.maxTitleLength", 0),
          Arguments.of("rooms.maxPageSize", 1001),
          Arguments.of("sweeper.batchSize", 0),
          Arguments.of("sweeper.maxHotRooms", -1),
          Arguments.of("sweeper.maxHotRooms", "many"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badValues")
    void badValueNamesItsKey(String key, Object value) {
      assertRejected(minimalWith(key, value), key);
    }

    @Test
    void eventBusPortOnTheHttpPortNamesBoth() {
      ConfigException e = assertRejected(minimalWith("cluster.eventBusPort", 8080), "cluster.eventBusPort");
      assertTrue(e.getMessage().contains("http.port"), e.getMessage());
    }

    @Test
    void publicAddressesFromTheEnvironment() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults().mergeIn(minimal(), true),
          Map.of("LIVEROOM_CLUSTER_PUBLIC_ADDRESS", "203.0.113.7:15701", "LIVEROOM_CLUSTER_EVENT_BUS_PUBLIC_HOST",
              "203.0.113.7", "LIVEROOM_CLUSTER_EVENT_BUS_PUBLIC_PORT", "15702"), Map.of());
      LiveroomConfig.Cluster c = LiveroomConfig.from(o).cluster();
      assertEquals("203.0.113.7:15701", c.publicAddress());
      assertEquals("203.0.113.7", c.eventBusPublicHost());
      assertEquals(15702, c.eventBusPublicPort());
    }

    @Test
    void eventBusPortFromTheEnvironment() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults().mergeIn(minimal(), true),
          Map.of("LIVEROOM_CLUSTER_EVENT_BUS_PORT", "5702"), Map.of());
      assertEquals(5702, LiveroomConfig.from(o).cluster().eventBusPort());
    }

    @Test
    void pageSizeOverMaxPageSizeNamesBoth() {
      ConfigException e = assertRejected(minimalWith("rooms.pageSize", 201), "rooms.pageSize");
      assertTrue(e.getMessage().contains("rooms.maxPageSize"), e.getMessage());
    }

    @Test
    void defaultMaxMembersOverTheLimitNamesBoth() {
      ConfigException e = assertRejected(minimalWith("rooms.defaultMaxMembers", 20_000_000), "rooms.defaultMaxMembers");
      assertTrue(e.getMessage().contains("rooms.maxMembersLimit"), e.getMessage());
    }

    @Test
    void rangeMessageGivesTheBoundsAndTheValue() {
      ConfigException e = assertRejected(minimalWith("http.port", 70_000), "http.port");
      assertTrue(e.getMessage().contains("65535") && e.getMessage().contains("70000"), e.getMessage());
    }

    @Test
    void unknownRoleIsQuotedInTheMessage() {
      ConfigException e = assertRejected(minimalWith("node.roles", new JsonArray().add("edge").add("bogus")),
          "node.roles");
      assertTrue(e.getMessage().contains("bogus"), e.getMessage());
    }

    @Test
    void wholeNumbersWrittenAsDecimalsAreAccepted() {
      assertEquals(8081, ConfigLoader.fromJson(minimalWith("http.port", 8081.0)).http().port());
    }

    @Test
    void rolesAreCaseInsensitive() {
      LiveroomConfig c = ConfigLoader.fromJson(minimalWith("node.roles", new JsonArray().add("EDGE").add("Shard")));
      assertEquals(Set.of(Role.EDGE, Role.SHARD), c.node().roles());
    }

    @Test
    void redisSchemesThatAreAccepted() {
      for (String url : List.of("redis://h:1", "rediss://h:1", "unix:///tmp/redis.sock")) {
        assertEquals(url, ConfigLoader.fromJson(minimalWith("redis.url", url)).redis().url());
      }
    }

    @Test
    void missingSectionNamesTheKey() {
      JsonObject merged = ConfigLoader.defaults().mergeIn(minimal(), true);
      merged.remove("sweeper");
      ConfigException e = assertThrows(ConfigException.class, () -> LiveroomConfig.from(merged));
      assertTrue(e.getMessage().contains("sweeper."), e.getMessage());
    }
  }

  @Nested
  class EnvNames {
    @ParameterizedTest
    @CsvSource({
        "http.port,              LIVEROOM_HTTP_PORT",
        "auth.jwt.publicKey,     LIVEROOM_AUTH_JWT_PUBLIC_KEY",
        "node.shutdownGraceMs,   LIVEROOM_NODE_SHUTDOWN_GRACE_MS",
        "auth.apiKeys,           LIVEROOM_AUTH_API_KEYS",
        "http.maxBodyBytes,      LIVEROOM_HTTP_MAX_BODY_BYTES",
        "rooms.maxSlowModeSec,   LIVEROOM_ROOMS_MAX_SLOW_MODE_SEC",
        "redis.url,              LIVEROOM_REDIS_URL",
        "auth.jwt.requireExp,    LIVEROOM_AUTH_JWT_REQUIRE_EXP",
        "auth.jwt.leewaySec,     LIVEROOM_AUTH_JWT_LEEWAY_SEC",
        "auth.jwt.allowWeakSecret, LIVEROOM_AUTH_JWT_ALLOW_WEAK_SECRET"})
    void envNameOfADottedKey(String key, String env) {
      assertEquals(env, ConfigLoader.envName(key));
    }
  }

  @Nested
  class Overlay {
    @Test
    void envOverridesFileValuesWithTheirTypes() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(), Map.of(
          "LIVEROOM_HTTP_PORT", "8081",
          "LIVEROOM_AUTH_API_KEYS", "a,b , c",
          "LIVEROOM_REDIS_URL", "redis://cache:6380"), Map.of());
      assertEquals(8081, o.getJsonObject("http").getInteger("port"));
      assertTrue(o.getJsonObject("http").getValue("port") instanceof Number);
      assertEquals(new JsonArray().add("a").add("b").add("c"), o.getJsonObject("auth").getJsonArray("apiKeys"));
      assertEquals("redis://cache:6380", o.getJsonObject("redis").getString("url"));
      assertEquals("0.0.0.0", o.getJsonObject("http").getString("host"), "untouched keys stay");
    }

    @Test
    void listValuesDropBlankItems() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(),
          Map.of("LIVEROOM_CLUSTER_MEMBERS", " 10.0.0.1:5701,, 10.0.0.2:5701 ,"), Map.of());
      assertEquals(new JsonArray().add("10.0.0.1:5701").add("10.0.0.2:5701"),
          o.getJsonObject("cluster").getJsonArray("members"));
    }

    @Test
    void numbersAreTrimmed() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(), Map.of("LIVEROOM_HTTP_PORT", " 8082 "), Map.of());
      assertEquals(8082, o.getJsonObject("http").getInteger("port"));
    }

    @Test
    void booleansAreConverted() {
      JsonObject base = ConfigLoader.defaults();
      base.getJsonObject("http").put("compress", false);
      JsonObject o = ConfigLoader.overlay(base, Map.of("LIVEROOM_HTTP_COMPRESS", "true"), Map.of());
      assertEquals(Boolean.TRUE, o.getJsonObject("http").getValue("compress"));
    }

    @Test
    void nonBooleanForABooleanKeyNamesKeyAndVariable() {
      JsonObject base = ConfigLoader.defaults();
      base.getJsonObject("http").put("compress", false);
      ConfigException e = assertThrows(ConfigException.class,
          () -> ConfigLoader.overlay(base, Map.of("LIVEROOM_HTTP_COMPRESS", "yes"), Map.of()));
      assertTrue(e.getMessage().contains("http.compress"), e.getMessage());
      assertTrue(e.getMessage().contains("LIVEROOM_HTTP_COMPRESS"), e.getMessage());
    }

    @Test
    void systemPropertiesOverrideEnv() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(),
          Map.of("LIVEROOM_HTTP_PORT", "8081"), Map.of("liveroom.http.port", "8083"));
      assertEquals(8083, o.getJsonObject("http").getInteger("port"));
    }

    @Test
    void systemPropertiesUseTheCamelCaseKey() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(), Map.of(),
          Map.of("liveroom.auth.jwt.publicKey", "PEM", "liveroom.node.shutdownGraceMs", "5000"));
      assertEquals("PEM", o.getJsonObject("auth").getJsonObject("jwt").getString("publicKey"));
      assertEquals(5000, o.getJsonObject("node").getLong("shutdownGraceMs"));
    }

    @Test
    void nonNumericEnvValueNamesKeyAndVariable() {
      ConfigException e = assertThrows(ConfigException.class,
          () -> ConfigLoader.overlay(ConfigLoader.defaults(), Map.of("LIVEROOM_HTTP_PORT", "eighty"), Map.of()));
      assertTrue(e.getMessage().contains("http.port"), e.getMessage());
      assertTrue(e.getMessage().contains("LIVEROOM_HTTP_PORT"), e.getMessage());
      assertTrue(e.getMessage().contains("eighty"), e.getMessage());
    }

    @Test
    void nonNumericSystemPropertyNamesKeyAndProperty() {
      ConfigException e = assertThrows(ConfigException.class,
          () -> ConfigLoader.overlay(ConfigLoader.defaults(), Map.of(), Map.of("liveroom.http.port", "1.5")));
      assertTrue(e.getMessage().contains("http.port"), e.getMessage());
      assertTrue(e.getMessage().contains("-Dliveroom.http.port"), e.getMessage());
    }

    @Test
    void unknownVariablesAreIgnored() {
      JsonObject base = ConfigLoader.defaults();
      JsonObject before = base.copy();
      JsonObject o = ConfigLoader.overlay(base, Map.of(
          "LIVEROOM_BOGUS", "1",
          "LIVEROOM_HTTP", "x",
          "LIVEROOM_CONFIG", "/etc/liveroom.json"), Map.of("liveroom.bogus", "1", "liveroom.config", "x.json"));
      assertEquals(before, o);
    }

    @Test
    void overlaidConfigValidates() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(), Map.of(
          "LIVEROOM_HTTP_PORT", "8081",
          "LIVEROOM_AUTH_API_KEYS", "key-one,key-two",
          "LIVEROOM_AUTH_JWT_SECRET", SECRET,
          "LIVEROOM_NODE_ROLES", "edge, shard"), Map.of());
      LiveroomConfig c = LiveroomConfig.from(o);
      assertEquals(8081, c.http().port());
      assertEquals(List.of("key-one", "key-two"), c.auth().apiKeys());
      assertEquals(Set.of(Role.EDGE, Role.SHARD), c.node().roles());
    }

    @Test
    void theDevClustersEnvironmentAllowsItsShortSecret() {
      // scripts/dev-cluster.sh: LIVEROOM_AUTH_JWT_SECRET=dev-secret with LIVEROOM_AUTH_JWT_ALLOW_WEAK_SECRET=true
      Map<String, String> env = Map.of("LIVEROOM_AUTH_API_KEYS", "dev-key", "LIVEROOM_AUTH_JWT_SECRET", "dev-secret");
      assertThrows(ConfigException.class, () -> LiveroomConfig.from(ConfigLoader.overlay(ConfigLoader.defaults(), env, Map.of())));
      Map<String, String> dev = new java.util.HashMap<>(env);
      dev.put("LIVEROOM_AUTH_JWT_ALLOW_WEAK_SECRET", "true");
      dev.put("LIVEROOM_AUTH_JWT_REQUIRE_EXP", "false");
      LiveroomConfig c = LiveroomConfig.from(ConfigLoader.overlay(ConfigLoader.defaults(), dev, Map.of()));
      assertTrue(c.auth().allowWeakSecret());
      assertFalse(c.auth().requireExp());
    }

    @Test
    void outOfRangeEnvValueIsCaughtByValidation() {
      JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults().mergeIn(minimal(), true),
          Map.of("LIVEROOM_HTTP_PORT", "70000"), Map.of());
      ConfigException e = assertThrows(ConfigException.class, () -> LiveroomConfig.from(o));
      assertTrue(e.getMessage().contains("http.port"), e.getMessage());
    }
  }
}

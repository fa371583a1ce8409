package io.liveroom.config;

import io.liveroom.room.RoomLimits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The typed, validated node configuration. {@link #from} maps the merged JSON (defaults from
 * {@code conf/liveroom.json}, then environment and system-property overrides) once; a bad value
 * throws a {@link ConfigException} naming the key.
 */
public record LiveroomConfig(
    Node node,
    Cluster cluster,
    Http http,
    Shard shard,
    Redis redis,
    Auth auth,
    Rooms rooms,
    Rt rt,
    Replay replay,
    Sweeper sweeper,
    Vod vod,
    Webhooks webhooks,
    Filter filter) {

  /**
   * {@code transport} is {@code native} (Netty's epoll on Linux, NIO where it is not available)
   * or {@code nio}. (Netty's io_uring was tried and is not offered: docs/benchmarks.md.)
   */
  public record Node(Set<Role> roles, long shutdownGraceMs, String transport) {
    public boolean nativeTransport() {
      return !"nio".equals(transport);
    }

    public boolean has(Role role) {
      return roles.contains(role);
    }
  }

  /**
   * Hazelcast membership: {@code discovery} is {@code tcp-ip} (the {@code members} list) or
   * {@code kubernetes} (DNS lookup of the headless service {@code kubernetesServiceDns}).
   * {@code eventBusPort} is where the clustered event bus listens on {@code host}: 0 picks a free
   * port, a fixed one lets a firewall or NetworkPolicy name it. {@code publicAddress} (Hazelcast,
   * {@code host} or {@code host:port}) and {@code eventBusPublicHost}/{@code eventBusPublicPort}
   * are what the node announces to the others when that differs from where it binds (NAT, a
   * proxy): empty and 0 announce the bind address.
   */
  public record Cluster(String name, String host, int port, int eventBusPort, List<String> members, String discovery,
                        String kubernetesServiceDns, String configFile, long joinTimeoutMs, String publicAddress,
                        String eventBusPublicHost, int eventBusPublicPort) {
  }

  public record Http(String host, int port, int instances, int maxBodyBytes) {
  }

  public record Shard(int instances, long requestTimeoutMs, long retryBudgetMs) {
  }

  /**
   * {@code claimLogSize}: entries of the claim logs {@code lr:{g}:claims} (which node took which
   * epoch), 0 = none. {@code mode} says which of {@code url} (standalone), {@code sentinels} and
   * {@code masterName} (sentinel) or {@code nodes} (cluster) is used; {@link RedisConfig} checks them.
   * {@code replicasToAck}: replicas that must confirm an epoch claim or an append ({@code WAIT}) before
   * it counts as done, within {@code replicasAckTimeoutMs}; 0 = no {@code WAIT} (resolved from the
   * mode when the key is -1).
   */
  public record Redis(String url, int poolSize, int maxWaiting, long timeoutMs, long healthIntervalMs,
                      int claimLogSize, RedisMode mode, List<String> sentinels, String masterName, List<String> nodes,
                      String password, boolean tls, int replicasToAck, long replicasAckTimeoutMs) {
  }

  /**
   * Who may use the API and the real-time channel. JWTs are checked with {@code jwtAlgorithm} and
   * its key; {@code requireExp} refuses tokens that never expire; {@code jwtIssuer} and
   * {@code jwtAudience}, when not empty, must match {@code iss} and be in {@code aud};
   * {@code leewaySec} is the clock skew allowed on {@code exp}, {@code nbf} and {@code iat}.
   */
  public record Auth(List<String> apiKeys, String jwtAlgorithm, String jwtSecret, String jwtPublicKey,
                     boolean requireExp, String jwtIssuer, String jwtAudience, int leewaySec, boolean allowWeakSecret) {
    /** The shortest HS256 secret without {@code auth.jwt.allowWeakSecret}: the hash's size (RFC 7518 3.2). */
    public static final int MIN_SECRET_BYTES = 32;

    /** Whether tokens are checked with an HS256 secret shorter than {@link #MIN_SECRET_BYTES}. */
    public boolean weakSecret() {
      return jwtAlgorithm.equals("HS256") && jwtSecret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES;
    }

    @Override
    public String toString() {
      return "Auth[apiKeys=" + apiKeys.size() + " keys, jwtAlgorithm=" + jwtAlgorithm + ", requireExp=" + requireExp
          + ", jwtIssuer=" + jwtIssuer + ", jwtAudience=" + jwtAudience + ", leewaySec=" + leewaySec + "]";
    }
  }

  /** Room limits, and the page sizes of {@code GET /rooms} and of {@code GET /rooms/{id}/members}. */
  public record Rooms(RoomLimits limits, int pageSize, int maxPageSize, int membersPageSize, int membersMaxPageSize) {
  }

  /** The content filter: a sensitive-word file (empty: none), checked for changes every {@code reloadMs}. */
  public record Filter(String wordsFile, long reloadMs) {
  }

  /** The replay archive: items with a {@code progress}, per room, for replaying a recording. */
  public record Replay(int maxItems, int maxPage) {
  }

  /**
   * Demotion of idle rooms, the ceiling on this node's hot rooms ({@code maxHotRooms}, 0: none),
   * and how long ended rooms and their history are kept in Redis.
   */
  public record Sweeper(long intervalMs, long idleAfterMs, int batchSize, long retentionMs, int maxHotRooms) {
    /** Each shard instance's share of {@code maxHotRooms} (rounded up), or 0 when there is no cap. */
    public int maxHotRoomsPerInstance(int instances) {
      return maxHotRooms == 0 ? 0 : (maxHotRooms + instances - 1) / instances;
    }
  }

  /**
   * Recordings served at {@code /vod/*} from {@code folder}; an empty folder switches {@code /vod}
   * off (every request answers 404). {@code maxAgeSeconds} is the {@code Cache-Control} max-age.
   */
  public record Vod(String folder, long maxAgeSeconds) {
    public boolean enabled() {
      return !folder.isEmpty();
    }
  }

  /**
   * Outgoing webhooks: room events POSTed to every URL of {@code urls}, signed with {@code secret}
   * (HMAC-SHA256). No URL means webhooks are off.
   */
  public record Webhooks(List<String> urls, String secret, long timeoutMs, int maxAttempts, int queueSize,
                         int concurrency) {
    public boolean enabled() {
      return !urls.isEmpty();
    }

    @Override
    public String toString() {
      return "Webhooks[urls=" + urls.size() + " urls, timeoutMs=" + timeoutMs + ", maxAttempts=" + maxAttempts
          + ", queueSize=" + queueSize + ", concurrency=" + concurrency + "]";
    }
  }

  /** The real-time channel (SockJS at {@code /rt}). */
  public record Rt(
      List<String> allowedOrigins,
      int maxFrameBytes,
      int maxViolations,
      int maxRoomsPerConnection,
      int maxConnectionsPerUser,
      long heartbeatMs,
      long idleTimeoutMs,
      long batchMs,
      int historySize,
      int joinHistory,
      int maxTextLength,
      long idempotencyTtlMs,
      int maxKeysPerRoom,
      long presenceRefreshMs,
      int writeQueueMaxBytes,
      long slowConsumerMs,
      int sendRatePerSec,
      int sendBurst,
      int ipConnectRatePerSec,
      int ipConnectBurst,
      int roomMessagesPerSec,
      int roomMessagesBurst,
      List<String> transports,
      int deflateLevel,
      int deflateMinBytes) {
    /** The SockJS transports a node may serve: {@code websocket} covers the raw and the framed one. */
    public static final List<String> TRANSPORTS = List.of("websocket", "xhr", "eventsource", "htmlfile", "jsonp");

    /** Whether any transport over plain HTTP requests (all but {@code websocket}) is served. */
    public boolean httpTransports() {
      return transports.stream().anyMatch(t -> !t.equals("websocket"));
    }
  }

  /** Maps and validates the merged config JSON. */
  public static LiveroomConfig from(JsonObject json) {
    Reader r = new Reader(json);
    Set<Role> roles = r.roles("node.roles");
    Node node = new Node(roles, r.longIn("node.shutdownGraceMs", 0, 600_000),
        r.oneOf("node.transport", "native", "nio"));
    Cluster cluster = new Cluster(
        r.string("cluster.name", true),
        r.string("cluster.host", true),
        r.intIn("cluster.port", 1, 65535),
        r.intIn("cluster.eventBusPort", 0, 65535),
        r.strings("cluster.members", false),
        r.string("cluster.discovery", true),
        r.string("cluster.kubernetesServiceDns", false),
        r.string("cluster.configFile", true),
        r.longIn("cluster.joinTimeoutMs", 1000, 600_000),
        r.string("cluster.publicAddress", false),
        r.string("cluster.eventBusPublicHost", false),
        r.intIn("cluster.eventBusPublicPort", 0, 65535));
    if (!cluster.discovery().equals("tcp-ip") && !cluster.discovery().equals("kubernetes")) {
      throw new ConfigException("cluster.discovery must be tcp-ip or kubernetes, got '" + cluster.discovery() + "'");
    }
    if (cluster.discovery().equals("kubernetes") && cluster.kubernetesServiceDns().isEmpty()) {
      throw new ConfigException("cluster.kubernetesServiceDns must name the headless service "
          + "(e.g. liveroom-hz.default.svc.cluster.local) when cluster.discovery is kubernetes");
    }
    if (cluster.discovery().equals("tcp-ip") && cluster.members().isEmpty()) {
      throw new ConfigException("cluster.members must list at least one member when cluster.discovery is tcp-ip");
    }
    if (!cluster.publicAddress().isEmpty() && !cluster.publicAddress().matches("[^:\\s]+(:\\d{1,5})?")) {
      throw new ConfigException("cluster.publicAddress must be host or host:port, got '" + cluster.publicAddress() + "'");
    }
    if (cluster.eventBusPublicPort() != 0 && cluster.eventBusPublicHost().isEmpty()) {
      throw new ConfigException("cluster.eventBusPublicPort needs cluster.eventBusPublicHost");
    }
    int cores = Runtime.getRuntime().availableProcessors();
    Http http = new Http(
        r.string("http.host", true),
        r.intIn("http.port", 0, 65535),
        orCores(r.intIn("http.instances", 0, 256), cores),
        r.intIn("http.maxBodyBytes", 1024, 16 * 1024 * 1024));
    if (cluster.eventBusPort() == cluster.port()
        || (cluster.eventBusPort() != 0 && cluster.eventBusPort() == http.port() && roles.contains(Role.EDGE))) {
      throw new ConfigException("cluster.eventBusPort " + cluster.eventBusPort()
          + " is taken by cluster.port or http.port: give the event bus a port of its own, or 0 for a free one");
    }
    Shard shard = new Shard(
        orCores(r.intIn("shard.instances", 0, 256), cores),
        r.longIn("shard.requestTimeoutMs", 50, 60_000),
        r.longIn("shard.retryBudgetMs", 0, 60_000));
    Redis redis = RedisConfig.read(r);
    Auth auth = new Auth(
        r.strings("auth.apiKeys", false),
        r.string("auth.jwt.algorithm", true),
        r.string("auth.jwt.secret", false),
        r.string("auth.jwt.publicKey", false),
        r.bool("auth.jwt.requireExp"),
        r.string("auth.jwt.issuer", false),
        r.string("auth.jwt.audience", false),
        r.intIn("auth.jwt.leewaySec", 0, 600),
        r.bool("auth.jwt.allowWeakSecret"));
    if (roles.contains(Role.EDGE)) {
      checkAuth(auth);
    }
    RoomLimits limits = new RoomLimits(
        r.intIn("rooms.maxTitleLength", 1, 1000),
        r.intIn("rooms.maxMetadataBytes", 2, 65536),
        r.intIn("rooms.defaultMaxMembers", 1, 100_000_000),
        r.intIn("rooms.maxMembersLimit", 1, 100_000_000),
        r.intIn("rooms.maxSlowModeSec", 0, 86_400));
    if (limits.defaultMaxMembers() > limits.maxMembersLimit()) {
      throw new ConfigException("rooms.defaultMaxMembers must not exceed rooms.maxMembersLimit");
    }
    Rooms rooms = new Rooms(limits, r.intIn("rooms.pageSize", 1, 1000), r.intIn("rooms.maxPageSize", 1, 1000),
        r.intIn("rooms.membersPageSize", 1, 5000), r.intIn("rooms.membersMaxPageSize", 1, 5000));
    if (rooms.pageSize() > rooms.maxPageSize()) {
      throw new ConfigException("rooms.pageSize must not exceed rooms.maxPageSize");
    }
    if (rooms.membersPageSize() > rooms.membersMaxPageSize()) {
      throw new ConfigException("rooms.membersPageSize must not exceed rooms.membersMaxPageSize");
    }
    Rt rt = new Rt(
        r.strings("rt.allowedOrigins", false),
        r.intIn("rt.maxFrameBytes", 256, 1024 * 1024),
        r.intIn("rt.maxViolations", 1, 1_000_000),
        r.intIn("rt.maxRoomsPerConnection", 1, 1000),
        r.intIn("rt.maxConnectionsPerUser", 1, 1_000_000),
        r.longIn("rt.heartbeatMs", 1000, 600_000),
        r.longIn("rt.idleTimeoutMs", 2000, 3_600_000),
        r.longIn("rt.batchMs", 1, 1000),
        r.intIn("rt.historySize", 0, 100_000),
        r.intIn("rt.joinHistory", 0, 100_000),
        r.intIn("rt.maxTextLength", 1, 10_000),
        r.longIn("rt.idempotencyTtlMs", 1000, 3_600_000),
        r.intIn("rt.maxKeysPerRoom", 1, 10_000_000),
        r.longIn("rt.presenceRefreshMs", 100, 600_000),
        r.intIn("rt.writeQueueMaxBytes", 1024, 64 * 1024 * 1024),
        r.longIn("rt.slowConsumerMs", 100, 600_000),
        r.intIn("rt.sendRatePerSec", 1, 100_000),
        r.intIn("rt.sendBurst", 1, 100_000),
        r.intIn("rt.ipConnectRatePerSec", 1, 1_000_000),
        r.intIn("rt.ipConnectBurst", 1, 1_000_000),
        r.intIn("rt.roomMessagesPerSec", 1, 10_000_000),
        r.intIn("rt.roomMessagesBurst", 1, 10_000_000),
        r.subsetOf("rt.transports", Rt.TRANSPORTS),
        r.intIn("rt.deflateLevel", 0, 9),
        r.intIn("rt.deflateMinBytes", 0, 1024 * 1024));
    if (rt.joinHistory() > rt.historySize()) {
      throw new ConfigException("rt.joinHistory must not exceed rt.historySize");
    }
    if (rt.idleTimeoutMs() <= rt.heartbeatMs()) {
      throw new ConfigException("rt.idleTimeoutMs must be longer than rt.heartbeatMs");
    }
    Filter filter = new Filter(r.string("filter.wordsFile", false), r.longIn("filter.reloadMs", 100, 3_600_000));
    Replay replay = new Replay(r.intIn("replay.maxItems", 0, 10_000_000), r.intIn("replay.maxPage", 1, 100_000));
    Sweeper sweeper = new Sweeper(
        r.longIn("sweeper.intervalMs", 10, 3_600_000),
        r.longIn("sweeper.idleAfterMs", 100, 30L * 86_400_000),
        r.intIn("sweeper.batchSize", 1, 1_000_000),
        r.longIn("sweeper.retentionMs", 1000, 3650L * 86_400_000),
        r.intIn("sweeper.maxHotRooms", 0, 100_000_000));
    Vod vod = new Vod(r.string("vod.folder", false), r.longIn("vod.maxAgeSeconds", 0, 31_536_000));
    Webhooks webhooks = new Webhooks(
        r.strings("webhooks.urls", false),
        r.string("webhooks.secret", false),
        r.longIn("webhooks.timeoutMs", 100, 120_000),
        r.intIn("webhooks.maxAttempts", 1, 100),
        r.intIn("webhooks.queueSize", 1, 10_000_000),
        r.intIn("webhooks.concurrency", 1, 256));
    if (webhooks.enabled()) {
      checkWebhooks(webhooks);
    }
    return new LiveroomConfig(node, cluster, http, shard, redis, auth, rooms, rt, replay, sweeper, vod, webhooks, filter);
  }

  private static void checkWebhooks(Webhooks webhooks) {
    if (webhooks.secret().length() < 16) {
      throw new ConfigException("webhooks.secret must have at least 16 characters when webhooks.urls is set "
          + "(LIVEROOM_WEBHOOKS_SECRET); receivers check the signature with it, and there is no default");
    }
    for (String url : webhooks.urls()) {
      java.net.URI uri;
      try {
        uri = new java.net.URI(url);
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException("webhooks.urls: '" + url + "' is not a URL (" + e.getReason() + ")");
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
      if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
        throw new ConfigException("webhooks.urls: '" + url + "' must be an absolute http:// or https:// URL with a host");
      }
    }
  }

  private static void checkAuth(Auth auth) {
    if (auth.apiKeys().isEmpty()) {
      throw new ConfigException("auth.apiKeys is empty: set at least one API key "
          + "(LIVEROOM_AUTH_API_KEYS=key1,key2 or -Dliveroom.auth.apiKeys=...); there is no default key");
    }
    for (String k : auth.apiKeys()) {
      if (k.length() < 6) {
        throw new ConfigException("auth.apiKeys: every key must have at least 6 characters");
      }
    }
    switch (auth.jwtAlgorithm()) {
      case "HS256" -> {
        if (auth.jwtSecret().isEmpty()) {
          throw new ConfigException("auth.jwt.secret is empty: set the HS256 secret "
              + "(LIVEROOM_AUTH_JWT_SECRET); there is no default secret");
        }
        if (auth.weakSecret() && !auth.allowWeakSecret()) {
          throw new ConfigException("auth.jwt.secret has " + auth.jwtSecret().getBytes(StandardCharsets.UTF_8).length
              + " bytes: an HS256 secret needs at least " + Auth.MIN_SECRET_BYTES + " (e.g. openssl rand -hex 32); "
              + "auth.jwt.allowWeakSecret=true accepts a shorter one, for development only");
        }
      }
      case "RS256", "ES256" -> {
        if (auth.jwtPublicKey().isEmpty()) {
          throw new ConfigException("auth.jwt.publicKey is empty: " + auth.jwtAlgorithm()
              + " needs the PEM public key (LIVEROOM_AUTH_JWT_PUBLIC_KEY)");
        }
      }
      default -> throw new ConfigException("auth.jwt.algorithm must be HS256, RS256 or ES256, got '"
          + auth.jwtAlgorithm() + "'");
    }
  }

  private static int orCores(int n, int cores) {
    return n == 0 ? cores : n;
  }

  /** Typed access to dotted keys with messages that name the key. */
  static final class Reader {
    private final JsonObject root;

    Reader(JsonObject root) {
      this.root = root;
    }

    private Object raw(String key) {
      JsonObject o = root;
      String[] parts = key.split("\\.");
      for (int i = 0; i < parts.length - 1; i++) {
        Object next = o.getValue(parts[i]);
        if (!(next instanceof JsonObject)) {
          throw new ConfigException(key + " is missing");
        }
        o = (JsonObject) next;
      }
      Object v = o.getValue(parts[parts.length - 1]);
      if (v == null) {
        throw new ConfigException(key + " is missing");
      }
      return v;
    }

    String string(String key, boolean required) {
      Object v = raw(key);
      if (!(v instanceof String s)) {
        throw new ConfigException(key + " must be a string, got " + v);
      }
      if (required && s.isBlank()) {
        throw new ConfigException(key + " must not be empty");
      }
      return s.strip();
    }

    /** A non-empty list of distinct values from {@code allowed}. */
    List<String> subsetOf(String key, List<String> allowed) {
      List<String> values = strings(key, true);
      for (String v : values) {
        if (!allowed.contains(v)) {
          throw new ConfigException(key + " may hold " + String.join(", ", allowed) + ", got '" + v + "'");
        }
      }
      if (new java.util.HashSet<>(values).size() != values.size()) {
        throw new ConfigException(key + " names a value twice: " + values);
      }
      return values;
    }

    boolean bool(String key) {
      if (!(raw(key) instanceof Boolean b)) {
        throw new ConfigException(key + " must be true or false, got '" + raw(key) + "'");
      }
      return b;
    }

    String oneOf(String key, String... allowed) {
      String s = string(key, true);
      for (String a : allowed) {
        if (a.equals(s)) {
          return s;
        }
      }
      throw new ConfigException(key + " must be one of " + String.join(", ", allowed) + ", got '" + s + "'");
    }

    long longIn(String key, long min, long max) {
      Object v = raw(key);
      if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
        throw new ConfigException(key + " must be an integer, got '" + v + "'");
      }
      long l = n.longValue();
      if (l < min || l > max) {
        throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + l);
      }
      return l;
    }

    int intIn(String key, int min, int max) {
      return (int) longIn(key, min, max);
    }

    List<String> strings(String key, boolean nonEmpty) {
      Object v = raw(key);
      if (!(v instanceof JsonArray a)) {
        throw new ConfigException(key + " must be a list of strings, got " + v);
      }
      List<String> out = new ArrayList<>();
      for (Object o : a) {
        if (!(o instanceof String s) || s.isBlank()) {
          throw new ConfigException(key + " must be a list of non-empty strings, got " + a.encode());
        }
        out.add(s.strip());
      }
      if (nonEmpty && out.isEmpty()) {
        throw new ConfigException(key + " must not be empty");
      }
      return Collections.unmodifiableList(out);
    }

    Set<Role> roles(String key) {
      EnumSet<Role> roles = EnumSet.noneOf(Role.class);
      for (String s : strings(key, true)) {
        try {
          roles.add(Role.valueOf(s.toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(key + " may hold edge, shard and sweeper, got '" + s + "'");
        }
      }
      if (roles.contains(Role.SWEEPER) && !roles.contains(Role.SHARD)) {
        throw new ConfigException(key + ": the sweeper demotes this node's own rooms, so it needs the shard role");
      }
      return Collections.unmodifiableSet(roles);
    }
  }
}

package io.liveroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks the Kubernetes manifests, the Dockerfile and the Grafana dashboard under {@code k8s/}
 * (and the Prometheus Operator's objects under {@code k8s/monitoring/}) without a cluster: every
 * YAML document parses and is a well-formed object, and the pieces agree with each other and with
 * the node (probes, ports, env names that are real config keys, the headless Service the
 * discovery names, selectors, grace periods, JVM flags, the NetworkPolicy's ports, what the
 * ServiceMonitor scrapes, metric names and label values in the dashboard and the alerts).
 */
class K8sManifestsTest {
  private static final Path K8S = Path.of("k8s");
  /** The Prometheus Operator's objects: a kustomization of their own, as they need the operator's CRDs. */
  private static final String MONITORING = "monitoring";
  private static final String WORKLOAD = "liveroom";
  private static final int HTTP_PORT = 8080;
  private static final int HZ_PORT = 5701;
  private static final int EVENT_BUS_PORT = 5702;

  /**
   * Meters the node exports today (Prometheus names, without the _bucket/_count/... suffixes).
   * The liveroom_* ones are checked against the sources, so a renamed meter fails this test.
   */
  private static final Set<String> METRICS = Set.of(
      "liveroom_rooms_hot",
      "liveroom_rooms_stored",
      "liveroom_partitions_owned",
      "liveroom_connections",
      "liveroom_shard_commands_total",
      "liveroom_rooms_dropped_total",
      "liveroom_rooms_hydrations_total",
      "liveroom_rooms_hydration_latency_seconds",
      "liveroom_routing_retries_total",
      "liveroom_routing_unavailable_total",
      "liveroom_redis_requests_seconds",
      "liveroom_redis_replica_acks_seconds",
      "liveroom_rooms_over_cap",
      "liveroom_fanout_raw_bytes_total",
      "liveroom_messages_in_total",
      "liveroom_messages_out_total",
      "liveroom_messages_dropped_total",
      "liveroom_fanout_bundles_total",
      "liveroom_fanout_frames_total",
      "liveroom_history_writes_total",
      "liveroom_connections_rejected_total",
      "liveroom_fanout_latency_seconds",
      "liveroom_rooms_demotions_deferred_total",
      "liveroom_sweep_skipped_total",
      "liveroom_node_freezes_total",
      "liveroom_webhooks_sent_total",
      "liveroom_webhooks_queue",
      "liveroom_build_info",
      "vertx_http_server_requests_total",
      "vertx_http_server_active_connections",
      "jvm_memory_used_bytes",
      "jvm_gc_pause_seconds",
      "process_cpu_usage");
  /** Prefixes of meter families Vert.x exports (many names). */
  private static final List<String> METRIC_PREFIXES = List.of("vertx_eventbus_");
  /**
   * Meters the dashboard shows that the node does not export yet; move a name to METRICS when
   * it lands in NodeMetrics.
   */
  private static final Set<String> METRICS_TO_ADD = Set.of();
  private static final Set<String> METRIC_SUFFIXES = Set.of("_bucket", "_count", "_sum", "_max");
  private static final Pattern METRIC_TOKEN = Pattern.compile("\\b((?:liveroom|vertx|jvm|process)_[a-zA-Z0-9_]+)");

  /** The Sentinel overlay: the base with a replicated Redis and Sentinels in place of the single Redis. */
  private static final String SENTINEL = "redis-sentinel";
  /** The Secret and key of the Redis password, for the nodes and every Redis and Sentinel. */
  private static final String REDIS_SECRET = "liveroom-redis";
  private static final String REDIS_SECRET_KEY = "password";

  private static List<Doc> docs;
  /** The Sentinel overlay's own files (not in {@link #docs}), and its kustomization. */
  private static List<Doc> sentinelFiles;
  private static Map<String, Object> sentinelKustomization;
  private static Map<String, Object> kustomization;
  private static Map<String, Object> monitoringKustomization;
  private static String sources;

  /** One YAML document and the file it came from. */
  record Doc(String file, Map<String, Object> body) {
    String kind() {
      return (String) body.get("kind");
    }

    String name() {
      return str(body, "metadata.name");
    }

    @Override
    public String toString() {
      return file + ": " + kind() + "/" + name();
    }
  }

  @BeforeAll
  static void load() throws IOException {
    assertTrue(Files.isDirectory(K8S), "run from the project root: no " + K8S.toAbsolutePath());
    docs = new ArrayList<>();
    kustomization = loadDir(K8S, "");
    monitoringKustomization = loadDir(K8S.resolve(MONITORING), MONITORING + "/");
    assertFalse(docs.isEmpty(), "no manifests under k8s/");
    List<Doc> base = docs;
    docs = new ArrayList<>();
    sentinelKustomization = loadDir(K8S.resolve(SENTINEL), SENTINEL + "/");
    sentinelFiles = docs;
    docs = base;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      StringBuilder sb = new StringBuilder();
      for (Path f : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        sb.append(Files.readString(f, StandardCharsets.UTF_8));
      }
      sources = sb.toString();
    }
  }

  /** Adds the manifests of {@code dir} to {@link #docs}, named {@code prefix + file name}; returns its kustomization. */
  private static Map<String, Object> loadDir(Path dir, String prefix) throws IOException {
    Map<String, Object> kust = null;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(K8sManifestsTest::isYaml).sorted().toList()) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        int n = 0;
        for (Object o : yaml.loadAll(Files.readString(f, StandardCharsets.UTF_8))) {
          n++;
          if (o == null) {
            continue; // an empty document, e.g. after a leading ---
          }
          assertTrue(o instanceof Map, () -> f + ": document " + "is not a mapping");
          Map<String, Object> body = map(o);
          if (f.getFileName().toString().equals("kustomization.yaml")) {
            kust = body;
          } else {
            docs.add(new Doc(prefix + f.getFileName(), body));
          }
        }
        assertTrue(n > 0, f + " holds no YAML document");
      }
    }
    return kust;
  }

  private static boolean isYaml(Path p) {
    String n = p.getFileName().toString();
    return Files.isRegularFile(p) && (n.endsWith(".yaml") || n.endsWith(".yml"));
  }

  // ---------------------------------------------------------------- every document

  @Test
  void everyDocumentHasApiVersionKindAndName() {
    for (Doc d : docs) {
      assertTrue(d.body().get("apiVersion") instanceof String s && !s.isBlank(), d.file() + ": a document without apiVersion");
      assertTrue(d.body().get("kind") instanceof String s && !s.isBlank(), d.file() + ": a document without kind");
      assertTrue(d.name() != null && d.name().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"),
          () -> d.file() + ": metadata.name missing or not a DNS label: " + d.name());
    }
  }

  @Test
  void kindAndNameAreUniqueAndNoNamespaceIsHardCoded() {
    Set<String> seen = new HashSet<>();
    for (Doc d : docs) {
      assertTrue(seen.add(d.kind() + "/" + d.name()), "two documents are " + d);
      assertNull(get(d.body(), "metadata.namespace"), d + " names a namespace: the manifests are namespace-agnostic");
    }
    assertNull(kustomization.get("namespace"), "kustomization.yaml sets a namespace: leave that to overlays or -n");
    assertNull(monitoringKustomization.get("namespace"), "monitoring/kustomization.yaml sets a namespace");
  }

  @Test
  void apiVersionsAreTheStableOnes() {
    Map<String, String> expected = Map.of(
        "Deployment", "apps/v1", "StatefulSet", "apps/v1", "Service", "v1", "ConfigMap", "v1",
        "PodDisruptionBudget", "policy/v1", "HorizontalPodAutoscaler", "autoscaling/v2",
        "NetworkPolicy", "networking.k8s.io/v1",
        "ServiceMonitor", "monitoring.coreos.com/v1", "PrometheusRule", "monitoring.coreos.com/v1");
    for (Doc d : docs) {
      String want = expected.get(d.kind());
      assertNotNull(want, d + ": unexpected kind (add it to this test if it is meant)");
      assertEquals(want, d.body().get("apiVersion"), d.toString());
    }
  }

  @Test
  void labelsAnnotationsAndEnvValuesAreStrings() {
    // the API server rejects `value: 20000` or `prometheus.io/scrape: true`: they must be quoted
    for (Doc d : docs) {
      walk(d.body(), "", (path, node) -> {
        boolean serviceSelector = d.kind().equals("Service") && path.equals(".spec.selector");
        if (path.endsWith(".labels") || path.endsWith(".annotations") || path.endsWith(".matchLabels") || serviceSelector) {
          map(node).forEach((k, v) -> assertTrue(v instanceof String, d + ": " + path + "." + k + " is not a string: " + v));
        }
        if (path.endsWith(".env")) {
          for (Object e : list(node)) {
            Object v = map(e).get("value");
            assertTrue(v == null || v instanceof String, d + ": env " + map(e).get("name") + " is not a string: " + v);
          }
        }
      });
    }
  }

  private static void walk(Object node, String path, java.util.function.BiConsumer<String, Object> visit) {
    visit.accept(path, node);
    if (node instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, visit));
    } else if (node instanceof List<?> l) {
      l.forEach(v -> walk(v, path, visit));
    }
  }

  @Test
  void kustomizationListsEveryManifestAndGeneratesTheConfigMapFromConf() {
    assertNotNull(kustomization, "k8s/kustomization.yaml is missing");
    assertEquals("Kustomization", kustomization.get("kind"));
    Set<String> files = docs.stream().map(Doc::file).filter(f -> !f.startsWith(MONITORING + "/"))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(files, new TreeSet<>(strings(kustomization.get("resources"))),
        "kustomization.yaml resources must be exactly the manifest files under k8s/");
    assertNotNull(monitoringKustomization, "k8s/monitoring/kustomization.yaml is missing");
    Set<String> monitoring = docs.stream().map(Doc::file).filter(f -> f.startsWith(MONITORING + "/"))
        .map(f -> f.substring(MONITORING.length() + 1)).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(monitoring, new TreeSet<>(strings(monitoringKustomization.get("resources"))),
        "monitoring/kustomization.yaml resources must be exactly the manifest files under k8s/monitoring/");
    for (Doc d : docs) {
      if (String.valueOf(d.body().get("apiVersion")).startsWith("monitoring.coreos.com/")) {
        assertTrue(d.file().startsWith(MONITORING + "/"),
            d + ": the Prometheus Operator's kinds live in k8s/monitoring/, so that the base applies without their CRDs");
      }
    }
    Map<String, Object> gen = configMapGenerator();
    for (String f : strings(gen.get("files"))) {
      assertTrue(Files.isRegularFile(K8S.resolve(f)), "configMapGenerator file missing: " + f);
    }
    assertEquals(Set.of("liveroom.json", "cluster.xml", "logback-json.xml"), configMapKeys(),
        "the ConfigMap carries the three files of conf/");
  }

  // ---------------------------------------------------------------- the liveroom workload

  @Test
  void workloadIsADeploymentThatRollsOnePodAtATime() {
    Doc d = one("Deployment", WORKLOAD);
    Map<String, Object> spec = map(d.body().get("spec"));
    assertEquals("RollingUpdate", str(spec, "strategy.type"));
    assertEquals("1", String.valueOf(get(spec, "strategy.rollingUpdate.maxSurge")));
    assertEquals("0", String.valueOf(get(spec, "strategy.rollingUpdate.maxUnavailable")));
    assertTrue(((Number) spec.getOrDefault("minReadySeconds", 0)).intValue() > 0,
        "minReadySeconds gives partitions time to migrate between two steps of a rollout");
    assertTrue(selected(labels(get(spec, "selector.matchLabels")), podLabels()),
        "the Deployment's selector must match its pod template");
  }

  @Test
  void probesUseTheHealthEndpointsOnTheHttpPort() {
    Map<String, Object> c = container();
    assertHttpProbe(c, "readinessProbe", "/health/ready");
    assertHttpProbe(c, "livenessProbe", "/health/live");
    assertHttpProbe(c, "startupProbe", "/health/live");
    LiveroomConfig cfg = nodeConfig();
    Map<String, Object> startup = map(c.get("startupProbe"));
    long budgetSec = num(startup, "periodSeconds") * num(startup, "failureThreshold");
    long startSec = (cfg.cluster().joinTimeoutMs() + 30_000) / 1000;
    assertTrue(budgetSec > startSec, "the startup probe allows " + budgetSec + " s, but a node may take "
        + startSec + " s (cluster.joinTimeoutMs + 30 s) before its HTTP server listens");
  }

  @Test
  void containerHasResourceRequestsAndLimits() {
    Map<String, Object> r = map(container().get("resources"));
    for (String k : List.of("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")) {
      assertNotNull(get(r, k), "resources." + k + " is missing");
    }
    assertEquals(bytes(str(r, "requests.memory")), bytes(str(r, "limits.memory")),
        "memory request and limit are equal: the heap is sized from the limit, and the pod must not be evicted for using it");
  }

  @Test
  void jvmFlagsHaveAHeapSizedToTheLimitAndNoModuleFlags() throws IOException {
    String opts = env().get("JAVA_OPTS").value();
    assertNotNull(opts, "JAVA_OPTS is not set on the container");
    assertNoModuleFlags("JAVA_OPTS of the container", opts);
    Matcher m = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)").matcher(opts);
    assertTrue(m.find(), "the heap is sized with -XX:MaxRAMPercentage");
    double pct = Double.parseDouble(m.group(1));
    assertTrue(pct >= 40 && pct <= 75, "MaxRAMPercentage " + pct + " leaves too little or too much off-heap room");
    assertFalse(opts.matches(".*-Xm[xs]\\d.*"), "a fixed -Xmx/-Xms would ignore the container limit");
    long limit = bytes(str(map(container().get("resources")), "limits.memory"));
    assertTrue(limit * (100 - pct) / 100 >= 512L * 1024 * 1024, "less than 512 MiB left off-heap");
    Matcher lb = Pattern.compile("-Dlogback\\.configurationFile=(\\S+)").matcher(opts);
    assertTrue(lb.find(), "JSON logs: -Dlogback.configurationFile");
    assertConfFile(lb.group(1));
  }

  @Test
  void terminationGraceExceedsPreStopPlusTheNodesShutdownGrace() {
    Map<String, Object> pod = podSpec();
    long grace = num(pod, "terminationGracePeriodSeconds");
    long preStop = 0;
    Object cmd = get(container(), "lifecycle.preStop.exec.command");
    if (cmd != null) {
      List<String> argv = strings(cmd);
      assertEquals("sleep", argv.get(0), "preStop is expected to be a sleep");
      preStop = Long.parseLong(argv.get(1));
    }
    long shutdownMs = nodeConfig().node().shutdownGraceMs();
    assertTrue(grace * 1000 > preStop * 1000 + shutdownMs,
        "terminationGracePeriodSeconds " + grace + " must exceed preStop " + preStop + " s + node.shutdownGraceMs " + shutdownMs + " ms");
  }

  @Test
  void envNamesAreConfigKeysAndTheConfigValidates() {
    Set<String> known = new HashSet<>();
    collectEnvNames(ConfigLoader.defaults(), "", known);
    for (String name : env().keySet()) {
      if (name.startsWith(ConfigLoader.ENV_PREFIX) && !name.equals("LIVEROOM_CONFIG")) {
        assertTrue(known.contains(name), name + " is no config key (docs/configuration.md)");
      }
    }
    LiveroomConfig cfg = nodeConfig();
    assertEquals("kubernetes", cfg.cluster().discovery());
    assertEquals(HZ_PORT, cfg.cluster().port());
    assertEquals(EVENT_BUS_PORT, cfg.cluster().eventBusPort());
    assertEquals(HTTP_PORT, cfg.http().port());
  }

  @Test
  void eventBusHasAFixedPortTheContainerDeclares() {
    assertEquals(String.valueOf(EVENT_BUS_PORT), env().get("LIVEROOM_CLUSTER_EVENT_BUS_PORT").value(),
        "a fixed event-bus port, so that the NetworkPolicy can name it (0 would pick a random one)");
    assertEquals(EVENT_BUS_PORT, containerPorts().get("eventbus"), "the container declares the event-bus port as 'eventbus'");
    assertEquals(nodeConfig().cluster().eventBusPort(), containerPorts().get("eventbus"));
  }

  @Test
  void podsCannotGetServiceLinkVariables() {
    // Service links give pods LIVEROOM_REDIS_PORT=tcp://... and the like, read as config; a
    // Service named liveroom-http would give them LIVEROOM_HTTP_PORT=tcp://...
    for (Doc d : docs) {
      if (d.kind().equals("Deployment") || d.kind().equals("StatefulSet")) {
        assertEquals(Boolean.FALSE, get(d.body(), "spec.template.spec.enableServiceLinks"), d + ": enableServiceLinks must be false");
      }
    }
  }

  @Test
  void discoveryNamesTheHeadlessServiceAndTheHostIsThePodIp() {
    Map<String, Env> env = env();
    assertEquals("kubernetes", env.get("LIVEROOM_CLUSTER_DISCOVERY").value());
    assertEquals(String.valueOf(HZ_PORT), env.get("LIVEROOM_CLUSTER_PORT").value());
    assertEquals("status.podIP", env.get("LIVEROOM_CLUSTER_HOST").fieldRef(), "LIVEROOM_CLUSTER_HOST comes from the downward API");
    String dns = env.get("LIVEROOM_CLUSTER_KUBERNETES_SERVICE_DNS").value();
    assertNotNull(dns);
    String svcName = dns.substring(0, dns.indexOf('.'));
    Doc svc = one("Service", svcName);
    Map<String, Object> spec = map(svc.body().get("spec"));
    assertEquals("None", spec.get("clusterIP"), svc + " must be headless");
    assertEquals(Boolean.TRUE, spec.get("publishNotReadyAddresses"), svc + ": starting pods must find each other before they are ready");
    assertTrue(ports(spec).contains(HZ_PORT), svc + " has no port " + HZ_PORT);
    assertSelectsPods(svc);
    // $(VAR) references must name variables defined before them
    List<String> order = new ArrayList<>(env.keySet());
    Matcher m = Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(dns);
    while (m.find()) {
      String ref = m.group(1);
      assertTrue(order.indexOf(ref) >= 0 && order.indexOf(ref) < order.indexOf("LIVEROOM_CLUSTER_KUBERNETES_SERVICE_DNS"),
          "$(" + ref + ") must be defined before LIVEROOM_CLUSTER_KUBERNETES_SERVICE_DNS");
      if (ref.equals("POD_NAMESPACE")) {
        assertEquals("metadata.namespace", env.get(ref).fieldRef());
      }
    }
    assertTrue(dns.matches(Pattern.quote(svcName) + "\\.\\$\\(POD_NAMESPACE\\)\\.svc(\\.[a-z.]+)?"),
        "the DNS name is <service>.<namespace>.svc[.<cluster domain>]: " + dns);
    assertTrue(containerPorts().containsValue(HZ_PORT), "the container declares port " + HZ_PORT);
  }

  @Test
  void secretsComeFromASecret() {
    Map<String, Env> env = env();
    for (String k : List.of("LIVEROOM_AUTH_API_KEYS", "LIVEROOM_AUTH_JWT_SECRET")) {
      Env e = env.get(k);
      assertNotNull(e, k + " is not set");
      assertNull(e.value(), k + " must not be a literal");
      assertNotNull(e.secretName(), k + " must come from a secretKeyRef");
      assertNotNull(e.secretKey(), k + " needs a secret key");
    }
    for (Doc d : docs) {
      assertFalse(d.kind().equals("Secret"), d + ": no Secret with values is checked in (k8s/README.md creates it)");
    }
  }

  @Test
  void configMapIsMountedWhereTheEnvironmentPointsAndClusterXmlIsInIt() {
    Map<String, Env> env = env();
    assertConfFile(env.get("LIVEROOM_CONFIG").value());
    assertConfFile(env.get("LIVEROOM_CLUSTER_CONFIG_FILE").value());
  }

  @Test
  void redisUrlPointsAtTheRedisService() {
    String url = env().get("LIVEROOM_REDIS_URL").value();
    Matcher m = Pattern.compile("redis://([a-z0-9-]+):(\\d+)").matcher(url);
    assertTrue(m.matches(), "LIVEROOM_REDIS_URL " + url);
    Doc svc = one("Service", m.group(1));
    assertTrue(ports(map(svc.body().get("spec"))).contains(Integer.parseInt(m.group(2))));
    Doc sts = one("StatefulSet", "liveroom-redis");
    Map<String, Object> podLabels = labels(get(sts.body(), "spec.template.metadata.labels"));
    assertFalse(labels(get(svc.body(), "spec.selector")).isEmpty());
    assertTrue(selected(labels(get(svc.body(), "spec.selector")), podLabels), svc + " must select the Redis pods");
    Doc governing = one("Service", str(sts.body(), "spec.serviceName"));
    assertEquals("None", get(governing.body(), "spec.clusterIP"), "the StatefulSet's governing Service is headless");
    List<String> args = strings(get(sts.body(), "spec.template.spec.containers"), 0, "args");
    assertEquals("yes", args.get(args.indexOf("--appendonly") + 1), "Redis is the durable store: AOF on");
    assertEquals("noeviction", args.get(args.indexOf("--maxmemory-policy") + 1), "Redis must never evict liveroom's keys");
    assertNotNull(get(sts.body(), "spec.volumeClaimTemplates"), "Redis keeps its data on a volume");
    // the liveroom Services must not pick up Redis pods, nor the other way round
    for (Doc d : docs) {
      if (d.kind().equals("Service") && d.name().startsWith("liveroom") && !d.name().contains("redis")) {
        assertFalse(selected(labels(get(d.body(), "spec.selector")), podLabels), d + " selects the Redis pods");
      }
    }
  }

  // ---------------------------------------------------------------- the Redis password

  @Test
  void redisPasswordComesFromTheSecretAndRedisRequiresIt() {
    Env node = env().get("LIVEROOM_REDIS_PASSWORD");
    assertNotNull(node, "LIVEROOM_REDIS_PASSWORD is not set on the nodes");
    assertEquals(new Env(null, null, REDIS_SECRET, REDIS_SECRET_KEY), node, "LIVEROOM_REDIS_PASSWORD from the Secret");
    assertFalse(nodeConfig().redis().password().isEmpty(), "the nodes' config carries the password");
    Doc sts = one("StatefulSet", "liveroom-redis");
    Map<String, Object> redis = containerOf(sts, "redis");
    assertSecretPassword(sts, redis);
    List<String> command = strings(redis.get("command"));
    assertEquals(List.of("sh", "-c"), command.subList(0, 2), sts + ": the command is a shell script");
    String script = command.get(2);
    assertRequiresPassword(sts + " (command)", script, "/run/redis/auth.conf");
    assertTrue(script.contains("exec redis-server /run/redis/auth.conf \"$@\""), sts + ": the script execs redis-server with the args");
    assertMemoryVolumeAt(sts, redis, "/run/redis");
    assertShellSyntax(sts + " (command)", script);
    for (String probe : List.of("livenessProbe", "readinessProbe")) {
      String cmd = String.join(" ", strings(get(redis, probe + ".exec.command")));
      assertTrue(cmd.contains("redis-cli") && cmd.contains("grep") && cmd.contains("PONG"),
          sts + ": the " + probe + " looks for PONG (redis-cli exits 0 on NOAUTH too): " + cmd);
    }
  }

  @Test
  void noPasswordOrSecretIsWrittenInAnyManifest() {
    Pattern secretName = Pattern.compile("(?i).*(PASSWORD|SECRET|API_KEYS|AUTH).*");
    List<Doc> all = new ArrayList<>(docs);
    all.addAll(sentinelFiles);
    for (Doc d : all) {
      assertFalse(d.kind().equals("Secret"), d + ": no Secret with values is checked in (k8s/README.md creates it)");
      walk(d.body(), "", (path, node) -> {
        if (path.endsWith(".env")) {
          for (Object e : list(node)) {
            String name = String.valueOf(map(e).get("name"));
            if (secretName.matcher(name).matches()) {
              assertNull(map(e).get("value"), d + ": env " + name + " is a literal; take it from a Secret");
              assertNotNull(get(map(e), "valueFrom.secretKeyRef.name"), d + ": env " + name + " must come from a secretKeyRef");
            }
          }
        }
        if (node instanceof String text) {
          assertFalse(text.matches("(?s).*--(requirepass|masterauth)\\b.*"),
              d + ": a password on a command line (" + path + "); the scripts write it to a file");
          Matcher m = Pattern.compile("(?m)\\b(requirepass|masterauth|auth-pass \\S+)\\s+([^\\s\\\\]+)").matcher(text);
          while (m.find()) {
            assertTrue(m.group(2).contains("REDIS_PASSWORD") || m.group(2).equals("%s"),
                d + ": " + m.group() + " is not the Secret's $REDIS_PASSWORD");
          }
          assertFalse(text.matches("(?s).*rediss?://[^/\\s]*@.*"), d + ": a Redis URL with credentials: " + text);
        }
      });
    }
  }

  // ---------------------------------------------------------------- the Sentinel overlay

  @Test
  void sentinelOverlayIsTheBaseWithItsRedisReplaced() {
    assertNotNull(sentinelKustomization, "k8s/" + SENTINEL + "/kustomization.yaml is missing");
    assertEquals("Kustomization", sentinelKustomization.get("kind"));
    assertNull(sentinelKustomization.get("namespace"), SENTINEL + "/kustomization.yaml sets a namespace");
    Set<String> own = sentinelFiles.stream().map(d -> d.file().substring(SENTINEL.length() + 1))
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> resources = new TreeSet<>(strings(sentinelKustomization.get("resources")));
    assertTrue(resources.remove(".."), "the overlay builds on the base (resources: ..)");
    assertEquals(own, resources, "the overlay's resources are the base and exactly its own manifest files");
    List<Doc> rendered = sentinelRendered();
    for (String gone : List.of("StatefulSet/liveroom-redis", "Service/liveroom-redis", "Service/liveroom-redis-headless",
        "NetworkPolicy/liveroom-redis")) {
      assertTrue(rendered.stream().noneMatch(d -> (d.kind() + "/" + d.name()).equals(gone)), "the overlay keeps the base's " + gone);
    }
    Set<String> seen = new HashSet<>();
    Map<String, String> apiVersions = Map.of("Deployment", "apps/v1", "StatefulSet", "apps/v1", "Service", "v1",
        "ConfigMap", "v1", "PodDisruptionBudget", "policy/v1", "HorizontalPodAutoscaler", "autoscaling/v2",
        "NetworkPolicy", "networking.k8s.io/v1");
    for (Doc d : rendered) {
      assertTrue(d.name() != null && d.name().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"), d + ": metadata.name");
      assertTrue(seen.add(d.kind() + "/" + d.name()), "two documents are " + d);
      assertEquals(apiVersions.get(d.kind()), d.body().get("apiVersion"), d + ": unexpected kind or apiVersion");
      assertNull(get(d.body(), "metadata.namespace"), d + " names a namespace");
      if (d.kind().equals("Deployment") || d.kind().equals("StatefulSet")) {
        assertEquals(Boolean.FALSE, get(d.body(), "spec.template.spec.enableServiceLinks"), d + ": enableServiceLinks must be false");
        assertTrue(selected(labels(get(d.body(), "spec.selector.matchLabels")), labels(get(d.body(), "spec.template.metadata.labels"))),
            d + ": the selector matches the pod template");
      }
      if (d.kind().equals("Service")) {
        Map<String, Object> sel = labels(get(d.body(), "spec.selector"));
        assertTrue(rendered.stream().filter(w -> w.kind().equals("Deployment") || w.kind().equals("StatefulSet"))
            .anyMatch(w -> selected(sel, labels(get(w.body(), "spec.template.metadata.labels")))), d + " selects no pods");
      }
    }
  }

  @Test
  void sentinelOverlaySwitchesTheNodesToSentinelMode() {
    List<Doc> rendered = sentinelRendered();
    Doc deployment = rendered.stream().filter(d -> d.kind().equals("Deployment") && d.name().equals(WORKLOAD)).findFirst()
        .orElseGet(() -> fail("the overlay has no Deployment " + WORKLOAD));
    Map<String, Env> env = env(containerOf(deployment, WORKLOAD));
    assertEquals("sentinel", env.get("LIVEROOM_REDIS_MODE").value());
    assertNull(env.get("LIVEROOM_REDIS_URL"), "redis.url means nothing in sentinel mode: the overlay drops it");
    assertEquals(new Env(null, null, REDIS_SECRET, REDIS_SECRET_KEY), env.get("LIVEROOM_REDIS_PASSWORD"));
    LiveroomConfig cfg = nodeConfig(env);
    assertEquals(io.liveroom.config.RedisMode.SENTINEL, cfg.redis().mode());
    assertFalse(cfg.redis().password().isEmpty());
    // the base's other settings come through unchanged
    Map<String, Env> base = new LinkedHashMap<>(env());
    base.remove("LIVEROOM_REDIS_URL");
    env.keySet().removeAll(List.of("LIVEROOM_REDIS_MODE", "LIVEROOM_REDIS_SENTINELS", "LIVEROOM_REDIS_MASTER_NAME"));
    assertEquals(base, env, "the overlay changes the nodes' Redis settings only");

    Doc sts = sentinelRedis(rendered);
    String sentinelScript = script(rendered, "sentinel.sh");
    Matcher monitor = Pattern.compile("(?m)^sentinel monitor (\\S+) \\$MASTER (\\d+) (\\d+)$").matcher(sentinelScript);
    assertTrue(monitor.find(), "sentinel.sh writes a `sentinel monitor` line");
    assertEquals(cfg.redis().masterName(), monitor.group(1), "redis.masterName is the name the Sentinels watch");
    long replicas = num(map(sts.body().get("spec")), "replicas");
    long quorum = Long.parseLong(monitor.group(3));
    assertTrue(replicas >= 3 && replicas % 2 == 1, sts + ": an odd number of Sentinels, 3 or more");
    assertEquals(replicas / 2 + 1, quorum, "the quorum is a majority of the Sentinels");
    assertEquals(containerPorts(sts, "redis").get("redis").longValue(), Long.parseLong(monitor.group(2)),
        "the Sentinels watch the Redis port");
    assertTrue(script(rendered, "common.sh").contains("sentinel get-master-addr-by-name " + cfg.redis().masterName()),
        "a starting pod asks the Sentinels for that master");

    int sentinelPort = containerPorts(sts, "sentinel").get("sentinel");
    assertTrue(sentinelScript.contains("port " + sentinelPort), "the Sentinel listens on its container port");
    assertFalse(cfg.redis().sentinels().isEmpty());
    for (String hp : cfg.redis().sentinels()) {
      String host = hp.substring(0, hp.lastIndexOf(':'));
      int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
      Doc svc = rendered.stream().filter(d -> d.kind().equals("Service") && d.name().equals(host.split("\\.")[0]))
          .findFirst().orElseGet(() -> fail("LIVEROOM_REDIS_SENTINELS names " + host + ", which is no Service of the overlay"));
      assertTrue(selected(labels(get(svc.body(), "spec.selector")), labels(get(sts.body(), "spec.template.metadata.labels"))),
          svc + " selects the Sentinel pods");
      Map<String, Object> p = list(get(svc.body(), "spec.ports")).stream().map(K8sManifestsTest::map)
          .filter(m -> ((Number) m.get("port")).intValue() == port).findFirst()
          .orElseGet(() -> fail(svc + " has no port " + port));
      assertEquals("sentinel", String.valueOf(p.get("targetPort")), svc + " targets the Sentinel port");
    }
  }

  @Test
  void sentinelOverlayRedisAndSentinelsTakeThePasswordFromTheSecret() throws Exception {
    List<Doc> rendered = sentinelRendered();
    Doc sts = sentinelRedis(rendered);
    Doc governing = rendered.stream().filter(d -> d.kind().equals("Service") && d.name().equals(str(sts.body(), "spec.serviceName")))
        .findFirst().orElseGet(() -> fail(sts + ": no governing Service"));
    assertEquals("None", get(governing.body(), "spec.clusterIP"));
    assertEquals(Boolean.TRUE, get(governing.body(), "spec.publishNotReadyAddresses"), "starting pods find each other by name");
    assertTrue(script(rendered, "common.sh").contains("HEADLESS=" + governing.name()), "the scripts name the pods through " + governing);
    for (String c : List.of("redis", "sentinel")) {
      Map<String, Object> container = containerOf(sts, c);
      assertSecretPassword(sts, container);
      String file = strings(container.get("command")).get(1);
      assertTrue(file.startsWith("/scripts/"), sts + ": " + c + " runs a script of the ConfigMap");
    }
    assertRequiresPassword(sts + " redis.sh", script(rendered, "redis.sh"), "/run/redis/redis.conf");
    assertMemoryVolumeAt(sts, containerOf(sts, "redis"), "/run/redis");
    assertMemoryVolumeAt(sts, containerOf(sts, "sentinel"), "/run/sentinel");
    String sentinel = script(rendered, "sentinel.sh");
    assertTrue(sentinel.contains("\nrequirepass $REDIS_PASSWORD\n"), "the Sentinels ask for the password");
    assertTrue(sentinel.contains("\nsentinel auth-pass liveroom $REDIS_PASSWORD\n"), "the Sentinels log in to Redis");
    List<String> args = strings(containerOf(sts, "redis").get("args"));
    assertEquals("yes", args.get(args.indexOf("--appendonly") + 1), "AOF on");
    assertEquals("noeviction", args.get(args.indexOf("--maxmemory-policy") + 1), "never evict");
    assertTrue(args.contains("--min-replicas-to-write"), "a master cut off from its replicas stops acknowledging writes");
    String scripts = list(get(sts.body(), "spec.template.spec.volumes")).stream().map(K8sManifestsTest::map)
        .filter(v -> "scripts".equals(v.get("name"))).map(v -> str(v, "configMap.name")).findFirst()
        .orElseGet(() -> fail(sts + ": no volume scripts"));
    Doc cm = rendered.stream().filter(d -> d.kind().equals("ConfigMap") && d.name().equals(scripts))
        .findFirst().orElseGet(() -> fail(sts + ": the scripts' ConfigMap " + scripts + " is missing"));
    for (Map.Entry<String, Object> e : map(cm.body().get("data")).entrySet()) {
      assertShellSyntax(cm + " " + e.getKey(), String.valueOf(e.getValue()));
    }
    List<Doc> pdbs = rendered.stream().filter(d -> d.kind().equals("PodDisruptionBudget")
        && selected(labels(get(d.body(), "spec.selector.matchLabels")), labels(get(sts.body(), "spec.template.metadata.labels")))).toList();
    assertEquals(1, pdbs.size(), "a PodDisruptionBudget keeps the Sentinels' quorum in drains");
    assertEquals(1, num(map(pdbs.get(0).body().get("spec")), "maxUnavailable"));
  }

  @Test
  void sentinelOverlayAdmitsRedisAndSentinelsFromLiveroomAndEachOtherOnly() {
    List<Doc> rendered = sentinelRendered();
    Doc sts = sentinelRedis(rendered);
    Map<String, Object> redisPods = labels(get(sts.body(), "spec.template.metadata.labels"));
    List<Doc> policies = rendered.stream().filter(d -> d.kind().equals("NetworkPolicy")
        && selected(labels(get(d.body(), "spec.podSelector.matchLabels")), redisPods)).toList();
    assertEquals(1, policies.size(), "one NetworkPolicy selects the Redis pods: " + policies);
    Doc np = policies.get(0);
    assertTrue(strings(get(np.body(), "spec.policyTypes")).contains("Ingress"));
    Map<String, Integer> ports = new HashMap<>();
    for (Object c : list(get(sts.body(), "spec.template.spec.containers"))) {
      for (Object p : list(map(c).get("ports"))) {
        ports.put(String.valueOf(map(p).get("name")), ((Number) map(p).get("containerPort")).intValue());
      }
    }
    Map<Integer, List<Map<String, Object>>> admitted = admittedPorts(np, ports);
    assertEquals(new TreeSet<>(ports.values()), new TreeSet<>(admitted.keySet()), np + " admits exactly the Redis and Sentinel ports");
    Map<String, Object> liveroomPods = podLabels();
    for (Map.Entry<Integer, List<Map<String, Object>>> e : admitted.entrySet()) {
      boolean fromNodes = false;
      boolean fromRedis = false;
      for (Map<String, Object> rule : e.getValue()) {
        assertFalse(list(rule.get("from")).isEmpty(), np + " admits port " + e.getKey() + " from anywhere");
        for (Object peer : list(rule.get("from"))) {
          assertEquals(Set.of("podSelector"), map(peer).keySet(), np + ": pods of this namespace only, not " + peer);
          Map<String, Object> sel = labels(get(map(peer), "podSelector.matchLabels"));
          boolean nodes = selected(sel, liveroomPods);
          boolean redis = selected(sel, redisPods);
          assertTrue(nodes != redis && get(map(peer), "podSelector.matchExpressions") == null,
              np + ": port " + e.getKey() + " admits " + peer + ", neither only the liveroom pods nor only the Redis pods");
          fromNodes |= nodes;
          fromRedis |= redis;
        }
      }
      assertTrue(fromNodes && fromRedis, np + ": port " + e.getKey() + " must admit the nodes and the Redis pods (replication, Sentinels)");
    }
  }

  /** The overlay's StatefulSet of Redis and Sentinels. */
  private static Doc sentinelRedis(List<Doc> rendered) {
    List<Doc> sets = rendered.stream().filter(d -> d.kind().equals("StatefulSet")).toList();
    assertEquals(1, sets.size(), "one StatefulSet in the Sentinel overlay: " + sets);
    return sets.get(0);
  }

  /** A script of the overlay's scripts ConfigMap. */
  private static String script(List<Doc> rendered, String name) {
    for (Doc d : rendered) {
      if (d.kind().equals("ConfigMap") && map(d.body().get("data")) != null && map(d.body().get("data")).get(name) != null) {
        return String.valueOf(map(d.body().get("data")).get(name));
      }
    }
    return fail("no ConfigMap holds " + name);
  }

  /**
   * What {@code kubectl kustomize k8s/redis-sentinel} renders, for the forms this overlay uses: the
   * base's manifests, then the overlay's own, then each patch in order, which is one document,
   * either {@code $patch: delete} of a resource or a strategic merge patch (maps merge, lists of
   * named items merge by name, where {@code $patch: delete} removes one, other lists are replaced).
   */
  private static List<Doc> sentinelRendered() {
    List<Doc> out = new ArrayList<>();
    for (Doc d : docs) {
      if (!d.file().startsWith(MONITORING + "/")) {
        out.add(new Doc(d.file(), deepCopy(d.body())));
      }
    }
    sentinelFiles.forEach(d -> out.add(new Doc(d.file(), deepCopy(d.body()))));
    for (Object p : list(sentinelKustomization.get("patches"))) {
      Map<String, Object> entry = map(p);
      assertNull(entry.get("target"), "the test applies patches that name their resource: " + entry);
      assertTrue(entry.get("patch") instanceof String, "an inline patch: " + entry);
      List<Object> parsed = new ArrayList<>();
      new Yaml(new SafeConstructor(new LoaderOptions())).loadAll((String) entry.get("patch")).forEach(parsed::add);
      assertEquals(1, parsed.size(), "one document per patch (kustomize's patches take one $patch: delete each)");
      Map<String, Object> patch = map(parsed.get(0));
      String kind = (String) patch.get("kind");
      String name = str(patch, "metadata.name");
      Doc target = out.stream().filter(d -> d.kind().equals(kind) && d.name().equals(name)).findFirst()
          .orElseGet(() -> fail("a patch names " + kind + "/" + name + ", which the overlay does not have"));
      assertEquals(target.body().get("apiVersion"), patch.get("apiVersion"), "the patch of " + target);
      if ("delete".equals(patch.get("$patch"))) {
        out.remove(target);
      } else {
        merge(target.body(), patch);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> into, Map<String, Object> patch) {
    patch.forEach((k, v) -> {
      Object have = into.get(k);
      if (v instanceof Map && have instanceof Map) {
        merge((Map<String, Object>) have, (Map<String, Object>) v);
      } else if (v instanceof List<?> items && have instanceof List<?> old && !items.isEmpty()
          && items.stream().allMatch(i -> i instanceof Map && ((Map<?, ?>) i).get("name") != null)) {
        List<Object> merged = new ArrayList<>(old);
        for (Object item : items) {
          Map<String, Object> m = (Map<String, Object>) item;
          Object existing = merged.stream().filter(o -> o instanceof Map && m.get("name").equals(((Map<?, ?>) o).get("name")))
              .findFirst().orElse(null);
          if ("delete".equals(m.get("$patch"))) {
            assertNotNull(existing, "a patch deletes " + m.get("name") + ", which is not there");
            merged.remove(existing);
          } else if (existing != null) {
            merge((Map<String, Object>) existing, m);
          } else {
            merged.add(deepCopy(m));
          }
        }
        into.put(k, merged);
      } else {
        into.put(k, v instanceof Map ? deepCopy((Map<String, Object>) v) : v);
      }
    });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deepCopy(Map<String, Object> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, copyValue(v)));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object copyValue(Object v) {
    if (v instanceof Map) {
      return deepCopy((Map<String, Object>) v);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(i -> out.add(copyValue(i)));
      return out;
    }
    return v;
  }

  private static Map<String, Object> containerOf(Doc workload, String name) {
    return list(get(workload.body(), "spec.template.spec.containers")).stream().map(K8sManifestsTest::map)
        .filter(c -> name.equals(c.get("name"))).findFirst()
        .orElseGet(() -> fail(workload + " has no container " + name));
  }

  private static Map<String, Integer> containerPorts(Doc workload, String container) {
    Map<String, Integer> out = new HashMap<>();
    for (Object p : list(containerOf(workload, container).get("ports"))) {
      out.put(String.valueOf(map(p).get("name")), ((Number) map(p).get("containerPort")).intValue());
    }
    return out;
  }

  /** REDIS_PASSWORD (the scripts) and REDISCLI_AUTH (redis-cli in probes and scripts) come from the Secret. */
  private static void assertSecretPassword(Doc workload, Map<String, Object> container) {
    Map<String, Env> env = env(container);
    for (String k : List.of("REDIS_PASSWORD", "REDISCLI_AUTH")) {
      assertEquals(new Env(null, null, REDIS_SECRET, REDIS_SECRET_KEY), env.get(k),
          workload + " " + container.get("name") + ": " + k + " from the Secret " + REDIS_SECRET + " (key " + REDIS_SECRET_KEY + ")");
    }
  }

  /** The script writes requirepass and masterauth from $REDIS_PASSWORD into {@code file} and starts Redis with it. */
  private static void assertRequiresPassword(String where, String script, String file) {
    assertTrue(script.contains("requirepass %s\\nmasterauth %s\\n' \"$REDIS_PASSWORD\" \"$REDIS_PASSWORD\""),
        where + ": requirepass and masterauth from $REDIS_PASSWORD");
    assertTrue(script.contains("> " + file), where + ": the password goes to " + file);
    assertTrue(script.contains("umask 077"), where + ": the file is readable by Redis's user only");
    assertTrue(script.contains("exec redis-server " + file), where + ": Redis starts with " + file);
  }

  /** {@code path} is a memory emptyDir of the pod, mounted in {@code container}. */
  private static void assertMemoryVolumeAt(Doc workload, Map<String, Object> container, String path) {
    String volume = list(container.get("volumeMounts")).stream().map(K8sManifestsTest::map)
        .filter(m -> path.equals(m.get("mountPath"))).map(m -> String.valueOf(m.get("name"))).findFirst()
        .orElseGet(() -> fail(workload + ": nothing is mounted at " + path));
    Map<String, Object> v = list(get(workload.body(), "spec.template.spec.volumes")).stream().map(K8sManifestsTest::map)
        .filter(m -> volume.equals(m.get("name"))).findFirst().orElseGet(() -> fail(workload + ": no volume " + volume));
    assertEquals("Memory", str(v, "emptyDir.medium"), workload + ": " + path + " holds the password: a memory emptyDir");
  }

  /** {@code sh -n}: the script parses (it is not run). */
  private static void assertShellSyntax(String where, String script) {
    try {
      Process p = new ProcessBuilder("sh", "-n").redirectErrorStream(true).start();
      p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), where + ": sh -n did not finish");
      assertEquals(0, p.exitValue(), where + ": sh -n says " + out);
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(where + ": cannot run sh -n", e);
    }
  }

  // ---------------------------------------------------------------- Services, PDB, HPA, scraping

  @Test
  void httpServiceHasClientIpAffinityAndTargetsTheHttpPort() {
    List<Doc> http = docs.stream()
        .filter(d -> d.kind().equals("Service") && !"None".equals(get(d.body(), "spec.clusterIP")))
        .filter(d -> selected(labels(get(d.body(), "spec.selector")), podLabels()))
        .toList();
    assertEquals(1, http.size(), "one HTTP Service selects the liveroom pods: " + http);
    Doc svc = http.get(0);
    Map<String, Object> spec = map(svc.body().get("spec"));
    assertEquals("ClientIP", spec.get("sessionAffinity"), "SockJS fallbacks need the requests of one session on one pod");
    List<Object> ports = list(spec.get("ports"));
    assertFalse(ports.isEmpty());
    for (Object p : ports) {
      Object target = map(p).get("targetPort");
      int resolved = target instanceof Number n ? n.intValue() : containerPorts().getOrDefault(String.valueOf(target), -1);
      assertEquals(HTTP_PORT, resolved, svc + " targets " + target);
    }
  }

  @Test
  void disruptionBudgetSelectsThePodsAndAllowsOneAtATime() {
    List<Doc> pdbs = kinds("PodDisruptionBudget");
    assertEquals(1, pdbs.size());
    Doc pdb = pdbs.get(0);
    Map<String, Object> sel = labels(get(pdb.body(), "spec.selector.matchLabels"));
    assertFalse(sel.isEmpty());
    assertTrue(selected(sel, podLabels()), pdb + ": selector " + sel + " does not match the pod labels " + podLabels());
    assertEquals(1, num(map(pdb.body().get("spec")), "maxUnavailable"));
  }

  @Test
  void autoscalerTargetsTheWorkloadWhichLeavesReplicasToIt() {
    List<Doc> hpas = kinds("HorizontalPodAutoscaler");
    assertEquals(1, hpas.size());
    Map<String, Object> spec = map(hpas.get(0).body().get("spec"));
    Doc workload = one("Deployment", WORKLOAD);
    assertEquals(workload.kind(), str(spec, "scaleTargetRef.kind"));
    assertEquals(workload.name(), str(spec, "scaleTargetRef.name"));
    assertEquals(workload.body().get("apiVersion"), str(spec, "scaleTargetRef.apiVersion"));
    assertTrue(num(spec, "minReplicas") >= 2, "fewer than 2 members leaves no Hazelcast backup");
    assertTrue(num(spec, "maxReplicas") > num(spec, "minReplicas"));
    boolean cpu = list(spec.get("metrics")).stream().anyMatch(m -> "cpu".equals(str(map(m), "resource.name")));
    assertTrue(cpu, "the autoscaler scales on CPU");
    assertNull(get(workload.body(), "spec.replicas"), "with an autoscaler, spec.replicas would be reset by every apply");
  }

  @Test
  void prometheusScrapesMetricsOnTheHttpPort() {
    Map<String, Object> ann = labels(get(one("Deployment", WORKLOAD).body(), "spec.template.metadata.annotations"));
    assertEquals("true", ann.get("prometheus.io/scrape"));
    assertEquals("/metrics", ann.get("prometheus.io/path"));
    assertEquals(String.valueOf(HTTP_PORT), ann.get("prometheus.io/port"));
    assertTrue(containerPorts().containsValue(HTTP_PORT));
  }

  @Test
  void everyServiceAndSpreadConstraintSelectsSomePods() {
    List<Map<String, Object>> allPodLabels = new ArrayList<>();
    for (Doc d : docs) {
      if (d.kind().equals("Deployment") || d.kind().equals("StatefulSet")) {
        allPodLabels.add(labels(get(d.body(), "spec.template.metadata.labels")));
      }
    }
    for (Doc d : docs) {
      if (d.kind().equals("Service")) {
        Map<String, Object> sel = labels(get(d.body(), "spec.selector"));
        assertFalse(sel.isEmpty(), d + " has no selector");
        assertTrue(allPodLabels.stream().anyMatch(l -> selected(sel, l)), d + " selects no pods");
        for (Object p : list(get(d.body(), "spec.ports"))) {
          assertNotNull(map(p).get("name"), d + ": name every port");
        }
      }
    }
    for (Object t : list(get(podSpec(), "topologySpreadConstraints"))) {
      assertTrue(selected(labels(get(map(t), "labelSelector.matchLabels")), podLabels()), "a spread constraint misses the pods");
    }
  }

  // ---------------------------------------------------------------- NetworkPolicy

  @Test
  void networkPolicyAdmitsTheClusterPortsFromLiveroomPodsOnlyAndHttpFromAnywhere() {
    Doc np = policyFor(podLabels());
    LiveroomConfig cfg = nodeConfig();
    Map<Integer, List<Map<String, Object>>> admitted = admittedPorts(np, containerPorts());
    assertEquals(new TreeSet<>(containerPorts().values()), new TreeSet<>(admitted.keySet()),
        np + " admits exactly the container's ports (a port left out is unreachable, a port not declared is a typo)");
    assertNotEquals(0, cfg.cluster().eventBusPort(), "with a random event-bus port no NetworkPolicy can admit it");
    for (int port : List.of(cfg.cluster().port(), cfg.cluster().eventBusPort())) {
      assertNotNull(admitted.get(port), np + " does not admit the cluster port " + port);
      for (Map<String, Object> rule : admitted.get(port)) {
        List<Object> from = list(rule.get("from"));
        assertFalse(from.isEmpty(), np + " admits cluster port " + port + " from anywhere");
        for (Object peer : from) {
          assertEquals(Set.of("podSelector"), map(peer).keySet(),
              np + ": port " + port + " from liveroom pods of this namespace only, not " + peer);
          assertTrue(selected(labels(get(map(peer), "podSelector.matchLabels")), podLabels())
                  && get(map(peer), "podSelector.matchExpressions") == null,
              np + ": port " + port + " admits " + peer + ", which are not (only) the liveroom pods");
        }
      }
    }
    assertTrue(admitted.get(cfg.http().port()).stream().anyMatch(r -> list(r.get("from")).isEmpty()),
        np + ": http.port " + cfg.http().port() + " is open to every source (ingress, load balancer, Prometheus)");
  }

  @Test
  void redisAdmitsLiveroomPodsOnly() {
    Doc sts = one("StatefulSet", "liveroom-redis");
    Doc np = policyFor(labels(get(sts.body(), "spec.template.metadata.labels")));
    Map<String, Integer> redisPorts = new HashMap<>();
    for (Object c : list(get(sts.body(), "spec.template.spec.containers"))) {
      for (Object p : list(map(c).get("ports"))) {
        redisPorts.put(String.valueOf(map(p).get("name")), ((Number) map(p).get("containerPort")).intValue());
      }
    }
    Map<Integer, List<Map<String, Object>>> admitted = admittedPorts(np, redisPorts);
    assertEquals(Set.of(6379), admitted.keySet(), np + " admits the Redis port only");
    for (Map<String, Object> rule : admitted.get(6379)) {
      for (Object peer : list(rule.get("from"))) {
        assertTrue(selected(labels(get(map(peer), "podSelector.matchLabels")), podLabels()) && map(peer).size() == 1,
            np + " admits " + peer);
      }
      assertFalse(list(rule.get("from")).isEmpty(), np + " admits Redis from anywhere");
    }
  }

  /** The one NetworkPolicy that selects pods labelled {@code podLabels}, and restricts their ingress. */
  private static Doc policyFor(Map<String, Object> podLabels) {
    List<Doc> policies = kinds("NetworkPolicy").stream()
        .filter(d -> selected(labels(get(d.body(), "spec.podSelector.matchLabels")), podLabels)).toList();
    assertEquals(1, policies.size(), "one NetworkPolicy selects the pods labelled " + podLabels + ": " + policies);
    Doc np = policies.get(0);
    assertTrue(strings(get(np.body(), "spec.policyTypes")).contains("Ingress"), np + " restricts ingress");
    return np;
  }

  /** Port number -> the ingress rules of {@code np} that admit it; named ports resolve through {@code named}. */
  private static Map<Integer, List<Map<String, Object>>> admittedPorts(Doc np, Map<String, Integer> named) {
    Map<Integer, List<Map<String, Object>>> out = new HashMap<>();
    for (Object r : list(get(np.body(), "spec.ingress"))) {
      Map<String, Object> rule = map(r);
      List<Object> ports = list(rule.get("ports"));
      assertFalse(ports.isEmpty(), np + ": a rule without ports admits every port: " + rule);
      for (Object p : ports) {
        Object port = map(p).get("port");
        assertEquals("TCP", String.valueOf(map(p).getOrDefault("protocol", "TCP")), np + ": port " + port);
        Integer n = port instanceof Number num ? Integer.valueOf(num.intValue()) : named.get(String.valueOf(port));
        assertNotNull(n, np + ": port " + port + " is no port of the pods' containers " + named);
        out.computeIfAbsent(n, k -> new ArrayList<>()).add(rule);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- Prometheus Operator

  @Test
  void serviceMonitorScrapesEveryPodOnTheHttpPort() {
    List<Doc> monitors = kinds("ServiceMonitor");
    assertEquals(1, monitors.size());
    Doc sm = monitors.get(0);
    assertNull(get(sm.body(), "spec.namespaceSelector"), sm + ": the Service is in the ServiceMonitor's namespace");
    Doc svc = metricsService();
    assertSelectsPods(svc);
    assertEquals("None", get(svc.body(), "spec.clusterIP"), svc + " is headless: it load-balances nothing");
    assertEquals(Boolean.TRUE, get(svc.body(), "spec.publishNotReadyAddresses"),
        svc + ": unready pods (while Redis is down) are scraped too");
    List<Object> endpoints = list(get(sm.body(), "spec.endpoints"));
    assertFalse(endpoints.isEmpty(), sm + " has no endpoints");
    Doc np = policyFor(podLabels());
    for (Object e : endpoints) {
      Map<String, Object> ep = map(e);
      assertEquals(labels(get(one("Deployment", WORKLOAD).body(), "spec.template.metadata.annotations"))
          .get("prometheus.io/path"), ep.get("path"), sm + " scrapes the path the pod annotations name");
      Map<String, Object> port = list(get(svc.body(), "spec.ports")).stream().map(K8sManifestsTest::map)
          .filter(p -> String.valueOf(ep.get("port")).equals(p.get("name"))).findFirst()
          .orElseGet(() -> fail(sm + ": " + svc + " has no port named " + ep.get("port")));
      Object target = port.getOrDefault("targetPort", port.get("port"));
      int resolved = target instanceof Number n ? n.intValue() : containerPorts().getOrDefault(String.valueOf(target), -1);
      assertEquals(HTTP_PORT, resolved, sm + " scrapes " + target + ", not the HTTP port where /metrics is");
      assertTrue(admittedPorts(np, containerPorts()).get(resolved).stream().anyMatch(r -> list(r.get("from")).isEmpty()),
          np + " must let Prometheus (another namespace) reach port " + resolved);
    }
    // without spec.jobLabel the job label is the Service's name: the alerts select on it
    assertNull(get(sm.body(), "spec.jobLabel"));
    Set<String> jobs = new HashSet<>();
    for (Map<String, Object> rule : alertRules()) {
      Matcher m = Pattern.compile("job=\"([^\"]+)\"").matcher(String.valueOf(rule.get("expr")));
      while (m.find()) {
        jobs.add(m.group(1));
      }
    }
    assertEquals(Set.of(svc.name()), jobs, "the alerts' job label is the metrics Service's name");
  }

  @Test
  void alertsNameRealMetersAndCoverTheSubjects() {
    Set<String> names = new HashSet<>();
    Set<String> used = new HashSet<>();
    for (Map<String, Object> rule : alertRules()) {
      String alert = (String) rule.get("alert");
      assertNotNull(alert, "only alerting rules: " + rule);
      assertTrue(alert.matches("Liveroom[A-Z][A-Za-z]+"), alert + ": alert names start with Liveroom");
      assertTrue(names.add(alert), "two alerts are named " + alert);
      String expr = String.valueOf(rule.get("expr")).strip();
      assertBalanced(alert, expr);
      Matcher m = METRIC_TOKEN.matcher(expr);
      int found = 0;
      while (m.find()) {
        assertTrue(known(m.group(1)), alert + ": unknown meter " + m.group(1) + " in " + expr);
        used.add(base(m.group(1)));
        found++;
      }
      if (Pattern.compile("\\bup\\{").matcher(expr).find()) {
        used.add("up");
        found++;
      }
      assertTrue(found > 0, alert + ": the expr names no meter: " + expr);
      assertRealSeries(alert, expr);
      assertTrue(Set.of("warning", "critical").contains(str(rule, "labels.severity")), alert + ": severity warning or critical");
      for (String a : List.of("summary", "description")) {
        assertTrue(get(rule, "annotations." + a) instanceof String text && !text.isBlank(), alert + ": annotations." + a);
      }
      Object forValue = rule.get("for");
      assertTrue(forValue == null || forValue.toString().matches("\\d+[smh]"), alert + ": for " + forValue);
    }
    for (String must : List.of("up", "liveroom_redis_requests_seconds", "liveroom_fanout_latency_seconds",
        "liveroom_connections_rejected_total", "liveroom_webhooks_queue")) {
      assertTrue(used.contains(must), "no alert on " + must);
    }
  }

  @Test
  void alertThresholdsFitTheConfig() {
    LiveroomConfig cfg = nodeConfig();
    long backlog = threshold("LiveroomWebhookBacklog");
    assertTrue(backlog > 0 && backlog < cfg.webhooks().queueSize(),
        "the webhook backlog alert (" + backlog + ") fires before a queue of webhooks.queueSize " + cfg.webhooks().queueSize() + " drops events");
    double fanoutSec = Double.parseDouble(thresholdText("LiveroomFanoutLatencyHigh"));
    assertTrue(fanoutSec * 1000 > 4 * cfg.rt().batchMs(),
        "the fan-out p99 alert (" + fanoutSec + " s) leaves room for the rt.batchMs tick (" + cfg.rt().batchMs() + " ms)");
  }

  private static long threshold(String alert) {
    return Long.parseLong(thresholdText(alert));
  }

  /** The number after the last {@code >} of an alert's expression. */
  private static String thresholdText(String alert) {
    String expr = alertRules().stream().filter(r -> alert.equals(r.get("alert"))).map(r -> String.valueOf(r.get("expr")))
        .findFirst().orElseGet(() -> fail("no alert " + alert));
    Matcher m = Pattern.compile(">\\s*([0-9.]+)\\s*$").matcher(expr.strip());
    assertTrue(m.find(), alert + ": no threshold at the end of " + expr);
    return m.group(1);
  }

  private static List<Map<String, Object>> alertRules() {
    List<Doc> rules = kinds("PrometheusRule");
    assertEquals(1, rules.size());
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object g : list(get(rules.get(0).body(), "spec.groups"))) {
      list(map(g).get("rules")).forEach(r -> out.add(map(r)));
    }
    assertFalse(out.isEmpty(), "no rules in " + rules.get(0));
    return out;
  }

  /** The one Service the ServiceMonitor selects (by the Service's own labels). */
  private static Doc metricsService() {
    Doc sm = kinds("ServiceMonitor").get(0);
    Map<String, Object> sel = labels(get(sm.body(), "spec.selector.matchLabels"));
    List<Doc> svcs = docs.stream()
        .filter(d -> d.kind().equals("Service") && selected(sel, labels(get(d.body(), "metadata.labels")))).toList();
    assertEquals(1, svcs.size(), sm + " selects exactly one Service: " + svcs);
    return svcs.get(0);
  }

  /**
   * The liveroom meters of {@code expr} exist as queried: a {@code _bucket} series comes from a
   * meter that publishes a histogram, and each label matcher names a label and values that the
   * sources write.
   */
  private static void assertRealSeries(String where, String expr) {
    Matcher m = Pattern.compile("\\b(liveroom_[a-z0-9_]+)(\\{([^}]*)\\})?").matcher(expr);
    while (m.find()) {
      String name = m.group(1);
      if (name.endsWith("_bucket")) {
        String meter = meterName(base(name));
        int at = sources.indexOf('"' + meter + '"');
        assertTrue(at >= 0, where + ": no meter " + meter);
        String chain = sources.substring(at, sources.indexOf("register(", at));
        assertTrue(chain.contains("publishPercentileHistogram") || chain.contains("serviceLevelObjectives"),
            where + ": " + name + " needs a histogram, but " + meter + " publishes none");
      }
      if (m.group(3) == null) {
        continue;
      }
      Matcher label = Pattern.compile("([a-zA-Z_]+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"").matcher(m.group(3));
      while (label.find()) {
        if (Set.of("pod", "namespace", "job", "le", "instance").contains(label.group(1))) {
          continue; // set by Prometheus, not by the node
        }
        assertTrue(sources.contains('"' + label.group(1) + '"'), where + ": " + name + " has no label " + label.group(1));
        for (String value : label.group(3).split("\\|")) {
          assertTrue(sources.contains('"' + value + '"'),
              where + ": no source writes " + label.group(1) + "=\"" + value + "\" on " + name);
        }
      }
    }
  }

  // ---------------------------------------------------------------- Dockerfile

  @Test
  void dockerfileBuildsWithTheWrapperAndRunsTheJarAsNonRootWithJavaOpts() throws IOException {
    String df = Files.readString(K8S.resolve("Dockerfile"), StandardCharsets.UTF_8);
    String joined = df.replace("\\\n", "");
    List<String> froms = Pattern.compile("(?m)^FROM (.+)$").matcher(df).results().map(r -> r.group(1)).toList();
    assertEquals(2, froms.size(), "two stages, build and run: " + froms);
    Matcher build = Pattern.compile("^eclipse-temurin:17-jdk\\S* AS (\\w+)$").matcher(froms.get(0));
    assertTrue(build.matches(), "the build stage is a Temurin 17 JDK: " + froms.get(0));
    assertTrue(Pattern.compile("(?m)^RUN .*\\./mvnw -B -ntp -DskipTests package$").matcher(df).find(),
        "the build stage runs the Maven wrapper");
    assertTrue(Pattern.compile("^eclipse-temurin:(17|21)-jre\\S*$").matcher(froms.get(1)).matches(),
        "the run stage is a Temurin 17/21 JRE: " + froms.get(1));
    assertTrue(df.contains("COPY --from=" + build.group(1) + " /build/target/liveroom.jar /app/liveroom.jar"),
        "the run stage takes the jar of the build stage");
    String ignore = Files.readString(K8S.resolve("Dockerfile.dockerignore"), StandardCharsets.UTF_8);
    for (String needed : List.of("!mvnw", "!pom.xml", "!.mvn/", "!conf/", "!src/")) {
      assertTrue(ignore.lines().anyMatch(needed::equals), "Dockerfile.dockerignore lets " + needed.substring(1) + " into the build context");
    }
    assertTrue(Pattern.compile("(?m)^COPY conf/ /app/conf/?$").matcher(df).find(), "the image carries conf/");
    Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(df);
    assertTrue(user.find(), "a USER line");
    String uid = user.group(1).split(":")[0];
    assertFalse(uid.equals("root") || uid.equals("0"), "runs as root");
    assertEquals(uid, String.valueOf(get(podSpec(), "securityContext.runAsUser")), "the pod runs as the image's user");
    assertTrue(df.contains("ENTRYPOINT [\"sh\", \"-c\", \"exec java $JAVA_OPTS -jar /app/liveroom.jar \\\"$@\\\"\", \"liveroom\"]"),
        "exec-form ENTRYPOINT through sh -c with exec, so java is PID 1 and gets SIGTERM, and the arguments reach it");
    Matcher env = Pattern.compile("(?m)^ENV JAVA_OPTS=\"([^\"]*)\"").matcher(joined);
    assertTrue(env.find(), "a default JAVA_OPTS");
    assertNoModuleFlags("the Dockerfile's JAVA_OPTS", env.group(1));
    assertTrue(Pattern.compile("(?m)^EXPOSE .*\\b" + HTTP_PORT + "\\b.*\\b" + HZ_PORT + "\\b").matcher(df).find());
  }

  // ---------------------------------------------------------------- Grafana

  @Test
  void grafanaDashboardPanelsQueryKnownMeters() throws IOException {
    JsonObject dash = new JsonObject(Files.readString(K8S.resolve("grafana-dashboard.json"), StandardCharsets.UTF_8));
    assertFalse(dash.getString("title", "").isBlank());
    assertFalse(dash.getString("uid", "").isBlank());
    List<JsonObject> panels = new ArrayList<>();
    collectPanels(dash.getJsonArray("panels"), panels);
    assertTrue(panels.size() >= 10, "a dashboard of " + panels.size() + " panels");
    Set<String> used = new HashSet<>();
    Set<Integer> ids = new HashSet<>();
    for (JsonObject p : panels) {
      String title = p.getString("title");
      assertTrue(title != null && !title.isBlank(), "a panel without title");
      assertTrue(ids.add(p.getInteger("id")), "two panels have id " + p.getInteger("id"));
      JsonArray targets = p.getJsonArray("targets");
      assertTrue(targets != null && !targets.isEmpty(), title + ": no targets");
      for (Object t : targets) {
        String expr = ((JsonObject) t).getString("expr");
        assertTrue(expr != null && !expr.isBlank(), title + ": a target without expr");
        assertBalanced(title, expr);
        Matcher m = METRIC_TOKEN.matcher(expr);
        int found = 0;
        while (m.find()) {
          String name = m.group(1);
          assertTrue(known(name) || METRICS_TO_ADD.contains(base(name)), title + ": unknown meter " + name + " in " + expr);
          used.add(base(name));
          found++;
        }
        assertTrue(found > 0, title + ": the expr names no liveroom, Vert.x or JVM meter: " + expr);
        assertRealSeries(title, expr);
      }
    }
    // the subjects the scale-out issue asks for
    for (String must : List.of("liveroom_rooms_hot", "liveroom_rooms_stored", "liveroom_connections",
        "liveroom_messages_in_total", "liveroom_messages_out_total", "liveroom_fanout_latency_seconds",
        "liveroom_messages_dropped_total", "liveroom_rooms_dropped_total", "liveroom_partitions_owned",
        "liveroom_redis_requests_seconds")) {
      assertTrue(used.contains(must), "no panel shows " + must);
    }
    assertTrue(panels.stream().anyMatch(p -> p.getJsonArray("targets").stream()
            .anyMatch(t -> ((JsonObject) t).getString("expr").contains("liveroom_redis_requests_seconds_bucket"))),
        "no panel shows the Redis latency histogram");
  }

  @Test
  void dashboardMetersMatchTheSources() {
    for (String m : METRICS) {
      if (m.startsWith("liveroom_")) {
        assertTrue(sources.contains('"' + meterName(m) + '"'), "no meter " + meterName(m) + " (" + m + ") in src/main/java");
      }
    }
    for (String m : METRICS_TO_ADD) {
      assertFalse(sources.contains('"' + meterName(m) + '"'), meterName(m) + " exists now: move " + m + " to METRICS");
    }
  }

  /** The Micrometer name of a Prometheus name: liveroom_redis_requests_seconds -> liveroom.redis.requests. */
  private static String meterName(String prometheus) {
    return prometheus.replaceAll("_(total|seconds)$", "").replace('_', '.');
  }

  private static void collectPanels(JsonArray arr, List<JsonObject> out) {
    assertNotNull(arr, "the dashboard has no panels");
    for (Object o : arr) {
      JsonObject p = (JsonObject) o;
      assertNotNull(p.getJsonObject("gridPos"), p.getString("title") + ": no gridPos");
      if ("row".equals(p.getString("type"))) {
        JsonArray inner = p.getJsonArray("panels");
        if (inner != null) {
          collectPanels(inner, out);
        }
      } else {
        out.add(p);
      }
    }
  }

  private static void assertBalanced(String title, String expr) {
    int depth = 0;
    for (char c : expr.toCharArray()) {
      depth += c == '(' || c == '{' || c == '[' ? 1 : c == ')' || c == '}' || c == ']' ? -1 : 0;
      assertTrue(depth >= 0, title + ": unbalanced brackets in " + expr);
    }
    assertEquals(0, depth, title + ": unbalanced brackets in " + expr);
  }

  private static boolean known(String name) {
    return METRICS.contains(name) || METRICS.contains(base(name))
        || METRIC_PREFIXES.stream().anyMatch(name::startsWith);
  }

  private static String base(String name) {
    for (String s : METRIC_SUFFIXES) {
      if (name.endsWith(s) && !METRICS.contains(name)) {
        return name.substring(0, name.length() - s.length());
      }
    }
    return name;
  }

  // ---------------------------------------------------------------- helpers

  /** An env var of the liveroom container: a literal value, a downward-API field, or a Secret key. */
  record Env(String value, String fieldRef, String secretName, String secretKey) {
  }

  private static Doc one(String kind, String name) {
    return docs.stream().filter(d -> d.kind().equals(kind) && name.equals(d.name())).findFirst()
        .orElseGet(() -> fail("no " + kind + " named " + name + " under k8s/"));
  }

  private static List<Doc> kinds(String kind) {
    return docs.stream().filter(d -> d.kind().equals(kind)).toList();
  }

  private static Map<String, Object> podSpec() {
    return map(get(one("Deployment", WORKLOAD).body(), "spec.template.spec"));
  }

  private static Map<String, Object> podLabels() {
    return labels(get(one("Deployment", WORKLOAD).body(), "spec.template.metadata.labels"));
  }

  private static Map<String, Object> container() {
    List<Object> cs = list(podSpec().get("containers"));
    return cs.stream().map(K8sManifestsTest::map).filter(c -> WORKLOAD.equals(c.get("name"))).findFirst()
        .orElseGet(() -> fail("no container named " + WORKLOAD));
  }

  private static Map<String, Integer> containerPorts() {
    Map<String, Integer> out = new HashMap<>();
    for (Object p : list(container().get("ports"))) {
      Map<String, Object> m = map(p);
      out.put(String.valueOf(m.get("name")), ((Number) m.get("containerPort")).intValue());
    }
    return out;
  }

  private static Map<String, Env> env() {
    return env(container());
  }

  /** The env of a container: literal values, downward-API fields and Secret keys. */
  private static Map<String, Env> env(Map<String, Object> container) {
    Map<String, Env> out = new LinkedHashMap<>();
    for (Object o : list(container.get("env"))) {
      Map<String, Object> e = map(o);
      String name = (String) e.get("name");
      assertNull(out.put(name, new Env(
          e.get("value") == null ? null : String.valueOf(e.get("value")),
          str(e, "valueFrom.fieldRef.fieldPath"),
          str(e, "valueFrom.secretKeyRef.name"),
          str(e, "valueFrom.secretKeyRef.key"))), "env " + name + " is set twice");
    }
    return out;
  }

  /**
   * The config a pod gets: the shipped conf/liveroom.json, then the container's LIVEROOM_*
   * variables, with stand-ins for what only exists in a cluster (pod IP, namespace, secrets).
   */
  private static LiveroomConfig nodeConfig() {
    return nodeConfig(env());
  }

  private static LiveroomConfig nodeConfig(Map<String, Env> env) {
    Map<String, String> vars = new LinkedHashMap<>();
    Map<String, String> resolved = new HashMap<>();
    for (Map.Entry<String, Env> e : env.entrySet()) {
      Env v = e.getValue();
      String value;
      if (v.value() != null) {
        value = v.value();
        Matcher m = Pattern.compile("\\$\\(([A-Z_]+)\\)").matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
          m.appendReplacement(sb, Matcher.quoteReplacement(resolved.getOrDefault(m.group(1), m.group())));
        }
        m.appendTail(sb);
        value = sb.toString();
      } else if ("status.podIP".equals(v.fieldRef())) {
        value = "10.1.2.3";
      } else if ("metadata.namespace".equals(v.fieldRef())) {
        value = "ns";
      } else if (v.secretKey() != null) {
        value = v.secretKey().contains("key") ? "abcdef-api-key" : "a-jwt-secret-of-some-length-0123456789";
      } else {
        value = "x";
      }
      resolved.put(e.getKey(), value);
      if (e.getKey().startsWith(ConfigLoader.ENV_PREFIX) && !e.getKey().equals("LIVEROOM_CONFIG")) {
        vars.put(e.getKey(), value);
      }
    }
    JsonObject file;
    try {
      file = new JsonObject(Files.readString(Path.of("conf/liveroom.json"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return LiveroomConfig.from(ConfigLoader.overlay(ConfigLoader.defaults().mergeIn(file, true), vars, Map.of()));
  }

  private static void collectEnvNames(JsonObject o, String prefix, Set<String> out) {
    o.forEach(e -> {
      if (e.getValue() instanceof JsonObject child) {
        collectEnvNames(child, prefix + e.getKey() + ".", out);
      } else {
        out.add(ConfigLoader.envName(prefix + e.getKey()));
      }
    });
  }

  private static Map<String, Object> configMapGenerator() {
    List<Object> gens = list(kustomization.get("configMapGenerator"));
    return gens.stream().map(K8sManifestsTest::map).filter(g -> "liveroom-conf".equals(g.get("name"))).findFirst()
        .orElseGet(() -> fail("kustomization.yaml generates no ConfigMap liveroom-conf"));
  }

  private static Set<String> configMapKeys() {
    return strings(configMapGenerator().get("files")).stream()
        .map(f -> f.contains("=") ? f.substring(0, f.indexOf('=')) : Path.of(f).getFileName().toString())
        .collect(Collectors.toSet());
  }

  /** {@code path} lies in the mounted ConfigMap, and the ConfigMap has that file. */
  private static void assertConfFile(String path) {
    assertNotNull(path);
    String cmName = null;
    String mount = null;
    for (Object v : list(podSpec().get("volumes"))) {
      Map<String, Object> vol = map(v);
      if (vol.get("configMap") != null) {
        for (Object mo : list(container().get("volumeMounts"))) {
          Map<String, Object> m = map(mo);
          if (vol.get("name").equals(m.get("name"))) {
            cmName = str(vol, "configMap.name");
            mount = (String) m.get("mountPath");
          }
        }
      }
    }
    assertEquals("liveroom-conf", cmName, "the ConfigMap generated from conf/ is mounted");
    assertNotNull(mount);
    assertTrue(path.startsWith(mount + "/"), path + " is not under the ConfigMap mount " + mount);
    String key = path.substring(mount.length() + 1);
    assertTrue(configMapKeys().contains(key), "the ConfigMap has no " + key);
  }

  private static void assertHttpProbe(Map<String, Object> c, String probe, String path) {
    Map<String, Object> p = map(c.get(probe));
    assertNotNull(p, probe + " is missing");
    assertEquals(path, str(p, "httpGet.path"), probe + " path");
    Object port = get(p, "httpGet.port");
    int resolved = port instanceof Number n ? n.intValue() : containerPorts().getOrDefault(String.valueOf(port), -1);
    assertEquals(HTTP_PORT, resolved, probe + " port");
  }

  private static void assertSelectsPods(Doc svc) {
    Map<String, Object> sel = labels(get(svc.body(), "spec.selector"));
    assertFalse(sel.isEmpty(), svc + " has no selector");
    assertTrue(selected(sel, podLabels()), svc + " does not select the liveroom pods");
  }

  /** The jar's manifest carries the module flags (pom.xml): a copy here would drift from it. */
  private static void assertNoModuleFlags(String where, String opts) {
    for (String flag : List.of("--add-opens", "--add-exports", "--add-modules", "--enable-native-access")) {
      assertFalse(opts.contains(flag), where + " repeats " + flag + ", which the jar's manifest carries");
    }
  }

  private static boolean selected(Map<String, Object> selector, Map<String, Object> labels) {
    return !selector.isEmpty() && selector.entrySet().stream()
        .allMatch(e -> String.valueOf(e.getValue()).equals(String.valueOf(labels.get(e.getKey()))));
  }

  private static Set<Integer> ports(Map<String, Object> serviceSpec) {
    return list(serviceSpec.get("ports")).stream().map(p -> ((Number) map(p).get("port")).intValue()).collect(Collectors.toSet());
  }

  private static long bytes(String q) {
    Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(q);
    assertTrue(m.matches(), "quantity " + q);
    long n = Long.parseLong(m.group(1));
    String u = m.group(2) == null ? "" : m.group(2);
    return n * switch (u) {
      case "Ki" -> 1L << 10;
      case "Mi" -> 1L << 20;
      case "Gi" -> 1L << 30;
      case "Ti" -> 1L << 40;
      case "k" -> 1_000L;
      case "M" -> 1_000_000L;
      case "G" -> 1_000_000_000L;
      case "T" -> 1_000_000_000_000L;
      default -> 1L;
    };
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : null;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o instanceof List ? (List<Object>) o : List.of();
  }

  private static Map<String, Object> labels(Object o) {
    Map<String, Object> m = map(o);
    return m == null ? Map.of() : m;
  }

  private static List<String> strings(Object o) {
    return list(o).stream().map(String::valueOf).toList();
  }

  /** The string list at {@code key} of the {@code index}th element of {@code listObj}. */
  private static List<String> strings(Object listObj, int index, String key) {
    return strings(map(list(listObj).get(index)).get(key));
  }

  /** The value at a dotted path of nested maps, or null. */
  private static Object get(Map<String, Object> root, String path) {
    Object o = root;
    for (String k : path.split("\\.")) {
      Map<String, Object> m = map(o);
      if (m == null) {
        return null;
      }
      o = m.get(k);
    }
    return o;
  }

  private static String str(Map<String, Object> root, String path) {
    Object o = get(root, path);
    return o == null ? null : String.valueOf(o);
  }

  private static long num(Map<String, Object> root, String path) {
    Object o = get(root, path);
    assertTrue(o instanceof Number, path + " is not a number: " + o);
    return ((Number) o).longValue();
  }
}

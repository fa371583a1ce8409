package io.liveroom.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cluster links of separate-JVM nodes ({@link ProcessCluster}) through TCP proxies in the
 * test JVM, so that a test can cut a node off the others and heal it again while HTTP clients and
 * Redis still reach every node.
 *
 * <p>Node {@code i} binds Hazelcast and the event bus to its own loopback address
 * {@code 127.0.0.<11+i>} (all of 127/8 is loopback on Linux) and announces proxy ports on that
 * address ({@code cluster.publicAddress}, {@code cluster.eventBusPublicHost/Port}). There is one
 * proxy per node and link kind, in front of that node: every member that connects to node
 * {@code i} goes through node {@code i}'s proxy. A proxied connection's source is known:
 * <ul>
 *   <li>Hazelcast: the member binds its outgoing sockets to its own address
 *       ({@code hazelcast.socket.client.bind.any=false}, see {@link #clusterXml}), so the source
 *       IP names the node;</li>
 *   <li>event bus: Vert.x does not bind its client sockets (they come from 127.0.0.1), but every
 *       frame of its wire format names the sender's node id; the proxy holds a connection's
 *       first bytes until it has read that id, and only then forwards or refuses it.</li>
 * </ul>
 * {@link #cut} closes every proxied connection to and from a node, and refuses new ones (accepted
 * and closed at once), until {@link #heal}. Everything runs on the given Vert.x, which the test
 * closes.
 */
public final class ClusterLinks {
  /** The two kinds of link between nodes. */
  public enum Kind { HAZELCAST, EVENT_BUS }

  /** The most an event-bus connection's first bytes are held while its sender is read. */
  private static final int MAX_HEAD = 64 * 1024;

  private final Vertx vertx;
  private final int nodes;
  private final int[] hzPorts;
  private final int[] hzProxyPorts;
  private final int[] ebPorts;
  private final int[] ebProxyPorts;
  private final NetClient client;
  private final List<NetServer> servers = new ArrayList<>();
  private final Set<Link> open = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> nodeIds = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private volatile int cut = -1;

  /** One proxied connection: the node it comes from (-1 while unknown), the node it goes to. */
  private static final class Link {
    final Kind kind;
    final int target;
    final NetSocket in;
    volatile int source = -1;
    volatile String senderId;
    volatile NetSocket up;
    boolean forwarding;

    Link(Kind kind, int target, NetSocket in) {
      this.kind = kind;
      this.target = target;
      this.in = in;
    }

    void close() {
      in.close();
      NetSocket u = up;
      if (u != null) {
        u.close();
      }
    }
  }

  /** Allocates the ports; {@link #start} listens. */
  public ClusterLinks(Vertx vertx, int nodes) throws IOException {
    this.vertx = vertx;
    this.nodes = nodes;
    this.hzPorts = new int[nodes];
    this.hzProxyPorts = new int[nodes];
    this.ebPorts = new int[nodes];
    this.ebProxyPorts = new int[nodes];
    for (int i = 0; i < nodes; i++) {
      hzPorts[i] = RedisServer.freePort();
      hzProxyPorts[i] = RedisServer.freePort();
      ebPorts[i] = RedisServer.freePort();
      ebProxyPorts[i] = RedisServer.freePort();
    }
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000));
  }

  /** Node {@code i}'s own loopback address. */
  public static String ip(int i) {
    return "127.0.0." + (11 + i);
  }

  /**
   * The {@code LIVEROOM_*} settings of node {@code i}: bind to its address, announce its proxies,
   * join through the proxies, and the Hazelcast XML {@code clusterXml} (see {@link #clusterXml}).
   */
  public Map<String, String> env(int i, String clusterXml) {
    List<String> members = new ArrayList<>();
    for (int j = 0; j < nodes; j++) {
      members.add(ip(j) + ":" + hzProxyPorts[j]);
    }
    Map<String, String> e = new LinkedHashMap<>();
    e.put("LIVEROOM_CLUSTER_HOST", ip(i));
    e.put("LIVEROOM_CLUSTER_PORT", Integer.toString(hzPorts[i]));
    e.put("LIVEROOM_CLUSTER_PUBLIC_ADDRESS", ip(i) + ":" + hzProxyPorts[i]);
    e.put("LIVEROOM_CLUSTER_MEMBERS", String.join(",", members));
    e.put("LIVEROOM_CLUSTER_EVENT_BUS_PORT", Integer.toString(ebPorts[i]));
    e.put("LIVEROOM_CLUSTER_EVENT_BUS_PUBLIC_HOST", ip(i));
    e.put("LIVEROOM_CLUSTER_EVENT_BUS_PUBLIC_PORT", Integer.toString(ebProxyPorts[i]));
    e.put("LIVEROOM_CLUSTER_CONFIG_FILE", clusterXml);
    return e;
  }

  /** {@code conf/cluster.xml}'s text with Hazelcast binding outgoing member sockets to the member's own address. */
  public static String clusterXml(String confClusterXml) {
    String out = confClusterXml.replace("<properties>", "<properties>\n"
        + "    <property name=\"hazelcast.socket.client.bind.any\">false</property>");
    if (out.equals(confClusterXml)) {
      throw new IllegalArgumentException("no <properties> in the cluster XML");
    }
    return out;
  }

  /** Listens on every proxy port. */
  public void start() throws Exception {
    List<Future<NetServer>> listening = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      listening.add(listen(Kind.HAZELCAST, i, hzProxyPorts[i], hzPorts[i]));
      listening.add(listen(Kind.EVENT_BUS, i, ebProxyPorts[i], ebPorts[i]));
    }
    for (Future<NetServer> f : listening) {
      servers.add(f.await(10, TimeUnit.SECONDS));
    }
  }

  /** Tells which node a Vert.x node id (an event-bus sender) is; call again after a restart. */
  public void nodeId(String id, int node) {
    nodeIds.put(id, node);
  }

  /** Closes every connection to and from {@code node} and refuses new ones until {@link #heal}. */
  public void cut(int node) {
    cut = node;
    for (Link l : open) {
      if (l.source < 0 && l.senderId != null) {
        // connected before the test told this node id (at start-up)
        l.source = nodeIds.getOrDefault(l.senderId, -1);
      }
      if (involves(l, node)) {
        count(l.kind + " closed by the cut, " + direction(l, node));
        drop(l);
      }
    }
  }

  public void heal() {
    cut = -1;
  }

  /** What the proxies did: connections forwarded, refused and closed, per kind. */
  public Map<String, Integer> figures() {
    Map<String, Integer> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Stops listening and closes every proxied connection. */
  public void close() throws Exception {
    cut = -2;
    open.forEach(this::drop);
    for (NetServer s : servers) {
      s.close().await(5, TimeUnit.SECONDS);
    }
    client.close().await(5, TimeUnit.SECONDS);
  }

  private Future<NetServer> listen(Kind kind, int target, int port, int targetPort) {
    return vertx.createNetServer().connectHandler(in -> accept(kind, target, targetPort, in))
        .listen(port, ip(target));
  }

  private void accept(Kind kind, int target, int targetPort, NetSocket in) {
    Link l = new Link(kind, target, in);
    if (kind == Kind.HAZELCAST) {
      l.source = sourceOf(in.remoteAddress().hostAddress());
    }
    if (refused(l)) {
      count(kind + " refused, " + direction(l, cut));
      in.close();
      return;
    }
    open.add(l);
    Buffer head = Buffer.buffer();
    in.closeHandler(v -> drop(l));
    in.exceptionHandler(e -> drop(l));
    in.handler(b -> {
      synchronized (l) {
        if (l.forwarding) {
          l.up.write(b); // a buffer that raced the switch to the pipe
          return;
        }
        head.appendBuffer(b);
      }
      if (l.kind == Kind.EVENT_BUS && l.senderId == null) {
        String sender = senderOf(head);
        if (sender == null) {
          if (head.length() > MAX_HEAD) {
            count(kind + " dropped, no sender in the first " + MAX_HEAD + " bytes");
            drop(l);
          }
          return; // not the whole first frame header yet
        }
        l.senderId = sender;
        l.source = nodeIds.getOrDefault(sender, -1);
        if (l.source < 0) {
          count(kind + " from an unknown node id");
        }
        if (refused(l)) {
          count(kind + " refused, " + direction(l, cut));
          drop(l);
          return;
        }
      }
      forwardWhenReady(l, head);
    });
    client.connect(targetPort, ip(target)).onComplete(ar -> {
      if (ar.failed()) {
        drop(l);
        return;
      }
      NetSocket up = ar.result();
      l.up = up;
      if (!open.contains(l) || refused(l)) {
        drop(l);
        return;
      }
      up.closeHandler(v -> drop(l));
      up.exceptionHandler(e -> drop(l));
      pipe(up, in);
      forwardWhenReady(l, head);
    });
  }

  /** Once the upstream is connected (and an event-bus sender known), sends what was held and pipes the rest. */
  private void forwardWhenReady(Link l, Buffer head) {
    synchronized (l) {
      NetSocket up = l.up;
      if (l.forwarding || up == null || l.kind == Kind.EVENT_BUS && l.senderId == null || !open.contains(l)) {
        return;
      }
      l.forwarding = true;
      count(l.kind + " forwarded");
      if (head.length() > 0) {
        up.write(head);
      }
      pipe(l.in, up);
    }
  }

  private static void pipe(NetSocket from, NetSocket to) {
    from.handler(b -> {
      to.write(b);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> from.resume());
      }
    });
  }

  private boolean refused(Link l) {
    int c = cut;
    return c == -2 || c >= 0 && involves(l, c);
  }

  private static String direction(Link l, int node) {
    if (node < 0) {
      return "closing";
    }
    return l.target == node ? "to the cut node" : "from the cut node";
  }

  private static boolean involves(Link l, int node) {
    return l.target == node || l.source == node;
  }

  private void drop(Link l) {
    open.remove(l);
    l.close();
  }

  private int sourceOf(String host) {
    for (int i = 0; i < nodes; i++) {
      if (ip(i).equals(host)) {
        return i;
      }
    }
    return -1;
  }

  private void count(String what) {
    counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
  }

  /**
   * The sender node id of the first Vert.x event-bus frame in {@code b}, or null while the header
   * is incomplete. Frame: int length, byte version, byte codec id (-1: then the codec's name as a
   * string), byte send flag, address, reply address (empty: int 0), sender; a string is an int
   * length and UTF-8 bytes (vertx-core's {@code ClusteredMessage.encodeToWire}).
   */
  static String senderOf(Buffer b) {
    int pos = 4 + 1;
    if (b.length() < pos + 1) {
      return null;
    }
    byte codec = b.getByte(pos++);
    if (codec == -1) {
      pos = skipString(b, pos);
      if (pos < 0) {
        return null;
      }
    }
    pos++; // send flag
    for (int i = 0; i < 2; i++) { // address, reply address
      pos = skipString(b, pos);
      if (pos < 0) {
        return null;
      }
    }
    if (b.length() < pos + 4) {
      return null;
    }
    int n = b.getInt(pos);
    if (b.length() < pos + 4 + n) {
      return null;
    }
    return new String(b.getBytes(pos + 4, pos + 4 + n), StandardCharsets.UTF_8);
  }

  private static int skipString(Buffer b, int pos) {
    if (b.length() < pos + 4) {
      return -1;
    }
    int n = b.getInt(pos);
    return b.length() < pos + 4 + n ? -1 : pos + 4 + n;
  }
}

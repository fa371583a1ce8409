package io.liveroom.testing;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The real-time clients of a fault test ({@link TrafficClient}s over a {@link ProcessCluster})
 * and the waits around them: all connected and in their rooms, so many acknowledgements, traffic
 * stopped with no reply in flight. Every wait has a deadline and says what it waited for.
 */
public final class Traffic {
  private final Vertx vertx;
  private final List<TrafficClient> clients = new ArrayList<>();

  public Traffic(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The clients, in the order they were added (the live list). */
  public List<TrafficClient> clients() {
    return clients;
  }

  public TrafficClient add(TrafficClient client) {
    clients.add(client);
    return client;
  }

  /** {@code n} clients, client k on node k mod 3 (then the next nodes), each in every room. */
  public void addOnEveryNode(ProcessCluster c, String prefix, List<String> rooms, Ledger ledger, int n) {
    for (int k = 0; k < n; k++) {
      List<Integer> ports = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        ports.add(c.node((k + j) % 3).httpPort());
      }
      clients.add(new TrafficClient(vertx, prefix + "-c" + k, ProcessCluster.JWT_SECRET, ports, rooms, ledger));
    }
  }

  /** Connects every client and waits until each is in all its rooms. */
  public void start() {
    clients.forEach(TrafficClient::start);
    awaitReady(Duration.ofSeconds(30));
  }

  public void awaitReady(Duration timeout) {
    Await.until(() -> clients.stream().allMatch(TrafficClient::ready), timeout,
        () -> "every client is connected and in its rooms: " + figures());
  }

  public static void awaitAcks(Ledger ledger, int n, String what) {
    Await.until(() -> ledger.acks().size() >= n, Duration.ofSeconds(40),
        () -> n + " acknowledged messages (" + what + "; " + ledger.acks().size() + " so far, refusals "
            + ledger.refusals() + ")");
  }

  /** Stops sending, waits for the replies in flight and until every client is in its rooms again. */
  public void stop() {
    clients.forEach(TrafficClient::stopSending);
    Await.until(() -> clients.stream().allMatch(cl -> cl.sendsInFlight() == 0), Duration.ofSeconds(30),
        () -> "no send in flight: " + figures());
    // a client that saw a gap may be re-joining
    Await.until(() -> clients.stream().allMatch(TrafficClient::ready), Duration.ofSeconds(30),
        () -> "every client is in its rooms: " + figures());
  }

  /** Each client's figures, on one line. */
  public String figures() {
    StringBuilder sb = new StringBuilder();
    clients.forEach(cl -> sb.append(cl.name()).append(cl.figures()).append(' '));
    return sb.toString();
  }

  public void close() {
    clients.forEach(TrafficClient::close);
    clients.clear();
  }
}

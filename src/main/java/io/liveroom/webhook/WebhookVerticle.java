package io.liveroom.webhook;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.metrics.NodeMetrics;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the events {@link Webhooks#emit} hands over; deployed once per node when
 * {@code webhooks.urls} is set.
 *
 * <p>Each URL has its own queue of at most {@code webhooks.queueSize} waiting events (plus up to
 * {@code webhooks.concurrency} in flight); a new event, or a failed one coming back for a retry,
 * into a full queue drops the oldest ({@code outcome="overflow"}). Events leave in emit order; one
 * whose room already has an event in flight waits for it, so a receiver sees each room's events
 * in order, while up to {@code concurrency} events of different rooms overlap.
 *
 * <p>2xx is delivered. A connection error, no full answer within {@code webhooks.timeoutMs}, 5xx
 * or 429 puts the event back at the head of its queue and pauses that URL for an exponential
 * backoff with jitter (500 ms doubling up to 60 s, at least a 429/503's {@code Retry-After}), at
 * most {@code webhooks.maxAttempts} attempts. Any other status drops the event. Each attempt is
 * signed afresh with its own timestamp; the delivery id stays the same, for receivers to dedupe.
 *
 * <p>On stop, no new events are taken; what is queued gets one last try within 2 s (no retries),
 * and what is still undelivered then is dropped ({@code outcome="shutdown"}).
 */
public final class WebhookVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookVerticle.class);
  static final long BACKOFF_BASE_MS = 500;
  static final long BACKOFF_CAP_MS = 60_000;
  static final long STOP_GRACE_MS = 2_000;

  private final LiveroomConfig.Webhooks config;
  private final NodeMetrics metrics;
  private final List<Target> targets = new ArrayList<>();
  private WebhookSigner signer;
  private HttpClientAgent client;
  private MessageConsumer<JsonObject> consumer;
  private long nextSeq;
  private boolean stopping;
  private boolean draining;
  private boolean closed;
  private long graceTimer = -1;
  private final Promise<Void> drained = Promise.promise();

  public WebhookVerticle(LiveroomConfig.Webhooks config, NodeMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    signer = new WebhookSigner(config.secret());
    // idle connections are let go before common receiver keep-alive timeouts (Node.js: 5 s), so
    // that a request rarely races a receiver closing the connection it goes out on
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setKeepAliveTimeout(4),
        new PoolOptions().setHttp1MaxSize(config.concurrency() * config.urls().size()));
    for (String url : config.urls()) {
      targets.add(new Target(url));
    }
    consumer = vertx.eventBus().localConsumer(Webhooks.ADDRESS, this::onEvent);
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    return consumer.unregister().otherwiseEmpty().compose(v -> {
      draining = true;
      graceTimer = vertx.setTimer(STOP_GRACE_MS, id -> dropAll());
      targets.forEach(Target::resume);
      checkDrained();
      return drained.future();
    }).compose(v -> client.close());
  }

  private void onEvent(Message<JsonObject> m) {
    JsonObject e = m.body();
    long seq = nextSeq++;
    byte[] body = e.getString("body").getBytes(StandardCharsets.UTF_8);
    for (Target t : targets) {
      t.offer(new Delivery(seq, e.getString("id"), e.getString("event"), e.getString("room", ""), body));
    }
  }

  private void checkDrained() {
    if (draining && !closed && targets.stream().allMatch(Target::idle)) {
      closed = true;
      vertx.cancelTimer(graceTimer);
      drained.tryComplete();
    }
  }

  private void dropAll() {
    closed = true;
    targets.forEach(Target::drop);
    drained.tryComplete();
  }

  /** The pause before retrying after the {@code failures}-th failure in a row: equal jitter, never under Retry-After. */
  static long backoffMs(int failures, long retryAfterMs) {
    long step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS << Math.min(Math.max(failures, 1) - 1, 20));
    long delay = step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
    return Math.max(delay, Math.min(retryAfterMs, BACKOFF_CAP_MS));
  }

  private static long retryAfterMs(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.strip())) * 1000;
    } catch (NumberFormatException e) {
      return 0; // an HTTP date: the backoff alone decides
    }
  }

  private static String why(AsyncResult<Answer> ar) {
    return ar.succeeded() ? "HTTP " + ar.result().status() : String.valueOf(ar.cause().getMessage());
  }

  /** One event on its way to one URL. */
  private static final class Delivery {
    final long seq;
    final String id;
    final String event;
    final String room;
    final byte[] body;
    int attempts;

    Delivery(long seq, String id, String event, String room, byte[] body) {
      this.seq = seq;
      this.id = id;
      this.event = event;
      this.room = room;
      this.body = body;
    }
  }

  private record Answer(int status, String retryAfter) {
  }

  /** One receiver URL: its queue, what is in flight and its backoff. */
  private final class Target {
    private final String url;
    private final String name;
    private final PriorityQueue<Delivery> waiting = new PriorityQueue<>(Comparator.comparingLong(d -> d.seq));
    private final List<Delivery> inFlight = new ArrayList<>();
    private int failures;
    private long backoffTimer = -1;
    private long resumeAt;
    private boolean overflowing;
    private boolean dropping;

    Target(String url) {
      this.url = url;
      URI u = URI.create(url);
      // for logs: no user info, no query (either may carry a token)
      this.name = u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()) + u.getRawPath();
    }

    boolean idle() {
      return waiting.isEmpty() && inFlight.isEmpty();
    }

    void offer(Delivery d) {
      metrics.webhooksQueued(1);
      waiting.add(d);
      trim();
      pump();
    }

    private void trim() {
      int dropped = 0;
      while (waiting.size() > config.queueSize()) {
        waiting.poll();
        dropped++;
      }
      if (dropped > 0) {
        metrics.webhooksQueued(-dropped);
        metrics.webhook("overflow", dropped);
        if (!overflowing) {
          overflowing = true;
          LOG.warn("webhook {}: queue full ({} events), dropping the oldest", name, config.queueSize());
        }
      }
    }

    private void pump() {
      while (!closed && backoffTimer == -1 && inFlight.size() < config.concurrency()) {
        Delivery d = waiting.peek();
        if (d == null || roomInFlight(d.room)) {
          break;
        }
        waiting.poll();
        inFlight.add(d);
        attempt(d);
      }
      if (waiting.isEmpty()) {
        overflowing = false;
      }
    }

    private boolean roomInFlight(String room) {
      for (Delivery d : inFlight) {
        if (d.room.equals(room)) {
          return true;
        }
      }
      return false;
    }

    private void attempt(Delivery d) {
      d.attempts++;
      long ts = System.currentTimeMillis();
      RequestOptions options = new RequestOptions()
          .setMethod(HttpMethod.POST)
          .setAbsoluteURI(url)
          .setConnectTimeout(config.timeoutMs())
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.USER_AGENT, "liveroom-webhooks")
          .putHeader("X-Liveroom-Event", d.event)
          .putHeader("X-Liveroom-Delivery", d.id)
          .putHeader("X-Liveroom-Attempt", Integer.toString(d.attempts))
          .putHeader("X-Liveroom-Timestamp", Long.toString(ts))
          .putHeader("X-Liveroom-Signature", signer.sign(ts, d.body));
      Promise<Answer> answer = Promise.promise();
      // one deadline for connect, send and the whole answer; a request still running then is reset
      long deadline = vertx.setTimer(config.timeoutMs(),
          id -> answer.tryFail(new TimeoutException("no answer within " + config.timeoutMs() + " ms")));
      client.request(options)
          .compose(req -> {
            answer.future().onFailure(e -> req.reset());
            return req.send(Buffer.buffer(d.body));
          })
          .compose(resp -> resp.end().map(v -> new Answer(resp.statusCode(), resp.getHeader(HttpHeaders.RETRY_AFTER))))
          .onComplete(ar -> {
            vertx.cancelTimer(deadline);
            if (ar.succeeded()) {
              answer.tryComplete(ar.result());
            } else {
              answer.tryFail(ar.cause());
            }
          });
      answer.future().onComplete(ar -> answered(d, ar));
    }

    private void answered(Delivery d, AsyncResult<Answer> ar) {
      inFlight.remove(d);
      if (closed) {
        return; // counted when the stop grace ran out
      }
      int status = ar.succeeded() ? ar.result().status() : 0;
      if (status >= 200 && status < 300) {
        finish("delivered");
        if (failures > 0 || dropping) {
          LOG.info("webhook {}: delivering again", name);
          failures = 0;
          dropping = false;
        }
      } else if (status != 0 && status != 429 && status < 500) {
        finish("rejected");
        dropped(d, "answered " + why(ar));
      } else if (stopping) {
        finish("shutdown");
      } else if (d.attempts >= config.maxAttempts()) {
        finish("exhausted");
        dropped(d, "gave up after " + d.attempts + " attempts, last " + why(ar));
      } else {
        metrics.webhook("retried", 1);
        waiting.add(d);
        trim();
        backOff(ar);
      }
      pump();
      checkDrained();
    }

    /** Logs the first drop of a streak as a warning, the others until the next delivery at debug. */
    private void dropped(Delivery d, String why) {
      if (!dropping) {
        dropping = true;
        LOG.warn("webhook {}: dropped {} {} ({}); further drops are logged at debug until one is delivered",
            name, d.event, d.id, why);
      } else {
        LOG.debug("webhook {}: dropped {} {} ({})", name, d.event, d.id, why);
      }
    }

    private void finish(String outcome) {
      metrics.webhooksQueued(-1);
      metrics.webhook(outcome, 1);
    }

    private void backOff(AsyncResult<Answer> ar) {
      long retryAfter = Math.min(ar.succeeded() ? retryAfterMs(ar.result().retryAfter()) : 0, BACKOFF_CAP_MS);
      long now = System.currentTimeMillis();
      if (backoffTimer != -1) {
        // already paused: one step per round, not per event in flight; but a later Retry-After wins
        if (now + retryAfter > resumeAt) {
          vertx.cancelTimer(backoffTimer);
          pauseFor(retryAfter, now);
        }
        return;
      }
      failures++;
      long delay = backoffMs(failures, retryAfter);
      if (failures == 1) {
        LOG.warn("webhook {}: {}, retrying with backoff", name, why(ar));
      } else {
        LOG.debug("webhook {}: {}, failure {} in a row, next try in {} ms", name, why(ar), failures, delay);
      }
      pauseFor(delay, now);
    }

    private void pauseFor(long delay, long now) {
      resumeAt = now + delay;
      backoffTimer = vertx.setTimer(Math.max(1, delay), id -> {
        backoffTimer = -1;
        pump();
      });
    }

    /** On stop: no more waiting out a backoff, what is queued goes now. */
    void resume() {
      if (backoffTimer != -1) {
        vertx.cancelTimer(backoffTimer);
        backoffTimer = -1;
      }
      pump();
    }

    void drop() {
      int n = waiting.size() + inFlight.size();
      waiting.clear();
      vertx.cancelTimer(backoffTimer);
      backoffTimer = -1;
      if (n > 0) {
        metrics.webhooksQueued(-n);
        metrics.webhook("shutdown", n);
        LOG.warn("webhook {}: {} events not delivered before the stop grace ran out", name, n);
      }
    }
  }
}

package io.liveroom.webhook;

import io.liveroom.config.LiveroomConfig;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outgoing webhooks, as LiveKit offers them: room events POSTed as signed JSON to every URL of
 * {@code webhooks.urls}.
 *
 * <p>{@link #emit} is for any thread, shard event loops included, and never waits. It takes a
 * snapshot of the event (the JSON body is encoded right away, so the caller may change
 * {@code data} afterwards) and hands it to this node's one {@link WebhookVerticle} with a
 * node-local event-bus send. That verticle owns all the mutable state (one bounded queue per URL,
 * retry timers, the HTTP client) on its own event loop, so there are no locks and a slow or dead
 * receiver can only fill that verticle's queues, never hold up a room. The event bus (rather
 * than a shared concurrent queue) keeps the hand-over the same as every other cross-verticle
 * message in liveroom, and the verticle can stop taking events by unregistering its consumer.
 *
 * <p>Without URLs, {@code emit} returns at once and no verticle is deployed. An event emitted
 * while the verticle is not deployed (before the node started, after it stopped) is lost.
 *
 * <p>The body is {@code {"id","event","room","createdAt","data"}}; the headers and the
 * signature ({@code X-Liveroom-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">}) are
 * described in docs/webhooks.md, with how a receiver verifies them.
 */
public final class Webhooks {
  private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);
  public static final String ROOM_CREATED = "room.created";
  public static final String ROOM_LIVE = "room.live";
  public static final String ROOM_ENDED = "room.ended";
  public static final String MODERATION = "moderation";

  /** The node-local address of the delivering verticle (never registered in the cluster). */
  static final String ADDRESS = "liveroom.webhooks.local";

  private final Vertx vertx;
  private final boolean enabled;
  private final DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);

  public Webhooks(Vertx vertx, LiveroomConfig.Webhooks config) {
    this.vertx = vertx;
    this.enabled = config.enabled();
  }

  /** Whether any URL is configured; if not, {@link #emit} does nothing. */
  public boolean enabled() {
    return enabled;
  }

  /**
   * Queues {@code event} of {@code roomId} for delivery to every configured URL and returns at
   * once. Thread-safe.
   *
   * @param event  the event name, e.g. {@link #ROOM_CREATED}; also sent as {@code X-Liveroom-Event}
   * @param roomId the room, or null for an event of no room
   * @param data   the event's details (copied now); null gives {@code {}}
   */
  public void emit(String event, String roomId, JsonObject data) {
    Objects.requireNonNull(event, "event");
    if (!enabled) {
      return;
    }
    String id = UUID.randomUUID().toString();
    String body;
    try {
      body = new JsonObject()
          .put("id", id)
          .put("event", event)
          .put("room", roomId)
          .put("createdAt", System.currentTimeMillis())
          .put("data", data == null ? new JsonObject() : data)
          .encode();
    } catch (RuntimeException e) {
      // a value JSON cannot hold: the caller's room must go on regardless
      LOG.warn("webhook event {} of room {} not sent: {}", event, roomId, e.toString());
      return;
    }
    JsonObject hand = new JsonObject().put("id", id).put("event", event).put("body", body);
    if (roomId != null) {
      hand.put("room", roomId);
    }
    vertx.eventBus().send(ADDRESS, hand, local);
  }
}

package io.liveroom.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop HTTP/1.1 load like {@code wrk}'s: {@code concurrency} workers over a pool of
 * keep-alive connections, each sending its next request when the previous one has answered.
 * Latency (microseconds, request written to body read) of 2xx answers goes into a
 * {@link Recorder}; other statuses and transport errors are counted.
 */
final class HttpDriver {
  /** One request: method, path, headers and body, by its number. */
  record Req(HttpMethod method, String uri, String auth, Buffer body) {
  }

  final Recorder latency = new Recorder(3);
  final AtomicLong ok = new AtomicLong();
  final AtomicLong non2xx = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  private final AtomicLong issued = new AtomicLong();
  private final HttpClientAgent client;
  private final String host;
  private final int port;
  final AtomicLong retried = new AtomicLong();
  private final Vertx vertx;
  private volatile boolean stopped;
  private int retries;
  private boolean conflictIsOk;

  HttpDriver(Vertx vertx, String hostPort, int connections) {
    this.vertx = vertx;
    String[] hp = hostPort.split(":");
    this.host = hp[0];
    this.port = Integer.parseInt(hp[1]);
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  /** Runs until {@link #stop} or until {@code limit} requests were sent; completes when every worker is done. */
  Future<Void> run(int concurrency, long limit, LongFunction<Req> requests) {
    List<Future<Void>> workers = new ArrayList<>(concurrency);
    for (int i = 0; i < concurrency; i++) {
      Promise<Void> done = Promise.promise();
      step(limit, requests, done);
      workers.add(done.future());
    }
    return Future.all(workers).mapEmpty();
  }

  private void step(long limit, LongFunction<Req> requests, Promise<Void> done) {
    long n = issued.getAndIncrement();
    if (stopped || n >= limit) {
      done.tryComplete();
      return;
    }
    send(requests.apply(n), 0, limit, requests, done);
  }

  private void send(Req r, int attempt, long limit, LongFunction<Req> requests, Promise<Void> done) {
    RequestOptions ro = new RequestOptions().setMethod(r.method()).setHost(host).setPort(port).setURI(r.uri())
        .setTimeout(30_000);
    if (r.auth() != null) {
      ro.putHeader("Authorization", "Bearer " + r.auth());
    }
    if (r.body() != null) {
      ro.putHeader("Content-Type", "application/json");
    }
    long t0 = System.nanoTime();
    client.request(ro)
        .compose(req -> r.body() == null ? req.send() : req.send(r.body()))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          boolean again = ar.failed() || ar.result() == 503;
          if (again && attempt < retries && !stopped) {
            // UNAVAILABLE (Redis slow to answer on a loaded machine) or a transport error: retry later
            retried.incrementAndGet();
            vertx.setTimer(100L * (attempt + 1), t -> send(r, attempt + 1, limit, requests, done));
            return;
          }
          if (ar.failed()) {
            errors.incrementAndGet();
          } else if (ar.result() / 100 == 2 || ar.result() == 409 && attempt > 0 && conflictIsOk) {
            // 409 on a retry: the first attempt was applied after all
            ok.incrementAndGet();
            latency.recordValue(Math.max(0, (System.nanoTime() - t0) / 1000));
          } else {
            non2xx.incrementAndGet();
          }
          step(limit, requests, done);
        });
  }

  /**
   * Retries a request up to {@code n} times after a 503 or a transport error; with
   * {@code conflictIsOk}, a 409 answer to a retry counts as success (the first attempt was applied).
   */
  HttpDriver retries(int n, boolean conflictIsOk) {
    this.retries = n;
    this.conflictIsOk = conflictIsOk;
    return this;
  }

  void stop() {
    stopped = true;
  }

  void close() {
    client.close();
  }
}

package io.liveroom.filter;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's sensitive-word list: loaded from {@code filter.wordsFile} (one word per line,
 * {@code #} comments), rebuilt off the event loop when the file changes, and swapped in
 * atomically, so shards on every event loop read the current {@link WordFilter} without locks.
 * A file that cannot be read keeps the last good list.
 */
public final class SensitiveWords {
  private static final Logger LOG = LoggerFactory.getLogger(SensitiveWords.class);

  private final Vertx vertx;
  private final String file;
  private final long reloadMs;
  private final AtomicReference<WordFilter> current = new AtomicReference<>(WordFilter.EMPTY);
  private long lastModified = -1;
  private long lastSize = -1;
  private long timer = -1;
  private boolean checking;

  public SensitiveWords(Vertx vertx, String file, long reloadMs) {
    this.vertx = vertx;
    this.file = file;
    this.reloadMs = reloadMs;
  }

  /** The filter in force now. */
  public WordFilter filter() {
    return current.get();
  }

  /** Loads the file (when one is configured) and starts watching it. */
  public Future<Void> start() {
    if (file == null || file.isEmpty()) {
      return Future.succeededFuture();
    }
    timer = vertx.setPeriodic(reloadMs, id -> check());
    return load();
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  private void check() {
    if (checking) {
      return;
    }
    checking = true;
    vertx.fileSystem().props(file)
        .compose(p -> p.lastModifiedTime() != lastModified || p.size() != lastSize ? load() : Future.succeededFuture())
        .onFailure(e -> LOG.warn("filter words file {} not readable ({}); keeping {} words", file, e.toString(),
            current.get().size()))
        .onComplete(ar -> checking = false);
  }

  private Future<Void> load() {
    return vertx.fileSystem().props(file).compose(props -> vertx.fileSystem().readFile(file).compose(buf ->
        vertx.executeBlocking(() -> new WordFilter(Arrays.asList(buf.toString(StandardCharsets.UTF_8).split("\r?\n"))),
            false).map(f -> {
              current.set(f);
              lastModified = props.lastModifiedTime();
              lastSize = props.size();
              LOG.info("filter: {} sensitive words from {}", f.size(), file);
              return (Void) null;
            })));
  }
}

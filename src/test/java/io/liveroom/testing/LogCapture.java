package io.liveroom.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures the Logback events of this JVM (the nodes of a {@link TestCluster} run in it) with a
 * {@link ListAppender} on the root logger, so that a test can assert that no exception reached
 * the server log as an ERROR.
 */
public final class LogCapture implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture() {
    appender.setName("log-capture-" + System.identityHashCode(this));
    appender.setContext(root.getLoggerContext());
    appender.start();
    root.addAppender(appender);
  }

  public static LogCapture attach() {
    return new LogCapture();
  }

  /** Events at {@code level} or above captured since the last {@link #clear}. */
  public List<ILoggingEvent> atLeast(Level level) {
    List<ILoggingEvent> out = new ArrayList<>();
    synchronized (appender) {
      for (ILoggingEvent e : appender.list) {
        if (e.getLevel().isGreaterOrEqual(level)) {
          out.add(e);
        }
      }
    }
    return out;
  }

  public List<ILoggingEvent> errors() {
    return atLeast(Level.ERROR);
  }

  public void clear() {
    synchronized (appender) {
      appender.list.clear();
    }
  }

  /** The ERROR events as readable text (logger, message, exception), or "" when there are none. */
  public String describeErrors() {
    return describe(errors());
  }

  public static String describe(List<ILoggingEvent> events) {
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : events) {
      sb.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(" [").append(e.getThreadName()).append("] ")
          .append(e.getFormattedMessage());
      IThrowableProxy t = e.getThrowableProxy();
      while (t != null) {
        sb.append("\n  caused by ").append(t.getClassName()).append(": ").append(t.getMessage());
        if (t.getStackTraceElementProxyArray().length > 0) {
          sb.append("\n    at ").append(t.getStackTraceElementProxyArray()[0].getSTEAsString());
        }
        t = t.getCause();
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}

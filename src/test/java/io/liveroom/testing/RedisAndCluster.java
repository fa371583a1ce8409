package io.liveroom.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An integration test class over real servers: a redis-server on a free port for the whole class,
 * and a {@link TestCluster} of in-JVM nodes over it. Tests and {@code @BeforeAll} methods receive
 * {@link RedisServer}, {@link TestCluster} and {@link ProcessClusters} (separate-JVM clusters) as
 * parameters; everything is closed after the class (process clusters after each test). See
 * {@link LiveroomExtension}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(LiveroomExtension.class)
public @interface RedisAndCluster {
  /** How many in-JVM nodes the class's {@link TestCluster} may run; 0 for Redis alone. */
  int nodes() default 1;

  /**
   * How many of them start, with the test defaults only, before the class's {@code @BeforeAll}
   * methods; 0 when the class starts them itself with its own settings.
   */
  int started() default 0;
}

package io.liveroom.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The set-up of {@link RedisAndCluster} classes: before the class, a real redis-server on a free
 * port and a {@link TestCluster} over it (its nodes started if the annotation says so); after the
 * class, the cluster, then Redis, are closed. Separate-JVM clusters made through {@link
 * ProcessClusters} are killed after the test that made them. No mocks: real Redis, real Hazelcast
 * members, real JVMs.
 */
public final class LiveroomExtension implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LiveroomExtension.class);
  private static final Set<Class<?>> RESOLVED = Set.of(RedisServer.class, TestCluster.class, ProcessClusters.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    RedisAndCluster spec = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), RedisAndCluster.class)
        .orElseThrow(() -> new IllegalStateException(context.getRequiredTestClass() + " lacks @RedisAndCluster"));
    ClassFixture fixture = new ClassFixture();
    // stored first, so that a failed start below still closes what did start
    context.getStore(NS).put(ClassFixture.class, fixture);
    fixture.redis = RedisServer.started();
    if (spec.nodes() > 0) {
      fixture.cluster = new TestCluster(fixture.redis, spec.nodes());
      if (spec.started() > 0) {
        fixture.cluster.startAll(spec.started());
      }
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return RESOLVED.contains(parameter.getParameter().getType());
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    ClassFixture fixture = context.getStore(NS).get(ClassFixture.class, ClassFixture.class);
    if (type == RedisServer.class) {
      return fixture.redis;
    }
    if (type == TestCluster.class) {
      if (fixture.cluster == null) {
        throw new ParameterResolutionException("@RedisAndCluster(nodes = 0) gives no TestCluster");
      }
      return fixture.cluster;
    }
    // one per test method (or per class for @BeforeAll): its clusters die with that context
    return context.getStore(NS).getOrComputeIfAbsent(ProcessClusters.class,
        k -> new ProcessClusters(fixture.redis), ProcessClusters.class);
  }

  /** What a class holds: closed by JUnit after the class's {@code @AfterAll} methods. */
  private static final class ClassFixture implements ExtensionContext.Store.CloseableResource {
    private RedisServer redis;
    private TestCluster cluster;

    @Override
    public void close() throws Exception {
      List<AutoCloseable> order = new ArrayList<>();
      order.add(redis);
      order.add(cluster);
      Collections.reverse(order); // the nodes before the Redis they use
      Exception first = null;
      for (AutoCloseable c : order) {
        if (c == null) {
          continue;
        }
        try {
          c.close();
        } catch (Exception e) {
          first = first == null ? e : first;
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }
}

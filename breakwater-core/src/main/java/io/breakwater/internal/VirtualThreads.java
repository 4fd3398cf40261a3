package io.breakwater.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads, found at run time: Breakwater is compiled for Java 17, where they do not
 * exist, and uses them when it runs on Java 21 or newer.
 */
public final class VirtualThreads {

  private static final MethodHandle OF_VIRTUAL = find();

  private VirtualThreads() {}

  /** Whether this JVM has virtual threads. */
  public static boolean available() {
    return OF_VIRTUAL != null;
  }

  /**
   * A factory of virtual threads named {@code prefix} followed by a counter.
   *
   * @throws UnsupportedOperationException on a JVM without virtual threads
   */
  public static ThreadFactory factory(String prefix) {
    if (OF_VIRTUAL == null) {
      throw new UnsupportedOperationException("virtual threads need Java 21 or newer, this JVM is "
          + Runtime.version().feature());
    }
    try {
      Object builder = OF_VIRTUAL.invoke();
      Class<?> builderType = Class.forName("java.lang.Thread$Builder");
      builder = builderType.getMethod("name", String.class, long.class)
          .invoke(builder, prefix, 1L);
      return (ThreadFactory) builderType.getMethod("factory").invoke(builder);
    } catch (Throwable e) {
      throw new IllegalStateException("could not create a virtual thread factory", e);
    }
  }

  private static MethodHandle find() {
    if (Runtime.version().feature() < 21) {
      return null;
    }
    try {
      Class<?> builderType = Class.forName("java.lang.Thread$Builder$OfVirtual");
      return MethodHandles.publicLookup()
          .findStatic(Thread.class, "ofVirtual", MethodType.methodType(builderType));
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}

package io.breakwater.config;

import io.breakwater.BreakwaterRuntime;
import io.breakwater.CommandConfig;
import io.breakwater.ThreadPoolConfig;
import io.breakwater.collapse.CollapserConfig;
import io.breakwater.config.Lookup.Found;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures a {@link BreakwaterRuntime} from property sources, with Hystrix's keys and
 * precedence, and keeps it configured as dynamic sources change.
 *
 * <p>Every key of Hystrix 1.5 is accepted ({@code hystrix.command.<name>.…},
 * {@code hystrix.threadpool.<key>.…}, {@code hystrix.collapser.<key>.…}, the
 * {@code hystrix.stream.…} keys), and so are Breakwater's shorter names, which are the builder
 * methods' names ({@code breakwater.command.<name>.timeoutMillis}). {@code CONFIG.md} lists
 * them all. For each setting of each name the value is taken from, highest first:
 *
 * <ol>
 *   <li>the name's own property,
 *   <li>the config given in code through {@link #codeConfig(String, Consumer)},
 *   <li>the {@code default} level's property,
 *   <li>the defaults given to {@link Builder#commandDefaults} (Hystrix's defaults if none).
 * </ol>
 *
 * <p>Within one level, the first source bound wins; within one source, Breakwater's name wins
 * over Hystrix's. A value that does not parse or is out of range is refused with a WARN naming
 * the key, the value and the reason, and the key keeps its previous value. A change applies to
 * the next execution of the command; rolling metrics and the circuit's state are kept.
 *
 * <p>The binder owns the runtime's default command and thread-pool configs: it sets them to the
 * defaults plus the {@code default} level's properties, so commands nobody names follow them.
 * It configures explicitly every name that appears in a source's keys or in code. Configure
 * commands in code through the binder rather than directly on the runtime, since the binder
 * replaces the config of every name it configures whenever that name's properties change.
 *
 * <p>Thread-safe. Changes are applied one at a time, on the thread of the source that reported
 * them. {@link #close()} unsubscribes from the sources and leaves the runtime as it is.
 */
public final class ConfigurationBinder implements ConfigResolver, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConfigurationBinder.class);

  private final BreakwaterRuntime runtime;
  private final List<PropertySource> sources;
  private final Warnings warnings = new Warnings(log);
  private final Binding<CommandConfig, CommandConfig.Builder> commands;
  private final Binding<ThreadPoolConfig, ThreadPoolConfig.Builder> threadPools;
  private final Binding<CollapserConfig, CollapserConfig.Builder> collapsers;
  private final Binding<StreamSettings, StreamSettings.Builder> stream;
  private final List<Binding<?, ?>> bindings;
  private final ConcurrentHashMap<String, CollapserConfig> collapserConfigs =
      new ConcurrentHashMap<>();
  /** Serializes recomputation, so two changes cannot apply their results out of order. */
  private final ReentrantLock lock = new ReentrantLock();
  private final List<Subscription> subscriptions = new ArrayList<>();
  private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private ConfigurationBinder(Builder b) {
    this.runtime = b.runtime;
    this.sources = List.copyOf(b.sources);
    Lookup lookup = this::find;
    this.commands = new Binding<>(Scopes.COMMAND, b.commandDefaults, lookup, warnings,
        new Binding.Target<>() {
          @Override
          public void applyDefault(CommandConfig config) {
            runtime.configureDefault(config);
          }

          @Override
          public CommandConfig current(String name) {
            return runtime.config(name);
          }

          @Override
          public void apply(String name, CommandConfig config) {
            runtime.configure(name, config);
          }
        });
    this.threadPools = new Binding<>(Scopes.THREAD_POOL, b.threadPoolDefaults, lookup, warnings,
        new Binding.Target<>() {
          @Override
          public void applyDefault(ThreadPoolConfig config) {
            runtime.configureDefaultThreadPool(config);
          }

          @Override
          public ThreadPoolConfig current(String key) {
            return runtime.threadPoolConfig(key);
          }

          @Override
          public void apply(String key, ThreadPoolConfig config) {
            runtime.configureThreadPool(key, config);
          }
        });
    this.collapsers = new Binding<>(Scopes.COLLAPSER, b.collapserDefaults, lookup, warnings,
        new Binding.Target<>() {
          @Override
          public void applyDefault(CollapserConfig settings) {
            runtime.configureDefaultCollapser(settings);
          }

          @Override
          public CollapserConfig current(String key) {
            return collapserConfigs.getOrDefault(key, collapserDefaults());
          }

          @Override
          public void apply(String key, CollapserConfig settings) {
            collapserConfigs.put(key, settings);
            runtime.configureCollapser(key, settings);
          }
        });
    this.stream = new Binding<>(Scopes.GLOBAL, b.streamDefaults, lookup, warnings,
        new Binding.Target<>() {
          @Override
          public void applyDefault(StreamSettings settings) {
            // Read through streamSettings().
          }

          @Override
          public StreamSettings current(String name) {
            throw new IllegalStateException("stream settings have no names");
          }

          @Override
          public void apply(String name, StreamSettings settings) {
            throw new IllegalStateException("stream settings have no names");
          }
        });
    this.bindings = List.of(commands, threadPools, collapsers, stream);
  }

  /** A builder binding sources to {@code runtime}. */
  public static Builder builder(BreakwaterRuntime runtime) {
    return new Builder(runtime);
  }

  /** Binds {@code sources} to {@code runtime}, the first source winning over the later ones. */
  public static ConfigurationBinder bind(BreakwaterRuntime runtime, PropertySource... sources) {
    Builder b = builder(runtime);
    for (PropertySource s : sources) {
      b.source(s);
    }
    return b.bind();
  }

  private void start() {
    lock.lock();
    try {
      // Subscribe before the first read, so a change made in between is not lost: it waits
      // for the lock and is recomputed after the initial state.
      for (PropertySource source : sources) {
        subscriptions.add(source.subscribe(this::onChange));
      }
      discover(allKeys(), new Touched());
      for (Binding<?, ?> binding : bindings) {
        binding.start();
      }
    } finally {
      lock.unlock();
    }
    // Commands and pools the sources do not list (a source that answers lookups but cannot
    // list its keys) ask this binder for their first config.
    runtime.engine().configResolver(this);
  }

  // ---------------------------------------------------------------------------------------
  // Configuration in code (level 2)
  // ---------------------------------------------------------------------------------------

  /**
   * Sets, in code, the fields of command {@code name} that {@code settings} sets, as Hystrix's
   * {@code Setter} does: the command's own properties still override them, and the fields
   * {@code settings} leaves alone still follow the {@code default} level's properties.
   * {@code settings} is called twice on fresh builders (to tell which fields it sets) and must
   * only call builder methods. Replaces an earlier code config of the command.
   *
   * @throws IllegalArgumentException from the builder, naming the field and the value, when a
   *     value is invalid
   */
  public ConfigurationBinder codeConfig(String name, Consumer<CommandConfig.Builder> settings) {
    return setCode(commands, "command name", name, Scopes.COMMAND.codeValues(settings));
  }

  /**
   * Sets every field of command {@code name} in code. Only the command's own properties
   * override it; {@code default}-level properties no longer reach it. To set only some fields,
   * use {@link #codeConfig(String, Consumer)}.
   */
  public ConfigurationBinder codeConfig(String name, CommandConfig config) {
    return setCode(commands, "command name", name, Scopes.COMMAND.codeValues(config));
  }

  /** Sets, in code, the fields of thread pool {@code key} that {@code settings} sets. */
  public ConfigurationBinder codeThreadPoolConfig(
      String key, Consumer<ThreadPoolConfig.Builder> settings) {
    return setCode(threadPools, "thread pool key", key, Scopes.THREAD_POOL.codeValues(settings));
  }

  /** Sets every field of thread pool {@code key} in code. */
  public ConfigurationBinder codeThreadPoolConfig(String key, ThreadPoolConfig config) {
    return setCode(threadPools, "thread pool key", key, Scopes.THREAD_POOL.codeValues(config));
  }

  /** Sets, in code, the fields of collapser {@code key} that {@code settings} sets. */
  public ConfigurationBinder codeCollapserConfig(
      String key, Consumer<CollapserConfig.Builder> settings) {
    return setCode(collapsers, "collapser key", key, Scopes.COLLAPSER.codeValues(settings));
  }

  /** Sets every field of collapser {@code key} in code. */
  public ConfigurationBinder codeCollapserConfig(String key, CollapserConfig settings) {
    return setCode(collapsers, "collapser key", key, Scopes.COLLAPSER.codeValues(settings));
  }

  private <C, B> ConfigurationBinder setCode(Binding<C, B> binding, String what, String name,
      Map<Setting<C, B>, Object> values) {
    requireName(what, name);
    boolean changed;
    lock.lock();
    try {
      ensureOpen();
      binding.setCode(name, values);
      changed = binding.refresh(name);
    } finally {
      lock.unlock();
    }
    if (changed) {
      tellListeners();
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------
  // Reading and applying
  // ---------------------------------------------------------------------------------------

  /** The settings collapser {@code key} runs with; a collapser calls this when it starts. */
  public CollapserConfig collapserConfig(String key) {
    requireName("collapser key", key);
    CollapserConfig s = collapserConfigs.get(key);
    if (s != null) {
      return s;
    }
    if (!collapsers.knows(key) && !closed) {
      apply(collapsers, key);
    }
    return collapserConfigs.getOrDefault(key, collapserDefaults());
  }

  /** The settings of the metrics event stream. */
  public StreamSettings streamSettings() {
    return stream.defaults();
  }

  /**
   * Computes and applies the config of command {@code name} now and recomputes it on every
   * later change. Needed only for a name that no source lists in its {@code snapshot()}.
   */
  public void apply(String name) {
    requireName("command name", name);
    apply(commands, name);
  }

  /** {@link #apply(String)} for a thread pool. */
  public void applyThreadPool(String key) {
    requireName("thread pool key", key);
    apply(threadPools, key);
  }

  private void apply(Binding<?, ?> binding, String name) {
    boolean changed;
    lock.lock();
    try {
      ensureOpen();
      changed = binding.refresh(name);
    } finally {
      lock.unlock();
    }
    if (changed) {
      tellListeners();
    }
  }

  /**
   * Reads every source again and recomputes everything, as if every key had changed. For a
   * source that cannot report its changes; dynamic sources don't need it.
   */
  public void applyAll() {
    boolean changed = false;
    lock.lock();
    try {
      ensureOpen();
      discover(allKeys(), new Touched());
      for (Binding<?, ?> binding : bindings) {
        changed |= binding.refreshAll();
      }
    } finally {
      lock.unlock();
    }
    if (changed) {
      tellListeners();
    }
  }

  /**
   * Calls {@code listener} after every change that altered a config or setting, on the thread
   * that applied it. For modules that cache settings, such as the collapser and the stream.
   */
  public Subscription onChange(Runnable listener) {
    Objects.requireNonNull(listener, "listener must not be null");
    Runnable entry = listener::run;
    listeners.add(entry);
    return () -> listeners.remove(entry);
  }

  /** The sources, highest precedence first. */
  public List<PropertySource> sources() {
    return sources;
  }

  /** The runtime this binder configures. */
  public BreakwaterRuntime runtime() {
    return runtime;
  }

  // ---------------------------------------------------------------------------------------
  // ConfigResolver: for a runtime creating a command or pool no one configured yet
  // ---------------------------------------------------------------------------------------

  @Override
  public CommandConfig commandConfig(String name) {
    return closed ? null : commands.resolveDetached(name);
  }

  @Override
  public ThreadPoolConfig threadPoolConfig(String key) {
    return closed ? null : threadPools.resolveDetached(key);
  }

  /** Stops listening to the sources. The runtime keeps the configuration it has. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Subscription s : subscriptions) {
        s.close();
      }
      subscriptions.clear();
    } finally {
      lock.unlock();
    }
    runtime.engine().configResolver(null);
  }

  // ---------------------------------------------------------------------------------------
  // Changes
  // ---------------------------------------------------------------------------------------

  /** The names and levels a set of keys touches. */
  private static final class Touched {
    final Set<Binding<?, ?>> defaults = new HashSet<>();
    final Map<Binding<?, ?>, Set<String>> names = new LinkedHashMap<>();
  }

  private void onChange(Set<String> keys) {
    if (closed) {
      return;
    }
    boolean changed = false;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      Touched touched = new Touched();
      discover(keys, touched);
      for (Binding<?, ?> binding : bindings) {
        if (touched.defaults.contains(binding)) {
          changed |= binding.refreshAll();
        } else {
          for (String name : touched.names.getOrDefault(binding, Set.of())) {
            changed |= binding.refresh(name);
          }
        }
      }
    } finally {
      lock.unlock();
    }
    if (changed) {
      tellListeners();
    }
  }

  /** Sorts keys into the levels and names they touch; reports keys nobody reads. */
  private void discover(Collection<String> keys, Touched touched) {
    for (String key : keys) {
      classify(key, touched);
    }
  }

  private void classify(String key, Touched touched) {
    for (Binding<?, ?> binding : bindings) {
      if (binding.scope().owns(key)) {
        Scope.Match<?, ?> m = binding.scope().match(key);
        if (m == null) {
          reportUnknown(key, "it is not a " + binding.scope().label() + " property");
        } else if (m.name() == null) {
          touched.defaults.add(binding);
        } else {
          binding.track(m.name());
          touched.names.computeIfAbsent(binding, b -> new HashSet<>()).add(m.name());
        }
        return;
      }
    }
    if (key.startsWith("hystrix.plugin.")) {
      reportUnknown(key, "Breakwater loads no plugins from properties; register listeners and "
          + "propagators in code");
    } else if (key.startsWith("hystrix.") || key.startsWith("breakwater.")) {
      reportUnknown(key, "no Breakwater or Hystrix setting has this name");
    }
  }

  private void reportUnknown(String key, String why) {
    List<Found> found = find(List.of(key));
    if (!found.isEmpty()) {
      Found f = found.get(0);
      warnings.warn(f.key(), f.value(), "Ignored configuration {}: {}", f, why);
    }
  }

  private Set<String> allKeys() {
    Set<String> keys = new HashSet<>();
    for (PropertySource source : sources) {
      keys.addAll(source.snapshot().keySet());
    }
    return keys;
  }

  private List<Found> find(List<String> keys) {
    List<Found> found = new ArrayList<>(1);
    for (PropertySource source : sources) {
      for (String key : keys) {
        source.get(key).ifPresent(v -> found.add(new Found(key, v, source.name())));
      }
    }
    return found;
  }

  private CollapserConfig collapserDefaults() {
    return collapsers.defaults();
  }

  private void tellListeners() {
    for (Runnable listener : listeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        log.warn("A configuration change listener failed", e);
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("this configuration binder is closed");
    }
  }

  private static void requireName(String what, String name) {
    Objects.requireNonNull(name, () -> what + " must not be null");
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank, was '" + name + "'");
    }
    if (name.equals(Scope.DEFAULT)) {
      throw new IllegalArgumentException(
          what + " must not be 'default', which names the level every " + what + " inherits");
    }
  }

  /** Collects the sources and defaults of a {@link ConfigurationBinder}. Not thread-safe. */
  public static final class Builder {
    private final BreakwaterRuntime runtime;
    private final List<PropertySource> sources = new ArrayList<>();
    private CommandConfig commandDefaults = CommandConfig.defaults();
    private ThreadPoolConfig threadPoolDefaults = ThreadPoolConfig.defaults();
    private CollapserConfig collapserDefaults = CollapserConfig.defaults();
    private StreamSettings streamDefaults = StreamSettings.defaults();

    private Builder(BreakwaterRuntime runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime must not be null");
    }

    /** Adds a source; a source added earlier wins over the ones added after it. */
    public Builder source(PropertySource source) {
      sources.add(Objects.requireNonNull(source, "source must not be null"));
      return this;
    }

    /** The lowest level for commands, below {@code default} properties (Hystrix's defaults). */
    public Builder commandDefaults(CommandConfig defaults) {
      this.commandDefaults = Objects.requireNonNull(defaults, "commandDefaults must not be null");
      return this;
    }

    /** The lowest level for thread pools (Hystrix's defaults if not given). */
    public Builder threadPoolDefaults(ThreadPoolConfig defaults) {
      this.threadPoolDefaults =
          Objects.requireNonNull(defaults, "threadPoolDefaults must not be null");
      return this;
    }

    /** The lowest level for collapsers (Hystrix's defaults if not given). */
    public Builder collapserDefaults(CollapserConfig defaults) {
      this.collapserDefaults =
          Objects.requireNonNull(defaults, "collapserDefaults must not be null");
      return this;
    }

    /** The lowest level for the stream (Hystrix's defaults if not given). */
    public Builder streamDefaults(StreamSettings defaults) {
      this.streamDefaults = Objects.requireNonNull(defaults, "streamDefaults must not be null");
      return this;
    }

    /**
     * Subscribes to the sources, configures the runtime from them, and returns the binder that
     * keeps it configured.
     */
    public ConfigurationBinder bind() {
      ConfigurationBinder binder = new ConfigurationBinder(this);
      binder.start();
      return binder;
    }
  }
}

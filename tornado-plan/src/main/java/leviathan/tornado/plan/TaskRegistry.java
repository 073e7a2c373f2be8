package leviathan.tornado.plan;

import java.lang.reflect.InvocationTargetException;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import leviathan.graph.Kernel;
import leviathan.graph.KernelIndex;
import leviathan.graph.Stage;

/**
 * Kernel → how to add its task to a task graph of type {@code G}. Filled from the generated
 * wrappers: the kernel processor lists every {@code *Wrappers} source it wrote in
 * {@code META-INF/leviathan/tornado-wrappers.list}, and each compiled wrapper class has a static
 * {@code register(TaskRegistry)} ({@link #addGenerated}).
 */
public final class TaskRegistry<G> {
    /** The index the kernel processor writes, one wrapper source path a line. */
    public static final String WRAPPER_INDEX = "META-INF/leviathan/tornado-wrappers.list";

    private final Map<Kernel, TaskBinder<G>> binders = new IdentityHashMap<>();

    /** Binds a kernel to its task (a later call for the same kernel replaces the binder). */
    public void put(Kernel kernel, TaskBinder<G> binder) {
        binders.put(kernel, binder);
    }

    public boolean has(Kernel kernel) {
        return binders.containsKey(kernel);
    }

    /** The binder of a kernel (to wrap it in a tuned one), or an error naming the kernel. */
    public TaskBinder<G> binder(Kernel kernel) {
        TaskBinder<G> b = binders.get(kernel);
        if (b == null) {
            throw new IllegalStateException("no TornadoVM task registered for kernel " + kernel.name);
        }
        return b;
    }

    /** The binder of a stage's kernel, or an error naming the kernel and the stage. */
    public TaskBinder<G> binder(Stage stage) {
        TaskBinder<G> b = binders.get(stage.kernel);
        if (b == null) {
            throw new UnsupportedOperationException("no TornadoVM task for kernel " + stage.kernel.name + " (stage " + stage.name
                    + "): its wrapper is generated from the @Kernel body (" + stage.kernel.body + "); is the class that declares"
                    + " it listed in " + WRAPPER_INDEX + " and compiled into the TornadoVM backend?");
        }
        return b;
    }

    /** The kernels of {@code kernels} that have no binder. */
    public Set<Kernel> missing(Collection<Kernel> kernels) {
        Set<Kernel> out = new LinkedHashSet<>();
        for (Kernel k : kernels) {
            if (!has(k)) {
                out.add(k);
            }
        }
        return out;
    }

    /** The wrapper classes the index files on {@code loader}'s class path name. */
    public static Set<String> generatedWrapperClasses(ClassLoader loader) {
        Set<String> out = new LinkedHashSet<>();
        for (String path : KernelIndex.readIndex(loader, WRAPPER_INDEX)) {
            out.add(path.substring(0, path.length() - ".java".length()).replace('/', '.'));
        }
        return out;
    }

    /** Registers every generated wrapper class that {@code loader} can load (by calling its {@code register}). */
    public TaskRegistry<G> addGenerated(ClassLoader loader) {
        for (String name : generatedWrapperClasses(loader)) {
            try {
                Class<?> c = Class.forName(name, true, loader);
                c.getMethod("register", TaskRegistry.class).invoke(null, this);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("the generated TornadoVM wrapper " + name + " is listed in " + WRAPPER_INDEX
                        + " but not compiled into the TornadoVM backend", e);
            } catch (NoSuchMethodException | IllegalAccessException e) {
                throw new IllegalStateException("generated wrapper " + name + " has no public static register(TaskRegistry)", e);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("registering " + name + " failed: " + e.getCause(), e.getCause());
            }
        }
        return this;
    }
}

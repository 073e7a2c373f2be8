package leviathan.graph;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every kernel on the class path. The kernel processor lists each {@code <Class>Kernels} class it
 * generates in {@code META-INF/leviathan/kernels.list} (one copy per module or test tree that has
 * {@code @Kernel} bodies), and each such class has a {@code public static final List<Kernel> ALL}.
 * Tests walk this to check every kernel, so a new one cannot be left out of a hand-kept list.
 */
public final class KernelIndex {
    private KernelIndex() {}

    public static final String KERNEL_INDEX = "META-INF/leviathan/kernels.list";

    /** Every kernel whose {@code Kernels} class {@code loader} finds, in index order. */
    public static List<Kernel> all(ClassLoader loader) {
        List<Kernel> out = new ArrayList<>();
        for (String name : readIndex(loader, KERNEL_INDEX)) {
            try {
                Object all = Class.forName(name, true, loader).getField("ALL").get(null);
                for (Object k : (List<?>) all) {
                    out.add((Kernel) k);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(KERNEL_INDEX + " lists " + name + ", which has no public static ALL: " + e, e);
            }
        }
        return out;
    }

    public static List<Kernel> all() {
        return all(KernelIndex.class.getClassLoader());
    }

    /** Every line of every copy of an index resource on the class path. */
    public static Set<String> readIndex(ClassLoader loader, String resource) {
        Set<String> out = new LinkedHashSet<>();
        try {
            Enumeration<URL> urls = loader.getResources(resource);
            while (urls.hasMoreElements()) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(urls.nextElement().openStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (!line.isBlank()) {
                            out.add(line.trim());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
        return out;
    }
}

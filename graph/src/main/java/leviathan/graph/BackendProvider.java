package leviathan.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Makes backends by name. Every backend (the JVM backend in {@code jvm-backend}, TornadoVM's built
 * with {@code -Ptornado}) registers a provider found on the class path through {@link ServiceLoader}.
 */
public interface BackendProvider {
    /** "jvm", "tornado". */
    String name();

    /**
     * @param device backend-specific device selector (e.g. "0:0" for TornadoVM), or null for the default
     * @param threads JVM threads (0 for all cores)
     */
    Backend create(String device, int threads, Profiler profiler);

    /** One line per device this backend can run on. */
    List<String> devices();

    static List<BackendProvider> all() {
        List<BackendProvider> out = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            out.add(p);
        }
        out.sort((a, b) -> Boolean.compare(!a.name().equals("jvm"), !b.name().equals("jvm"))); // jvm first
        return out;
    }

    /** "jvm", "tornado" or "tornado:B:D" → a backend; an unknown or absent one gets one clear message. */
    static Backend open(String spec, int threads, Profiler profiler) {
        String name = spec;
        String device = null;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            name = spec.substring(0, colon);
            device = spec.substring(colon + 1);
        }
        List<String> names = new ArrayList<>();
        for (BackendProvider p : all()) {
            if (p.name().equals(name)) {
                return p.create(device, threads, profiler);
            }
            names.add(p.name());
        }
        String hint = name.equals("tornado")
                ? " (the TornadoVM backend is not on the class path: build with -Ptornado and run under the tornado launcher; see README)"
                : "";
        throw new IllegalArgumentException("unknown backend '" + name + "' (available: " + String.join(", ", names) + ")" + hint);
    }
}

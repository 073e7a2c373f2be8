package leviathan.jvm;

import java.util.List;

import leviathan.graph.Backend;
import leviathan.graph.BackendProvider;
import leviathan.graph.Profiler;

/** The JVM backend's provider ({@code --backend jvm}): all cores unless told otherwise, fast variants on. */
public final class JvmBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "jvm";
    }

    @Override
    public Backend create(String device, int threads, Profiler profiler) {
        if (device != null && !device.isEmpty() && !device.equals("0")) {
            throw new IllegalArgumentException("the jvm backend has one device (the CPU cores); got device '" + device + "'");
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new JvmBackend(n, true, profiler);
    }

    @Override
    public List<String> devices() {
        return List.of("jvm        CPU, " + Runtime.getRuntime().availableProcessors() + " cores, Vector API "
                + VectorGemm.S.vectorBitSize() + "-bit (" + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ")");
    }
}

package leviathan.tornado;

import java.util.ArrayList;
import java.util.List;

import leviathan.graph.Backend;
import leviathan.graph.BackendProvider;
import leviathan.graph.Profiler;

/** {@code --backend tornado[:B:D]}: the TornadoVM backend, found through ServiceLoader. */
public final class TornadoBackendProvider implements BackendProvider {
    static {
        disableBailout();
    }

    /**
     * TornadoVM by default recovers from a failed compilation by running the task as sequential Java
     * (a "bailout"): correct but silently orders of magnitude slower. Here that is an error. The
     * property is read once when TornadoVM's options class loads, so the launcher script and the
     * tests also pass -Dtornado.recover.bailout=False.
     */
    static void disableBailout() {
        System.setProperty("tornado.recover.bailout", "False");
        // The TornadoVM bytecode of a fused step needs more than the default 4 KB.
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "262144");
        }
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public Backend create(String device, int threads, Profiler profiler) {
        try {
            return TornadoBackend.open(device, profiler);
        } catch (LinkageError e) {
            throw new IllegalArgumentException("the TornadoVM runtime is not available (" + e + "): run under the tornado launcher "
                    + "or java @$TORNADOVM_HOME/tornado-argfile (see tornado-backend/README.md)", e);
        }
    }

    @Override
    public List<String> devices() {
        List<String> out = new ArrayList<>();
        try {
            var map = uk.ac.manchester.tornado.api.TornadoExecutionPlan.getTornadoDeviceMap();
            var backends = map.getAllBackends();
            for (int b = 0; b < backends.size(); b++) {
                var be = backends.get(b);
                for (int d = 0; d < be.getNumDevices(); d++) {
                    var dev = be.getDevice(d);
                    out.add(String.format("tornado:%d:%d  %s %s: %s [%s], %s, %d MB global, %d KB local%s", b, d, be.getBackendType(),
                            dev.getDeviceName(), dev.getPhysicalDevice().getDeviceName(), dev.getPlatformName(), dev.getDeviceType(),
                            dev.getMaxGlobalMemory() >> 20, dev.getDeviceLocalMemorySize() >> 10, b == 0 && d == 0 ? "  (default)" : ""));
                }
            }
            if (out.isEmpty()) {
                out.add("tornado: no TornadoVM devices found");
            }
        } catch (Throwable e) {
            out.add("tornado: TornadoVM runtime not available (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); run under the tornado launcher or java @$TORNADOVM_HOME/tornado-argfile");
        }
        return out;
    }
}

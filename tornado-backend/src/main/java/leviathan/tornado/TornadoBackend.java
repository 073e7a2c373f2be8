package leviathan.tornado;

import leviathan.graph.Profiler;
import leviathan.tornado.plan.PlannedBackend;

/**
 * {@code --backend tornado[:B:D]}: the planned backend ({@code tornado-plan}: fusion, arenas,
 * segments, coherence) on a TornadoVM device ({@link TornadoVmDevice}). Everything but the device
 * adapter is TornadoVM-free and tested in the default build on an emulated device.
 */
public final class TornadoBackend {
    private TornadoBackend() {}

    /** The backend on device {@code spec} ("B:D"; null or empty for 0:0). */
    public static PlannedBackend open(String spec, Profiler profiler) {
        TornadoBackendProvider.disableBailout();
        return new PlannedBackend(new TornadoVmDevice(spec), profiler);
    }
}

package leviathan.tornado.plan;

import leviathan.graph.Kernel;

/**
 * A device that runs planned graphs: the TornadoVM adapter in {@code tornado-backend}, or the JVM
 * emulation in the tests. {@link PlannedBackend} decides what to run and which memory is current;
 * a device only builds and runs what it is given.
 */
public interface Device {
    /** The backend name users give, e.g. "tornado:0:0". */
    String name();

    /** The physical device, for messages. */
    String deviceName();

    /** Whether the device can run stages of this kernel (it has a task for it). */
    boolean supports(Kernel kernel);

    /** Builds the device side of a plan over its arena image (compiled lazily or now, as the device likes). */
    DevicePlan build(PlanLayout layout, Arena arena);

    /** One built plan. */
    interface DevicePlan extends AutoCloseable {
        /** Copies the whole arena image to the device. */
        Execution upload();

        /**
         * Runs segment {@code i} of the layout on the device arena. Segment 0 first copies the
         * layout's host inputs (their own arrays) into the arena; the last segment ends by copying
         * the host outputs out of the arena into their own arrays.
         */
        Execution run(int segment);

        /** Copies the device arena into the arena image. */
        void download();

        /** Turns per-task timing on or off. */
        void profiling(boolean on);

        @Override
        void close();
    }

    /** What one device call reports when profiling (zeros and a null log otherwise). */
    record Execution(double compileMs, long copyInBytes, long copyOutBytes, double kernelMs, double copyMs, String profileLog) {
        public static final Execution NONE = new Execution(0, 0, 0, 0, 0, null);
    }
}

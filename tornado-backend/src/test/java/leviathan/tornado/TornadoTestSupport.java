package leviathan.tornado;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.tornado.plan.PlannedBackend;

/** Shared by the tests: skip without TornadoVM, and the two backends compared. */
final class TornadoTestSupport {
    private TornadoTestSupport() {}

    static final String DEVICE = System.getProperty("leviathan.tornado.device", "0:0");

    /** Skips (with the reason) unless the test JVM was started with the TornadoVM runtime. */
    static void assumeTornado() {
        String impl = System.getProperty("tornado.load.runtime.implementation");
        assumeTrue(impl != null, "TornadoVM not present: the test JVM was not started with $TORNADOVM_HOME/tornado-argfile"
                + " (set TORNADOVM_HOME to a TornadoVM 5.2.0-jdk25 SDK and JAVA_HOME to JDK 25, then mvn -Ptornado test)");
        try {
            Class.forName("uk.ac.manchester.tornado.api.TornadoExecutionPlan");
        } catch (ClassNotFoundException e) {
            assumeTrue(false, "TornadoVM not present: tornado-api is not on the module path (" + e + ")");
        }
    }

    static PlannedBackend tornado() {
        return TornadoBackend.open(DEVICE, new Profiler());
    }

    static Backend jvm() {
        return new JvmBackend(Runtime.getRuntime().availableProcessors(), true, new Profiler());
    }
}

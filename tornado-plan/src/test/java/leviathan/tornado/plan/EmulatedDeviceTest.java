package leviathan.tornado.plan;

import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.Nested;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.ModelConfig;

/**
 * The planner and every generated TornadoVM wrapper, on the emulated device, against the JVM
 * backend's plain bodies: bit for bit, since both run the same bodies in the same order.
 */
class EmulatedDeviceTest {
    static Supplier<Backend> plainJvm() {
        return () -> new JvmBackend(2, false, new Profiler());
    }

    @Nested
    class CoreKernels extends CoreKernelParity {
        @Override
        protected Supplier<Backend> reference() {
            return plainJvm();
        }

        @Override
        protected Supplier<Backend> device() {
            return EmulatedDevice::backend;
        }

        @Override
        protected double tolerance() {
            return 0;
        }
    }

    @Nested
    class Mixers extends MixerParity {
        @Override
        protected Supplier<Backend> reference() {
            return plainJvm();
        }

        @Override
        protected Supplier<Backend> device() {
            return EmulatedDevice::backend;
        }

        @Override
        protected double tolerance() {
            return 0;
        }
    }

    @Nested
    class Training extends TrainingParity {
        @Override
        protected Supplier<Backend> reference() {
            return plainJvm();
        }

        @Override
        protected Supplier<Backend> device() {
            return EmulatedDevice::backend;
        }

        @Override
        protected double tolerance() {
            return 0;
        }

        @Override
        protected ModelConfig config(String mixer, Map<String, String> options) {
            return new ModelConfig(29, 16, 2, 2, 32, mixer, options);
        }

        @Override
        protected int batch() {
            return 4;
        }

        @Override
        protected int steps() {
            return 8;
        }
    }
}

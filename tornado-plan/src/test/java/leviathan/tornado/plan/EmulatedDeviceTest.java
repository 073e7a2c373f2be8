package leviathan.tornado.plan;

import java.util.Map;

import org.junit.jupiter.api.Nested;

import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.ModelConfig;

/**
 * The planner and every generated TornadoVM wrapper, on the emulated device, against the JVM
 * backend's plain bodies: bit for bit, since both run the same bodies in the same order.
 */
class EmulatedDeviceTest {
    static final DeviceUnderTest EMULATED = new DeviceUnderTest(() -> new JvmBackend(2, false, new Profiler()), EmulatedDevice::backend, 0);

    @Nested
    class CoreKernels extends CoreKernelParity {
        @Override
        protected DeviceUnderTest target() {
            return EMULATED;
        }
    }

    @Nested
    class Mixers extends MixerParity {
        @Override
        protected DeviceUnderTest target() {
            return EMULATED;
        }
    }

    @Nested
    class Training extends TrainingParity {
        @Override
        protected DeviceUnderTest target() {
            return EMULATED;
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

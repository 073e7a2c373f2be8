package leviathan.tornado;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.Gpt;
import leviathan.model.MixerState;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.model.Workspace;
import leviathan.trainer.TrainConfig;

/** Shared by the tests: skip without TornadoVM, and run N training steps on a backend. */
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

    static TornadoBackend tornado() {
        return new TornadoBackend(DEVICE, new Profiler());
    }

    static JvmBackend jvm() {
        return new JvmBackend(Runtime.getRuntime().availableProcessors(), true, new Profiler());
    }

    /**
     * The baby preset's shapes (N=4, H=4, C=128, Tmax=64, B=12) with a 65-character vocabulary. The
     * Performer redraws its features every 20 steps, so the test also crosses a host-side change of
     * device-resident parameters.
     */
    static ModelConfig baby(String mixer) {
        java.util.Map<String, String> options = mixer.equals("performer") ? java.util.Map.of("redraw", "20") : java.util.Map.of();
        return new ModelConfig(65, 64, 4, 4, 128, mixer, options);
    }

    /** Losses of {@code steps} training steps on seeded random batches (same batches for every backend). */
    static List<Float> train(ModelConfig mc, Backend backend, int steps) {
        TrainConfig tc = new TrainConfig();
        Gpt model = new Gpt(mc);
        model.initialise(tc.seed);
        Workspace ws = model.workspace(tc.batchSize, mc.contextLength, true);
        Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
        Backend.CompiledGraph loss = backend.compile(ws.lossGraph);
        Backend.CompiledGraph backward = backend.compile(ws.backwardGraph);
        Backend.CompiledGraph update = backend.compile(model.updateGraph(tc.weightDecay, tc.gradClip));
        Rng rng = new Rng(42);
        List<Float> losses = new ArrayList<>();
        MixerState mixerState = MixerState.of(model, backend, tc.seed); // as the Trainer: a mixer may change its tensors
        for (int step = 0; step < steps; step++) {
            model.mixer.beforeStep(step, mixerState);
            // a toy "language": next token = (token * 7 + 3) mod V, with noise, so the loss falls
            for (int i = 0; i < ws.tokens.length; i++) {
                int t = rng.nextInt(mc.vocabSize);
                ws.tokens.set(i, t);
                ws.targets.set(i, rng.nextInt(4) == 0 ? rng.nextInt(mc.vocabSize) : (t * 7 + 3) % mc.vocabSize);
            }
            backend.syncToDevice(ws.tokens.array, ws.targets.array);
            logits.run();
            loss.run();
            backward.run();
            model.setStepScalars(step + 1, tc.learningRateAt(step), tc.beta1, tc.beta2, tc.eps);
            backend.syncToDevice(model.stepScalars.array);
            update.run();
            backend.syncToHost(ws.loss.array, model.stepScalars.array);
            losses.add(ws.loss.get(0));
        }
        return losses;
    }
}

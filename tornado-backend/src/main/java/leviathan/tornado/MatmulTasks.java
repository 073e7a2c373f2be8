package leviathan.tornado;

import uk.ac.manchester.tornado.api.TaskGraph;

/**
 * TornadoVM scheduling of the hot matmul stage. The default is the plain wrapper
 * ({@link CoreTasks#matmulForward}: one output element per work item over the body).
 */
public final class MatmulTasks {
    private MatmulTasks() {}

    static void forward(TaskGraph tg, String id, float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                        float[] b, int bOff, int C, int OC, int BT, TornadoTasks.BindContext ctx) {
        tg.task(id, CoreTasks::matmulForward, out, outOff, inp, inpOff, w, wOff, b, bOff, C, OC, BT);
    }
}

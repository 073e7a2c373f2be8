package leviathan.tornado;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * TornadoVM scheduling of the hot matmul forward stage: a register-blocked variant of
 * {@link leviathan.kernels.Matmul#forward}. Each work item computes a 4 × 4 block of outputs
 * (4 rows × 4 output channels), so every input and weight element it loads feeds four products
 * instead of one; the reduction over c is unrolled by 4. The products are summed in the body's
 * order (c = 0 … C−1); the bias is added last rather than first (faster on PoCL), so results
 * differ from the body by rounding only (tested within 1e-5).
 *
 * <p>Measured on PoCL's CPU device here (768×128×512, device kernel time): plain wrapper (one
 * output per work item over the body) 3.1 GFLOP/s, a 16×16 local-memory tiled kernel 2.0 GFLOP/s
 * (PoCL turns every barrier into a loop over the work group), this one about 20 GFLOP/s. PoCL does not
 * vectorise TornadoVM's kernels across work items, so register blocking is what pays there; on a
 * GPU the local-memory tiled form is the one to try (see tornado-backend/README.md).
 *
 * <p>Used when BT, C and OC are multiples of 4; otherwise (e.g. the LM head, OC = V = 65) and with
 * {@code -Dleviathan.tornado.matmul=plain} the plain wrapper {@link CoreTasks#matmulForward} runs.
 * The tests run both against the JVM backend.
 */
public final class MatmulTasks {
    private MatmulTasks() {}

    /** "blocked" (default) or "plain". */
    static String variant() {
        return System.getProperty("leviathan.tornado.matmul", "blocked");
    }

    static boolean blockable(int C, int OC, int BT) {
        return C % 4 == 0 && OC % 4 == 0 && BT % 4 == 0;
    }

    static void forward(TaskGraph tg, String id, int outOff, int inpOff, int wOff, int bOff, int C, int OC, int BT,
                        TornadoTasks.BindContext ctx) {
        String variant = variant();
        if (!variant.equals("blocked") && !variant.equals("plain")) {
            throw new IllegalArgumentException("leviathan.tornado.matmul must be 'blocked' or 'plain', got '" + variant + "'");
        }
        if (variant.equals("blocked") && blockable(C, OC, BT)) {
            tg.task(id, MatmulTasks::forwardBlocked, ctx.floats(), outOff, inpOff, wOff, bOff, C, OC, BT);
            WorkerGrid2D grid = new WorkerGrid2D(OC / 4, BT / 4);
            // An explicit work-group (PoCL's own choice ran at half the speed); it must divide the grid.
            grid.setLocalWork(divisorUpTo8(OC / 4), divisorUpTo8(BT / 4), 1);
            ctx.grid(id, grid);
        } else {
            tg.task(id, CoreTasks::matmulForward, ctx.floats(), outOff, inpOff, wOff, bOff, C, OC, BT);
        }
    }

    /** The largest of 8, 4, 2, 1 that divides n. */
    static int divisorUpTo8(int n) {
        return n % 8 == 0 ? 8 : n % 4 == 0 ? 4 : n % 2 == 0 ? 2 : 1;
    }

    /** out[r,o] = bias[o] + Σ_c inp[r,c]·weight[o,c] for rows 4·rb … 4·rb+3 and channels 4·ob … 4·ob+3. */
    public static void forwardBlocked(float[] f,
                                      int outOff,   // (BT, OC)
                                      int inpOff,   // (BT, C)
                                      int wOff,     // (OC, C)
                                      int bOff,     // (OC), absent when < 0
                                      int C, int OC, int BT) {
        for (@Parallel int ob = 0; ob < OC / 4; ob++) {
            for (@Parallel int rb = 0; rb < BT / 4; rb++) {
                int o = ob * 4;
                int r = rb * 4;
                float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                // Full index expressions per load: PoCL compiled them faster than precomputed row bases.
                for (int c = 0; c < C; c += 4) {
                    float w00 = f[wOff + (o + 0) * C + c + 0]; float w10 = f[wOff + (o + 1) * C + c + 0];
                    float w20 = f[wOff + (o + 2) * C + c + 0]; float w30 = f[wOff + (o + 3) * C + c + 0];
                    float x00 = f[inpOff + (r + 0) * C + c + 0]; float x10 = f[inpOff + (r + 1) * C + c + 0];
                    float x20 = f[inpOff + (r + 2) * C + c + 0]; float x30 = f[inpOff + (r + 3) * C + c + 0];
                    float w01 = f[wOff + (o + 0) * C + c + 1]; float w11 = f[wOff + (o + 1) * C + c + 1];
                    float w21 = f[wOff + (o + 2) * C + c + 1]; float w31 = f[wOff + (o + 3) * C + c + 1];
                    float x01 = f[inpOff + (r + 0) * C + c + 1]; float x11 = f[inpOff + (r + 1) * C + c + 1];
                    float x21 = f[inpOff + (r + 2) * C + c + 1]; float x31 = f[inpOff + (r + 3) * C + c + 1];
                    float w02 = f[wOff + (o + 0) * C + c + 2]; float w12 = f[wOff + (o + 1) * C + c + 2];
                    float w22 = f[wOff + (o + 2) * C + c + 2]; float w32 = f[wOff + (o + 3) * C + c + 2];
                    float x02 = f[inpOff + (r + 0) * C + c + 2]; float x12 = f[inpOff + (r + 1) * C + c + 2];
                    float x22 = f[inpOff + (r + 2) * C + c + 2]; float x32 = f[inpOff + (r + 3) * C + c + 2];
                    float w03 = f[wOff + (o + 0) * C + c + 3]; float w13 = f[wOff + (o + 1) * C + c + 3];
                    float w23 = f[wOff + (o + 2) * C + c + 3]; float w33 = f[wOff + (o + 3) * C + c + 3];
                    float x03 = f[inpOff + (r + 0) * C + c + 3]; float x13 = f[inpOff + (r + 1) * C + c + 3];
                    float x23 = f[inpOff + (r + 2) * C + c + 3]; float x33 = f[inpOff + (r + 3) * C + c + 3];
                    a00 += x00 * w00; a01 += x00 * w10; a02 += x00 * w20; a03 += x00 * w30;
                    a10 += x10 * w00; a11 += x10 * w10; a12 += x10 * w20; a13 += x10 * w30;
                    a20 += x20 * w00; a21 += x20 * w10; a22 += x20 * w20; a23 += x20 * w30;
                    a30 += x30 * w00; a31 += x30 * w10; a32 += x30 * w20; a33 += x30 * w30;
                    a00 += x01 * w01; a01 += x01 * w11; a02 += x01 * w21; a03 += x01 * w31;
                    a10 += x11 * w01; a11 += x11 * w11; a12 += x11 * w21; a13 += x11 * w31;
                    a20 += x21 * w01; a21 += x21 * w11; a22 += x21 * w21; a23 += x21 * w31;
                    a30 += x31 * w01; a31 += x31 * w11; a32 += x31 * w21; a33 += x31 * w31;
                    a00 += x02 * w02; a01 += x02 * w12; a02 += x02 * w22; a03 += x02 * w32;
                    a10 += x12 * w02; a11 += x12 * w12; a12 += x12 * w22; a13 += x12 * w32;
                    a20 += x22 * w02; a21 += x22 * w12; a22 += x22 * w22; a23 += x22 * w32;
                    a30 += x32 * w02; a31 += x32 * w12; a32 += x32 * w22; a33 += x32 * w32;
                    a00 += x03 * w03; a01 += x03 * w13; a02 += x03 * w23; a03 += x03 * w33;
                    a10 += x13 * w03; a11 += x13 * w13; a12 += x13 * w23; a13 += x13 * w33;
                    a20 += x23 * w03; a21 += x23 * w13; a22 += x23 * w23; a23 += x23 * w33;
                    a30 += x33 * w03; a31 += x33 * w13; a32 += x33 * w23; a33 += x33 * w33;
                }
                if (bOff >= 0) { // the bias last: starting the sums from it ran 25% slower on PoCL
                    float b0 = f[bOff + o], b1 = f[bOff + o + 1], b2 = f[bOff + o + 2], b3 = f[bOff + o + 3];
                    a00 += b0; a01 += b1; a02 += b2; a03 += b3;
                    a10 += b0; a11 += b1; a12 += b2; a13 += b3;
                    a20 += b0; a21 += b1; a22 += b2; a23 += b3;
                    a30 += b0; a31 += b1; a32 += b2; a33 += b3;
                }
                f[outOff + (r + 0) * OC + o + 0] = a00; f[outOff + (r + 0) * OC + o + 1] = a01; f[outOff + (r + 0) * OC + o + 2] = a02; f[outOff + (r + 0) * OC + o + 3] = a03;
                f[outOff + (r + 1) * OC + o + 0] = a10; f[outOff + (r + 1) * OC + o + 1] = a11; f[outOff + (r + 1) * OC + o + 2] = a12; f[outOff + (r + 1) * OC + o + 3] = a13;
                f[outOff + (r + 2) * OC + o + 0] = a20; f[outOff + (r + 2) * OC + o + 1] = a21; f[outOff + (r + 2) * OC + o + 2] = a22; f[outOff + (r + 2) * OC + o + 3] = a23;
                f[outOff + (r + 3) * OC + o + 0] = a30; f[outOff + (r + 3) * OC + o + 1] = a31; f[outOff + (r + 3) * OC + o + 2] = a32; f[outOff + (r + 3) * OC + o + 3] = a33;
            }
        }
    }
}

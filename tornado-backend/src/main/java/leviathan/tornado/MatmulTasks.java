package leviathan.tornado;

import leviathan.kernels.MatmulKernels;
import leviathan.tornado.plan.TaskBinder;
import leviathan.tornado.plan.TaskRegistry;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * TornadoVM scheduling of the hot matmul stages: register-blocked variants of the bodies in
 * {@link leviathan.kernels.Matmul}. Each work item computes a 4 × 4 block of outputs, so every
 * element it loads feeds four products instead of one, and the reduction is unrolled by 4. Each
 * output's products are summed in the body's order (forward: the bias is added last, which was
 * faster on PoCL), so results differ from the bodies by rounding only. PoCL does not vectorise
 * TornadoVM's kernels across work items, so register blocking is what pays there; on a GPU a
 * local-memory tiled form is the one to try. The variants measured and dropped (local-memory tiles,
 * float8 lanes) are in docs/performance.md.
 *
 * <p>Used when all three sizes are multiples of 4; otherwise (the LM head: V = 65) and with
 * {@code -Dleviathan.tornado.matmul=plain} the generated wrappers of the plain bodies run. These are
 * hand-written kernels, not bodies: the tests run both forms against the JVM backend.
 */
public final class MatmulTasks {
    private MatmulTasks() {}

    /** "blocked" (default) or "plain". */
    static boolean blocked(int a, int b, int c) {
        String variant = System.getProperty("leviathan.tornado.matmul", "blocked");
        if (!variant.equals("blocked") && !variant.equals("plain")) {
            throw new IllegalArgumentException("leviathan.tornado.matmul must be 'blocked' or 'plain', got '" + variant + "'");
        }
        return variant.equals("blocked") && a % 4 == 0 && b % 4 == 0 && c % 4 == 0;
    }

    /** A grid of (n0/4) × (n1/4) work items, with an explicit work group (PoCL's own choice was slower, see docs/performance.md). */
    static void grid(String id, int n0, int n1, Object arena) {
        WorkerGrid2D grid = new WorkerGrid2D(n0 / 4, n1 / 4);
        grid.setLocalWork(divisorUpTo8(n0 / 4), divisorUpTo8(n1 / 4), 1); // it must divide the grid
        ((TornadoVmDevice.GridContext) arena).grid(id, grid);
    }

    /** The largest of 8, 4, 2, 1 that divides n. */
    static int divisorUpTo8(int n) {
        return n % 8 == 0 ? 8 : n % 4 == 0 ? 4 : n % 2 == 0 ? 2 : 1;
    }

    /**
     * Replaces the generated one-output-per-work-item tasks of the three matmul kernels by the blocked
     * ones where the sizes allow; elsewhere the generated wrapper (the plain body) runs.
     */
    static void register(TaskRegistry<TaskGraph> registry) {
        TaskBinder<TaskGraph> plainForward = registry.binder(MatmulKernels.FORWARD);
        registry.put(MatmulKernels.FORWARD, (tg, id, s, arena) -> {
            MatmulKernels.ForwardArgs a = MatmulKernels.ForwardArgs.of(s);
            int BT = s.extent[0];
            if (!blocked(a.C(), a.OC(), BT)) {
                plainForward.add(tg, id, s, arena);
                return;
            }
            tg.task(id, MatmulTasks::forwardBlocked, arena.floats(), arena.at(a.out()), arena.at(a.inp()), arena.at(a.weight()),
                    arena.at(a.bias()), a.C(), a.OC(), BT);
            grid(id, a.OC(), BT, arena);
        });
        TaskBinder<TaskGraph> plainInput = registry.binder(MatmulKernels.BACKWARD_INPUT);
        registry.put(MatmulKernels.BACKWARD_INPUT, (tg, id, s, arena) -> {
            MatmulKernels.BackwardInputArgs a = MatmulKernels.BackwardInputArgs.of(s);
            int BT = s.extent[0];
            if (!blocked(a.C(), a.OC(), BT)) {
                plainInput.add(tg, id, s, arena);
                return;
            }
            tg.task(id, MatmulTasks::backwardInputBlocked, arena.floats(), arena.at(a.dinp()), arena.at(a.dout()), arena.at(a.weight()),
                    a.C(), a.OC(), a.accumulate(), BT);
            grid(id, a.C(), BT, arena);
        });
        TaskBinder<TaskGraph> plainWeight = registry.binder(MatmulKernels.BACKWARD_WEIGHT);
        registry.put(MatmulKernels.BACKWARD_WEIGHT, (tg, id, s, arena) -> {
            MatmulKernels.BackwardWeightArgs a = MatmulKernels.BackwardWeightArgs.of(s);
            if (!blocked(a.C(), a.OC(), a.BT())) {
                plainWeight.add(tg, id, s, arena);
                return;
            }
            tg.task(id, MatmulTasks::backwardWeightBlocked, arena.floats(), arena.at(a.dweight()), arena.at(a.dout()), arena.at(a.inp()),
                    a.BT(), a.C(), a.OC());
            grid(id, a.C(), a.OC(), arena);
        });
    }

    /** out[r,o] = bias[o] + Σ_c inp[r,c]·weight[o,c] for rows i … i+3 (i = 4·ib) and channels j … j+3 (j = 4·jb). */
    public static void forwardBlocked(float[] f,
            int outOff,   // (BT, OC)
            int inpOff,   // (BT, C)
            int wOff,     // (OC, C)
            int bOff,     // (OC), absent when < 0
            int C, int OC, int BT) {
        for (@Parallel int jb = 0; jb < OC / 4; jb++) {
            for (@Parallel int ib = 0; ib < BT / 4; ib++) {
                int j = jb * 4;
                int i = ib * 4;
                float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                for (int k = 0; k < C; k += 4) {
                    float p00 = f[inpOff + (i + 0) * C + k + 0]; float p10 = f[inpOff + (i + 1) * C + k + 0];
                    float p20 = f[inpOff + (i + 2) * C + k + 0]; float p30 = f[inpOff + (i + 3) * C + k + 0];
                    float q00 = f[wOff + (j + 0) * C + k + 0]; float q10 = f[wOff + (j + 1) * C + k + 0];
                    float q20 = f[wOff + (j + 2) * C + k + 0]; float q30 = f[wOff + (j + 3) * C + k + 0];
                    float p01 = f[inpOff + (i + 0) * C + k + 1]; float p11 = f[inpOff + (i + 1) * C + k + 1];
                    float p21 = f[inpOff + (i + 2) * C + k + 1]; float p31 = f[inpOff + (i + 3) * C + k + 1];
                    float q01 = f[wOff + (j + 0) * C + k + 1]; float q11 = f[wOff + (j + 1) * C + k + 1];
                    float q21 = f[wOff + (j + 2) * C + k + 1]; float q31 = f[wOff + (j + 3) * C + k + 1];
                    float p02 = f[inpOff + (i + 0) * C + k + 2]; float p12 = f[inpOff + (i + 1) * C + k + 2];
                    float p22 = f[inpOff + (i + 2) * C + k + 2]; float p32 = f[inpOff + (i + 3) * C + k + 2];
                    float q02 = f[wOff + (j + 0) * C + k + 2]; float q12 = f[wOff + (j + 1) * C + k + 2];
                    float q22 = f[wOff + (j + 2) * C + k + 2]; float q32 = f[wOff + (j + 3) * C + k + 2];
                    float p03 = f[inpOff + (i + 0) * C + k + 3]; float p13 = f[inpOff + (i + 1) * C + k + 3];
                    float p23 = f[inpOff + (i + 2) * C + k + 3]; float p33 = f[inpOff + (i + 3) * C + k + 3];
                    float q03 = f[wOff + (j + 0) * C + k + 3]; float q13 = f[wOff + (j + 1) * C + k + 3];
                    float q23 = f[wOff + (j + 2) * C + k + 3]; float q33 = f[wOff + (j + 3) * C + k + 3];
                    a00 += p00 * q00; a01 += p00 * q10; a02 += p00 * q20; a03 += p00 * q30;
                    a10 += p10 * q00; a11 += p10 * q10; a12 += p10 * q20; a13 += p10 * q30;
                    a20 += p20 * q00; a21 += p20 * q10; a22 += p20 * q20; a23 += p20 * q30;
                    a30 += p30 * q00; a31 += p30 * q10; a32 += p30 * q20; a33 += p30 * q30;
                    a00 += p01 * q01; a01 += p01 * q11; a02 += p01 * q21; a03 += p01 * q31;
                    a10 += p11 * q01; a11 += p11 * q11; a12 += p11 * q21; a13 += p11 * q31;
                    a20 += p21 * q01; a21 += p21 * q11; a22 += p21 * q21; a23 += p21 * q31;
                    a30 += p31 * q01; a31 += p31 * q11; a32 += p31 * q21; a33 += p31 * q31;
                    a00 += p02 * q02; a01 += p02 * q12; a02 += p02 * q22; a03 += p02 * q32;
                    a10 += p12 * q02; a11 += p12 * q12; a12 += p12 * q22; a13 += p12 * q32;
                    a20 += p22 * q02; a21 += p22 * q12; a22 += p22 * q22; a23 += p22 * q32;
                    a30 += p32 * q02; a31 += p32 * q12; a32 += p32 * q22; a33 += p32 * q32;
                    a00 += p03 * q03; a01 += p03 * q13; a02 += p03 * q23; a03 += p03 * q33;
                    a10 += p13 * q03; a11 += p13 * q13; a12 += p13 * q23; a13 += p13 * q33;
                    a20 += p23 * q03; a21 += p23 * q13; a22 += p23 * q23; a23 += p23 * q33;
                    a30 += p33 * q03; a31 += p33 * q13; a32 += p33 * q23; a33 += p33 * q33;
                }
                if (bOff >= 0) { // the bias last: starting the sums from it was slower on PoCL (docs/performance.md)
                    float b0 = f[bOff + j], b1 = f[bOff + j + 1], b2 = f[bOff + j + 2], b3 = f[bOff + j + 3];
                    a00 += b0; a01 += b1; a02 += b2; a03 += b3;
                    a10 += b0; a11 += b1; a12 += b2; a13 += b3;
                    a20 += b0; a21 += b1; a22 += b2; a23 += b3;
                    a30 += b0; a31 += b1; a32 += b2; a33 += b3;
                }
                f[outOff + (i + 0) * OC + j + 0] = a00; f[outOff + (i + 0) * OC + j + 1] = a01; f[outOff + (i + 0) * OC + j + 2] = a02; f[outOff + (i + 0) * OC + j + 3] = a03;
                f[outOff + (i + 1) * OC + j + 0] = a10; f[outOff + (i + 1) * OC + j + 1] = a11; f[outOff + (i + 1) * OC + j + 2] = a12; f[outOff + (i + 1) * OC + j + 3] = a13;
                f[outOff + (i + 2) * OC + j + 0] = a20; f[outOff + (i + 2) * OC + j + 1] = a21; f[outOff + (i + 2) * OC + j + 2] = a22; f[outOff + (i + 2) * OC + j + 3] = a23;
                f[outOff + (i + 3) * OC + j + 0] = a30; f[outOff + (i + 3) * OC + j + 1] = a31; f[outOff + (i + 3) * OC + j + 2] = a32; f[outOff + (i + 3) * OC + j + 3] = a33;
            }
        }
    }

    /** dinp[r,c] += Σ_o dout[r,o]·weight[o,c] for rows i … i+3 (i = 4·ib) and columns j … j+3 (j = 4·jb). */
    public static void backwardInputBlocked(float[] f,
            int dinpOff,  // (BT, C)
            int doutOff,  // (BT, OC)
            int wOff,     // (OC, C)
            int C, int OC, int accumulate, int BT) {
        for (@Parallel int jb = 0; jb < C / 4; jb++) {
            for (@Parallel int ib = 0; ib < BT / 4; ib++) {
                int j = jb * 4;
                int i = ib * 4;
                float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                for (int k = 0; k < OC; k += 4) {
                    float p00 = f[doutOff + (i + 0) * OC + k + 0]; float p10 = f[doutOff + (i + 1) * OC + k + 0];
                    float p20 = f[doutOff + (i + 2) * OC + k + 0]; float p30 = f[doutOff + (i + 3) * OC + k + 0];
                    float q00 = f[wOff + (k + 0) * C + j + 0]; float q10 = f[wOff + (k + 0) * C + j + 1];
                    float q20 = f[wOff + (k + 0) * C + j + 2]; float q30 = f[wOff + (k + 0) * C + j + 3];
                    float p01 = f[doutOff + (i + 0) * OC + k + 1]; float p11 = f[doutOff + (i + 1) * OC + k + 1];
                    float p21 = f[doutOff + (i + 2) * OC + k + 1]; float p31 = f[doutOff + (i + 3) * OC + k + 1];
                    float q01 = f[wOff + (k + 1) * C + j + 0]; float q11 = f[wOff + (k + 1) * C + j + 1];
                    float q21 = f[wOff + (k + 1) * C + j + 2]; float q31 = f[wOff + (k + 1) * C + j + 3];
                    float p02 = f[doutOff + (i + 0) * OC + k + 2]; float p12 = f[doutOff + (i + 1) * OC + k + 2];
                    float p22 = f[doutOff + (i + 2) * OC + k + 2]; float p32 = f[doutOff + (i + 3) * OC + k + 2];
                    float q02 = f[wOff + (k + 2) * C + j + 0]; float q12 = f[wOff + (k + 2) * C + j + 1];
                    float q22 = f[wOff + (k + 2) * C + j + 2]; float q32 = f[wOff + (k + 2) * C + j + 3];
                    float p03 = f[doutOff + (i + 0) * OC + k + 3]; float p13 = f[doutOff + (i + 1) * OC + k + 3];
                    float p23 = f[doutOff + (i + 2) * OC + k + 3]; float p33 = f[doutOff + (i + 3) * OC + k + 3];
                    float q03 = f[wOff + (k + 3) * C + j + 0]; float q13 = f[wOff + (k + 3) * C + j + 1];
                    float q23 = f[wOff + (k + 3) * C + j + 2]; float q33 = f[wOff + (k + 3) * C + j + 3];
                    a00 += p00 * q00; a01 += p00 * q10; a02 += p00 * q20; a03 += p00 * q30;
                    a10 += p10 * q00; a11 += p10 * q10; a12 += p10 * q20; a13 += p10 * q30;
                    a20 += p20 * q00; a21 += p20 * q10; a22 += p20 * q20; a23 += p20 * q30;
                    a30 += p30 * q00; a31 += p30 * q10; a32 += p30 * q20; a33 += p30 * q30;
                    a00 += p01 * q01; a01 += p01 * q11; a02 += p01 * q21; a03 += p01 * q31;
                    a10 += p11 * q01; a11 += p11 * q11; a12 += p11 * q21; a13 += p11 * q31;
                    a20 += p21 * q01; a21 += p21 * q11; a22 += p21 * q21; a23 += p21 * q31;
                    a30 += p31 * q01; a31 += p31 * q11; a32 += p31 * q21; a33 += p31 * q31;
                    a00 += p02 * q02; a01 += p02 * q12; a02 += p02 * q22; a03 += p02 * q32;
                    a10 += p12 * q02; a11 += p12 * q12; a12 += p12 * q22; a13 += p12 * q32;
                    a20 += p22 * q02; a21 += p22 * q12; a22 += p22 * q22; a23 += p22 * q32;
                    a30 += p32 * q02; a31 += p32 * q12; a32 += p32 * q22; a33 += p32 * q32;
                    a00 += p03 * q03; a01 += p03 * q13; a02 += p03 * q23; a03 += p03 * q33;
                    a10 += p13 * q03; a11 += p13 * q13; a12 += p13 * q23; a13 += p13 * q33;
                    a20 += p23 * q03; a21 += p23 * q13; a22 += p23 * q23; a23 += p23 * q33;
                    a30 += p33 * q03; a31 += p33 * q13; a32 += p33 * q23; a33 += p33 * q33;
                }
                if (accumulate == 0) { // the gradient's first writer: overwrite (see Matmul.backwardInput)
                    f[dinpOff + (i + 0) * C + j + 0] = a00; f[dinpOff + (i + 0) * C + j + 1] = a01; f[dinpOff + (i + 0) * C + j + 2] = a02; f[dinpOff + (i + 0) * C + j + 3] = a03;
                    f[dinpOff + (i + 1) * C + j + 0] = a10; f[dinpOff + (i + 1) * C + j + 1] = a11; f[dinpOff + (i + 1) * C + j + 2] = a12; f[dinpOff + (i + 1) * C + j + 3] = a13;
                    f[dinpOff + (i + 2) * C + j + 0] = a20; f[dinpOff + (i + 2) * C + j + 1] = a21; f[dinpOff + (i + 2) * C + j + 2] = a22; f[dinpOff + (i + 2) * C + j + 3] = a23;
                    f[dinpOff + (i + 3) * C + j + 0] = a30; f[dinpOff + (i + 3) * C + j + 1] = a31; f[dinpOff + (i + 3) * C + j + 2] = a32; f[dinpOff + (i + 3) * C + j + 3] = a33;
                } else {
                    f[dinpOff + (i + 0) * C + j + 0] += a00; f[dinpOff + (i + 0) * C + j + 1] += a01; f[dinpOff + (i + 0) * C + j + 2] += a02; f[dinpOff + (i + 0) * C + j + 3] += a03;
                    f[dinpOff + (i + 1) * C + j + 0] += a10; f[dinpOff + (i + 1) * C + j + 1] += a11; f[dinpOff + (i + 1) * C + j + 2] += a12; f[dinpOff + (i + 1) * C + j + 3] += a13;
                    f[dinpOff + (i + 2) * C + j + 0] += a20; f[dinpOff + (i + 2) * C + j + 1] += a21; f[dinpOff + (i + 2) * C + j + 2] += a22; f[dinpOff + (i + 2) * C + j + 3] += a23;
                    f[dinpOff + (i + 3) * C + j + 0] += a30; f[dinpOff + (i + 3) * C + j + 1] += a31; f[dinpOff + (i + 3) * C + j + 2] += a32; f[dinpOff + (i + 3) * C + j + 3] += a33;
                }
            }
        }
    }

    /** dweight[o,c] += Σ_r dout[r,o]·inp[r,c] for channels i … i+3 (i = 4·ib) and columns j … j+3 (j = 4·jb). */
    public static void backwardWeightBlocked(float[] f,
            int dwOff,    // (OC, C)
            int doutOff,  // (BT, OC)
            int inpOff,   // (BT, C)
            int BT, int C, int OC) {
        for (@Parallel int jb = 0; jb < C / 4; jb++) {
            for (@Parallel int ib = 0; ib < OC / 4; ib++) {
                int j = jb * 4;
                int i = ib * 4;
                float a00 = 0f, a01 = 0f, a02 = 0f, a03 = 0f;
                float a10 = 0f, a11 = 0f, a12 = 0f, a13 = 0f;
                float a20 = 0f, a21 = 0f, a22 = 0f, a23 = 0f;
                float a30 = 0f, a31 = 0f, a32 = 0f, a33 = 0f;
                for (int k = 0; k < BT; k += 4) {
                    float p00 = f[doutOff + (k + 0) * OC + i + 0]; float p10 = f[doutOff + (k + 0) * OC + i + 1];
                    float p20 = f[doutOff + (k + 0) * OC + i + 2]; float p30 = f[doutOff + (k + 0) * OC + i + 3];
                    float q00 = f[inpOff + (k + 0) * C + j + 0]; float q10 = f[inpOff + (k + 0) * C + j + 1];
                    float q20 = f[inpOff + (k + 0) * C + j + 2]; float q30 = f[inpOff + (k + 0) * C + j + 3];
                    float p01 = f[doutOff + (k + 1) * OC + i + 0]; float p11 = f[doutOff + (k + 1) * OC + i + 1];
                    float p21 = f[doutOff + (k + 1) * OC + i + 2]; float p31 = f[doutOff + (k + 1) * OC + i + 3];
                    float q01 = f[inpOff + (k + 1) * C + j + 0]; float q11 = f[inpOff + (k + 1) * C + j + 1];
                    float q21 = f[inpOff + (k + 1) * C + j + 2]; float q31 = f[inpOff + (k + 1) * C + j + 3];
                    float p02 = f[doutOff + (k + 2) * OC + i + 0]; float p12 = f[doutOff + (k + 2) * OC + i + 1];
                    float p22 = f[doutOff + (k + 2) * OC + i + 2]; float p32 = f[doutOff + (k + 2) * OC + i + 3];
                    float q02 = f[inpOff + (k + 2) * C + j + 0]; float q12 = f[inpOff + (k + 2) * C + j + 1];
                    float q22 = f[inpOff + (k + 2) * C + j + 2]; float q32 = f[inpOff + (k + 2) * C + j + 3];
                    float p03 = f[doutOff + (k + 3) * OC + i + 0]; float p13 = f[doutOff + (k + 3) * OC + i + 1];
                    float p23 = f[doutOff + (k + 3) * OC + i + 2]; float p33 = f[doutOff + (k + 3) * OC + i + 3];
                    float q03 = f[inpOff + (k + 3) * C + j + 0]; float q13 = f[inpOff + (k + 3) * C + j + 1];
                    float q23 = f[inpOff + (k + 3) * C + j + 2]; float q33 = f[inpOff + (k + 3) * C + j + 3];
                    a00 += p00 * q00; a01 += p00 * q10; a02 += p00 * q20; a03 += p00 * q30;
                    a10 += p10 * q00; a11 += p10 * q10; a12 += p10 * q20; a13 += p10 * q30;
                    a20 += p20 * q00; a21 += p20 * q10; a22 += p20 * q20; a23 += p20 * q30;
                    a30 += p30 * q00; a31 += p30 * q10; a32 += p30 * q20; a33 += p30 * q30;
                    a00 += p01 * q01; a01 += p01 * q11; a02 += p01 * q21; a03 += p01 * q31;
                    a10 += p11 * q01; a11 += p11 * q11; a12 += p11 * q21; a13 += p11 * q31;
                    a20 += p21 * q01; a21 += p21 * q11; a22 += p21 * q21; a23 += p21 * q31;
                    a30 += p31 * q01; a31 += p31 * q11; a32 += p31 * q21; a33 += p31 * q31;
                    a00 += p02 * q02; a01 += p02 * q12; a02 += p02 * q22; a03 += p02 * q32;
                    a10 += p12 * q02; a11 += p12 * q12; a12 += p12 * q22; a13 += p12 * q32;
                    a20 += p22 * q02; a21 += p22 * q12; a22 += p22 * q22; a23 += p22 * q32;
                    a30 += p32 * q02; a31 += p32 * q12; a32 += p32 * q22; a33 += p32 * q32;
                    a00 += p03 * q03; a01 += p03 * q13; a02 += p03 * q23; a03 += p03 * q33;
                    a10 += p13 * q03; a11 += p13 * q13; a12 += p13 * q23; a13 += p13 * q33;
                    a20 += p23 * q03; a21 += p23 * q13; a22 += p23 * q23; a23 += p23 * q33;
                    a30 += p33 * q03; a31 += p33 * q13; a32 += p33 * q23; a33 += p33 * q33;
                }
                f[dwOff + (i + 0) * C + j + 0] += a00; f[dwOff + (i + 0) * C + j + 1] += a01; f[dwOff + (i + 0) * C + j + 2] += a02; f[dwOff + (i + 0) * C + j + 3] += a03;
                f[dwOff + (i + 1) * C + j + 0] += a10; f[dwOff + (i + 1) * C + j + 1] += a11; f[dwOff + (i + 1) * C + j + 2] += a12; f[dwOff + (i + 1) * C + j + 3] += a13;
                f[dwOff + (i + 2) * C + j + 0] += a20; f[dwOff + (i + 2) * C + j + 1] += a21; f[dwOff + (i + 2) * C + j + 2] += a22; f[dwOff + (i + 2) * C + j + 3] += a23;
                f[dwOff + (i + 3) * C + j + 0] += a30; f[dwOff + (i + 3) * C + j + 1] += a31; f[dwOff + (i + 3) * C + j + 2] += a32; f[dwOff + (i + 3) * C + j + 3] += a33;
            }
        }
    }
}

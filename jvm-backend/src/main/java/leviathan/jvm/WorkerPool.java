package leviathan.jvm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import leviathan.graph.Kernel;

/**
 * A fixed set of threads that run an index range split into fixed contiguous chunks (a few per
 * thread). Threads claim chunks in turn and the caller waits for the chunks, not for the threads,
 * so a thread the OS has descheduled never holds up a stage. Which thread runs a chunk does not
 * change its result: every kernel index owns its outputs, and the fast variants compute each output
 * the same way whatever range they are given, so a run is bit-identical to the next (and, as the
 * tests check, across thread counts). Workers spin briefly between stages (stages come back to
 * back), then park.
 */
public final class WorkerPool implements AutoCloseable {
    private static final int SPIN_LIMIT = 1 << 14;
    /** Chunks per thread: enough to rebalance when a thread is late, few enough to keep overhead low. */
    static final int CHUNKS_PER_THREAD = 4;

    /** One call of {@link #run}: its range, chunking and progress. A late worker holding an old job finds nothing left. */
    private static final class Job {
        final Kernel.RangeBody body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Kernel.RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        /** Claims and runs chunks until none are left; records the first failure. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    body.run(partStart(n, chunks, c), partStart(n, chunks, c + 1));
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;
    /** See {@link #scratch}. */
    private float[] scratch = new float[0];

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int k = 1; k < threads; k++) {
            Thread t = new Thread(this::workLoop, "leviathan-worker-" + k);
            t.setDaemon(true);
            workers[k - 1] = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * A buffer of at least n floats shared by the threads of the caller's next jobs, e.g. an
     * operand packed by one job and read by the next. The pool runs one caller's jobs at a time, so
     * one buffer serves every stage; it grows on first use and is never shrunk.
     */
    float[] scratch(int n) {
        if (scratch.length < n) {
            scratch = new float[n];
        }
        return scratch;
    }

    /** First index of part {@code k} of {@code n} split into {@code parts} near-equal contiguous parts. */
    public static int partStart(int n, int parts, int k) {
        return (int) ((long) n * k / parts);
    }

    /** How many chunks a range of n is split into on a pool of this size. */
    public int chunksFor(int n) {
        return Math.min(n, CHUNKS_PER_THREAD * threads);
    }

    /** Runs body over [0, n), chunk by chunk on all threads; returns when every chunk is done. */
    public void run(int n, Kernel.RangeBody task) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (threads == 1 || n < 2) {
            task.run(0, n);
            return;
        }
        Job j = new Job(task, n, chunksFor(n));
        job = j;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        j.work();
        int spins = 0;
        while (j.done.get() < j.chunks) {
            if (++spins < SPIN_LIMIT) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable t = j.failure;
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    private void workLoop() {
        Job seen = null;
        while (!closed) {
            Job j = job;
            if (j == null || j == seen) {
                int spins = 0;
                while ((j = job) == seen || j == null) {
                    if (closed) {
                        return;
                    }
                    if (++spins < SPIN_LIMIT) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
            }
            seen = j;
            j.work();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}

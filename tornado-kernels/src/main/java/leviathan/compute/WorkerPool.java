package leviathan.compute;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run an index range split into equal contiguous parts, part k on
 * thread k (the caller runs part 0). The split depends only on the range and the thread count,
 * so a run is bit-identical to the next with the same thread count. Workers spin briefly between
 * stages (stages come back to back), then park.
 */
public final class WorkerPool implements AutoCloseable {
    private static final int SPIN_LIMIT = 1 << 14;

    private final int threads;
    private final Thread[] workers;
    private final Thread[] waiting;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Kernel.RangeBody body;
    private volatile int extent;
    private volatile Throwable failure;
    private volatile boolean closed;
    private volatile Thread caller;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.waiting = workers;
        for (int k = 1; k < threads; k++) {
            final int part = k;
            Thread t = new Thread(() -> workLoop(part), "leviathan-worker-" + k);
            t.setDaemon(true);
            workers[k - 1] = t;
            t.start();
        }
    }

    public int threads() {
        return threads;
    }

    /** First index of part {@code k} of {@code n} split into {@code parts}. */
    public static int partStart(int n, int parts, int k) {
        return (int) ((long) n * k / parts);
    }

    /** Runs body over [0, n), split into {@link #threads()} parts; returns when all are done. */
    public void run(int n, Kernel.RangeBody task) {
        if (threads == 1 || n < 2) {
            task.run(0, n);
            return;
        }
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        body = task;
        extent = n;
        failure = null;
        caller = Thread.currentThread();
        pending.set(threads - 1);
        generation.incrementAndGet();
        for (Thread w : waiting) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            task.run(0, partStart(n, threads, 1));
        } catch (Throwable t) {
            own = t;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPIN_LIMIT) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
        body = null;
        Throwable t = own != null ? own : failure;
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

    private void workLoop(int part) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation.get()) == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPIN_LIMIT) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = g;
            if (closed) {
                return;
            }
            int n = extent;
            Kernel.RangeBody task = body;
            try {
                task.run(partStart(n, threads, part), partStart(n, threads, part + 1));
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
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

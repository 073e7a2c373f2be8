package leviathan.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/**
 * {@link WorkerPool}: a range is split into {@code threads} contiguous parts that cover [0, n)
 * exactly once, chunk k being [partStart(k), partStart(k+1)) of chunksFor(n) chunks, sizes within one
 * of each other; exceptions thrown in any part (a worker's or the caller's) reach the caller, and
 * the pool keeps working afterwards.
 */
class WorkerPoolTest {
    static final int[] THREADS = {1, 2, 3, 4, 7};
    static final int[] SIZES = {0, 1, 2, 3, 5, 6, 7, 8, 16, 33, 100, 1001};

    record Part(int from, int to, Thread thread) {}

    @Test
    void partitionsAreContiguousAndCoverEachIndexOnce() {
        for (int threads : THREADS) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int n : SIZES) {
                    for (int repeat = 0; repeat < 3; repeat++) {
                        checkPartition(pool, threads, n);
                    }
                }
            }
        }
    }

    private static void checkPartition(WorkerPool pool, int threads, int n) {
        List<Part> parts = Collections.synchronizedList(new ArrayList<>());
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
        pool.run(n, (from, to) -> {
            parts.add(new Part(from, to, Thread.currentThread()));
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        String where = "threads=" + threads + " n=" + n;
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), where + ": index " + i + " run count");
        }
        List<Part> sorted = new ArrayList<>(parts);
        sorted.sort(Comparator.comparingInt(Part::from).thenComparingInt(Part::to));
        assertEquals(0, sorted.get(0).from(), where + ": first part starts at 0");
        assertEquals(n, sorted.get(sorted.size() - 1).to(), where + ": last part ends at n");
        for (int k = 0; k < sorted.size(); k++) {
            assertTrue(sorted.get(k).from() <= sorted.get(k).to(), where + ": part " + k + " is a range");
            if (k > 0) {
                assertEquals(sorted.get(k - 1).to(), sorted.get(k).from(), where + ": parts " + (k - 1) + " and " + k + " are contiguous");
            }
        }
        if (threads > 1 && n >= 2) {
            int chunks = pool.chunksFor(n);
            assertEquals(chunks, parts.size(), where + ": one call per chunk");
            for (int k = 0; k < chunks; k++) {
                int from = WorkerPool.partStart(n, chunks, k), to = WorkerPool.partStart(n, chunks, k + 1);
                assertTrue(to - from == n / chunks || to - from == n / chunks + 1, where + ": chunk " + k + " is balanced");
                assertTrue(parts.stream().anyMatch(p -> p.from() == from && p.to() == to), where + ": chunk " + k + " is [" + from + ", " + to + ")");
            }
        } else {
            assertEquals(1, parts.size(), where + ": runs inline as one part");
        }
    }

    /** Chunks are claimed, not assigned: a stalled thread's share is taken over by the others. */
    @Test
    void aStalledThreadDoesNotHoldUpTheOthers() {
        try (WorkerPool pool = new WorkerPool(2)) {
            java.util.concurrent.atomic.AtomicInteger callerChunks = new java.util.concurrent.atomic.AtomicInteger();
            Thread callerThread = Thread.currentThread();
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
            pool.run(8, (from, to) -> {
                if (Thread.currentThread() == callerThread) {
                    callerChunks.incrementAndGet();
                    if (callerChunks.get() == 7) {
                        release.countDown();
                    }
                } else if (stalled.compareAndSet(false, true)) {
                    try {
                        // The worker's first chunk waits until the caller has run all the others.
                        release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            assertTrue(callerChunks.get() >= 7 || !stalled.get(), "the caller took over the stalled worker's chunks: ran " + callerChunks.get());
        }
    }

    @Test
    void exceptionInAWorkerReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException boom = new IllegalStateException("boom in the last part");
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> pool.run(30, (from, to) -> {
                if (to == 30) {
                    assertTrue(from > 0);
                    throw boom;
                }
            }));
            assertSame(boom, thrown, "the worker's exception itself is rethrown");
            // The pool survives and still covers the range.
            checkPartition(pool, 3, 30);
        }
    }

    @Test
    void errorInAWorkerReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AssertionError err = new AssertionError("worker error");
            Error thrown = assertThrows(AssertionError.class, () -> pool.run(10, (from, to) -> {
                if (from > 0) {
                    throw err;
                }
            }));
            assertSame(err, thrown);
            checkPartition(pool, 2, 10);
        }
    }

    @Test
    void exceptionInTheCallersPartReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(4)) {
            ArithmeticException boom = new ArithmeticException("boom in part 0");
            assertSame(boom, assertThrows(ArithmeticException.class, () -> pool.run(40, (from, to) -> {
                if (from == 0) {
                    throw boom;
                }
            })));
            checkPartition(pool, 4, 40);
        }
    }

    @Test
    void exceptionInASingleThreadPoolReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(1)) {
            assertThrows(IndexOutOfBoundsException.class, () -> pool.run(5, (from, to) -> {
                throw new IndexOutOfBoundsException("inline");
            }));
        }
    }

    @Test
    void invalidThreadCountAndClosedPoolAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.run(10, (from, to) -> {}));
    }

    @Test
    void partStartIsMonotoneAndExact() {
        for (int parts = 1; parts <= 9; parts++) {
            for (int n : SIZES) {
                assertEquals(0, WorkerPool.partStart(n, parts, 0));
                assertEquals(n, WorkerPool.partStart(n, parts, parts));
                for (int k = 0; k < parts; k++) {
                    assertTrue(WorkerPool.partStart(n, parts, k) <= WorkerPool.partStart(n, parts, k + 1));
                }
            }
        }
        // No int overflow for large n.
        assertEquals(Integer.MAX_VALUE / 2, WorkerPool.partStart(Integer.MAX_VALUE - 1, 2, 1));
    }
}

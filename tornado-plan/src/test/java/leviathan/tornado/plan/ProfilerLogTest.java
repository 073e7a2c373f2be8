package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * {@link ProfilerLog} on a log TornadoVM 5.2 really wrote (OpenCL on PoCL, the kernels graph of the
 * profiler test in tornado-backend): three executions of plan {@code leviathan_p0}'s segment, twelve
 * tasks each, where the last execution's kernel time of each task counts.
 */
class ProfilerLogTest {
    static String recorded() throws IOException {
        try (InputStream in = ProfilerLogTest.class.getResourceAsStream("profiler-log-pocl.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void eachTaskGetsTheKernelTimeOfItsLastExecution() throws IOException {
        Map<Integer, Long> nanos = new ProfilerLog("leviathan_p0").kernelNanos(recorded());
        assertEquals(Map.ofEntries(Map.entry(0, 10820L), Map.entry(1, 10851L), Map.entry(2, 6833L), Map.entry(3, 8706L),
                Map.entry(4, 13876L), Map.entry(5, 7994L), Map.entry(6, 35677L), Map.entry(7, 36509L), Map.entry(8, 37491L),
                Map.entry(9, 31289L), Map.entry(10, 4098L), Map.entry(11, 25468L)), nanos);
    }

    @Test
    void anotherPlansTasksAndNoLogGiveNothing() throws IOException {
        assertTrue(new ProfilerLog("leviathan_p1").kernelNanos(recorded()).isEmpty(), "plan names are matched whole");
        assertTrue(new ProfilerLog("leviathan_p").kernelNanos(recorded()).isEmpty(), "a prefix of the plan name is not the plan");
        assertTrue(new ProfilerLog("leviathan_p0").kernelNanos(null).isEmpty());
    }
}

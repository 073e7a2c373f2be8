package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The CLI in a child JVM, for what needs a real process: signals, kills, locks held by another process. */
final class ChildCli {
    private ChildCli() {}

    /** Starts {@code leviathan ARGS} with extra environment variables; stdout and stderr go to {@code log}. */
    static Process start(Path log, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Sends a signal (e.g. "HUP") to a process. */
    static void signal(Process p, String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start().waitFor();
    }

    /** Waits until {@code file} has at least {@code lines} lines (or the process ends); false on timeout. */
    static boolean awaitLines(Process p, Path file, int lines, long timeoutMs) throws IOException, InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end && p.isAlive()) {
            if (Files.exists(file) && Files.readAllLines(file).size() >= lines) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** The tiny model and training options of the fault tests, with a checkpoint at every step. */
    static List<String> tinyRun(Path data, Path out, int steps) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(Arrays.asList(CliRunner.TINY));
        a.addAll(List.of("--data=" + data, "--out=" + out, "--steps=" + steps, "--checkpoint_interval=1", "--eval_interval=0",
                "--log_interval=1"));
        return a;
    }
}

package leviathan.trainer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;

import leviathan.model.AtomicFiles;

/**
 * A text corpus: read strictly as UTF-8, tokenised, split 90/10 into train and validation (SPEC 3).
 * The default corpus {@code tinyshakespeare} is looked for at data/tinyshakespeare.txt, then
 * ../shared/data/tinyshakespeare.txt, then the user cache, and otherwise downloaded; its SHA-256
 * is checked either way.
 */
public final class Corpus {
    public static final String DEFAULT_NAME = "tinyshakespeare";
    public static final String TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed";
    public static final String TINY_SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt";

    public final Path path;
    public final String text;

    private Corpus(Path path, String text) {
        this.path = path;
        this.text = text;
    }

    /** Resolves "tinyshakespeare" (or null) to the default corpus, anything else to a file path. */
    public static Corpus load(String nameOrPath) throws IOException {
        if (nameOrPath == null || nameOrPath.equals(DEFAULT_NAME)) {
            return read(locateTinyShakespeare(), TINY_SHAKESPEARE_SHA256);
        }
        return read(Paths.get(nameOrPath), null);
    }

    public static Corpus read(Path path, String expectedSha256) throws IOException {
        if (!Files.exists(path)) {
            throw new DataException("data file " + path + " does not exist");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new DataException("data file " + path + " is not a readable file");
        }
        byte[] bytes = Files.readAllBytes(path);
        if (bytes.length == 0) {
            throw new DataException("data file " + path + " is empty");
        }
        if (expectedSha256 != null) {
            String sha = sha256(bytes);
            if (!sha.equals(expectedSha256)) {
                throw new DataException("data file " + path + " has SHA-256 " + sha + ", expected " + expectedSha256
                        + " (a different or damaged copy of " + DEFAULT_NAME + ")");
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DataException("data file " + path + " is not valid UTF-8 text");
        }
        return new Corpus(path, text);
    }

    static Path locateTinyShakespeare() throws IOException {
        String file = DEFAULT_NAME + ".txt";
        for (Path p : List.of(Paths.get("data", file), Paths.get("..", "shared", "data", file), cacheDir().resolve(file))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        Path target = cacheDir().resolve(file);
        System.err.println("downloading " + DEFAULT_NAME + " from " + TINY_SHAKESPEARE_URL + " to " + target);
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create(TINY_SHAKESPEARE_URL))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                throw new DataException("could not download " + DEFAULT_NAME + ": HTTP " + r.statusCode()
                        + "; put the file at data/" + file + " or pass --data FILE");
            }
            byte[] bytes;
            try (InputStream in = r.body()) {
                bytes = in.readAllBytes();
            }
            String sha = sha256(bytes);
            if (!sha.equals(TINY_SHAKESPEARE_SHA256)) {
                throw new DataException("downloaded " + DEFAULT_NAME + " has SHA-256 " + sha + ", expected " + TINY_SHAKESPEARE_SHA256);
            }
            AtomicFiles.write(target, ch -> {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            });
            return target;
        } catch (IOException e) {
            if (e instanceof DataException) {
                throw e;
            }
            throw new DataException("could not download " + DEFAULT_NAME + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); put the file at data/" + file + " or pass --data FILE");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException("download of " + DEFAULT_NAME + " was interrupted");
        }
    }

    /** $LEVIATHAN_CACHE, else $XDG_CACHE_HOME/leviathan, else ~/.cache/leviathan. */
    static Path cacheDir() {
        String env = System.getenv("LEVIATHAN_CACHE");
        if (env != null && !env.isEmpty()) {
            return Paths.get(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) {
            return Paths.get(xdg, "leviathan");
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "leviathan");
    }

    public static String sha256(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bad input data: the message is meant for the user as it is. */
    public static final class DataException extends IOException {
        public DataException(String message) {
            super(message);
        }
    }
}

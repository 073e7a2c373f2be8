package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import leviathan.graph.IntSlice;
import leviathan.model.Rng;

/** Character tokenizer, corpus reading and the 90/10 split with random windows (SPEC 3). */
class TokenizerTest {
    @TempDir
    Path tmp;

    @Test
    void vocabularyIsTheSortedSetOfCharacters() {
        Tokenizer t = Tokenizer.fromText("hello, world!\nhello");
        assertEquals(List.of("\n", " ", "!", ",", "d", "e", "h", "l", "o", "r", "w"), t.vocab());
        assertEquals(11, t.size());
    }

    @Test
    void charactersOutsideTheBasicPlaneAreOneToken() {
        String text = "a\uD83D\uDE00b\u00e9a";
        Tokenizer t = Tokenizer.fromText(text);
        // Sorted by code point: a (61), b (62), é (E9), 😀 (1F600).
        assertEquals(List.of("a", "b", "\u00e9", "\uD83D\uDE00"), t.vocab());
        assertArrayEquals(new int[] {0, 3, 1, 2, 0}, t.encode(text));
    }

    @Test
    void encodeDecodeRoundTrip() {
        String text = Fixtures.text(500) + "Ünïcödé \uD83D\uDE00 ~\t\"\\";
        Tokenizer t = Tokenizer.fromText(text);
        int[] ids = t.encode(text);
        assertEquals(text.codePointCount(0, text.length()), ids.length);
        assertEquals(text, t.decode(ids, 0, ids.length));
        for (int i = 0; i < t.size(); i++) {
            assertEquals(i, t.encode(t.decode(i))[0]);
        }
        // A vocabulary saved and restored (as in checkpoints) gives the same ids.
        assertArrayEquals(ids, new Tokenizer(t.vocab()).encode(text));
    }

    @Test
    void unknownCharacterIsNamed() {
        Tokenizer t = Tokenizer.fromText("abc");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encode("abz"));
        assertTrue(e.getMessage().contains("'z'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Tokenizer(List.of("a", "bc")));
    }

    @Test
    void splitIsNinetyTen() {
        int[] tokens = new int[1000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        Dataset d = new Dataset(tokens);
        assertEquals(900, d.train.length);
        assertEquals(100, d.val.length);
        assertEquals(0, d.train[0]);
        assertEquals(899, d.train[899]);
        assertEquals(900, d.val[0]);
        assertEquals(999, d.val[99]);
        // nanoGPT: n = int(0.9 * len) for any length.
        Dataset odd = new Dataset(new int[1115394]);
        assertEquals(1003854, odd.train.length);
        assertEquals(111540, odd.val.length);
        assertTrue(d.split("train") == d.train && d.split("val") == d.val);
        assertThrows(IllegalArgumentException.class, () -> d.split("test"));
    }

    @Test
    void batchesAreConsecutiveWindowsWithTargetsShiftedByOne() {
        int N = 20, B = 3, T = 5;
        int[] data = new int[N];
        for (int i = 0; i < N; i++) {
            data[i] = 100 + i;
        }
        IntSlice tokens = IntSlice.of("tokens", B * T), targets = IntSlice.of("targets", B * T);
        Rng rng = new Rng(5);
        int minStart = Integer.MAX_VALUE, maxStart = -1;
        for (int draw = 0; draw < 500; draw++) {
            Dataset.sampleBatch(data, B, T, rng, tokens, targets);
            for (int b = 0; b < B; b++) {
                int s = tokens.get(b * T) - 100;
                minStart = Math.min(minStart, s);
                maxStart = Math.max(maxStart, s);
                for (int t = 0; t < T; t++) {
                    assertEquals(data[s + t], tokens.get(b * T + t));
                    assertEquals(data[s + t + 1], targets.get(b * T + t));
                }
            }
        }
        // Every window start from 0 to N − T − 1 is possible, and none beyond.
        assertEquals(0, minStart);
        assertEquals(N - T - 1, maxStart);
    }

    @Test
    void sameSeedSameBatches() {
        int[] data = new int[200];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        IntSlice a = IntSlice.of("a", 16), at = IntSlice.of("at", 16), b = IntSlice.of("b", 16), bt = IntSlice.of("bt", 16);
        Dataset.sampleBatch(data, 2, 8, new Rng(9), a, at);
        Dataset.sampleBatch(data, 2, 8, new Rng(9), b, bt);
        assertArrayEquals(a.toArray(), b.toArray());
        assertArrayEquals(at.toArray(), bt.toArray());
    }

    @Test
    void requireWindowsChecksBothSplits() {
        Dataset d = new Dataset(new int[100]); // 90 / 10
        d.requireWindows(9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.requireWindows(10));
        assertTrue(e.getMessage().contains("context 10"), e.getMessage());
    }

    @Test
    void corpusReadsUtf8AndChecksTheHash() throws Exception {
        Path f = tmp.resolve("t.txt");
        String text = "To be, or not to be — that is the question.\n";
        Files.writeString(f, text, StandardCharsets.UTF_8);
        assertEquals(text, Corpus.load(f.toString()).text);
        String sha = Corpus.sha256(Files.readAllBytes(f));
        assertEquals(text, Corpus.read(f, sha).text);
        Corpus.DataException e = assertThrows(Corpus.DataException.class, () -> Corpus.read(f, "0".repeat(64)));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Corpus.sha256(new byte[0]));
    }

    @Test
    void corpusRejectsMissingEmptyAndNonUtf8() throws Exception {
        Path missing = tmp.resolve("nope.txt");
        assertTrue(assertThrows(Corpus.DataException.class, () -> Corpus.load(missing.toString())).getMessage().contains("does not exist"));
        Path empty = tmp.resolve("empty.txt");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(Corpus.DataException.class, () -> Corpus.load(empty.toString())).getMessage().contains("empty"));
        Path latin1 = tmp.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertTrue(assertThrows(Corpus.DataException.class, () -> Corpus.load(latin1.toString())).getMessage().contains("UTF-8"));
        assertTrue(assertThrows(Corpus.DataException.class, () -> Corpus.load(tmp.toString())).getMessage().contains("not a readable file"));
    }

    @Test
    void sharedTinyShakespeareHasTheExpectedHashWhenPresent() throws Exception {
        Path p = Path.of("..", "..", "shared", "data", "tinyshakespeare.txt");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(p), "no shared copy of tiny Shakespeare");
        Corpus c = Corpus.read(p, Corpus.TINY_SHAKESPEARE_SHA256);
        assertEquals(1115394, c.text.length());
        assertEquals(65, Tokenizer.fromText(c.text).size());
    }
}

package leviathan.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/**
 * safetensors files (SPEC 4): an 8-byte little-endian header length, a JSON header, raw
 * little-endian float32 data. Written atomically (temporary file, fsync, rename); read with
 * every offset and size checked, so a truncated or foreign file gets one clear message.
 */
public final class Safetensors {
    private Safetensors() {}

    private static final long MAX_HEADER = 100L << 20;

    /** A float32 tensor: its shape and row-major data. */
    public static final class Tensor {
        public final int[] shape;
        public final float[] data;

        public Tensor(int[] shape, float[] data) {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("tensor shape " + java.util.Arrays.toString(shape) + " does not match " + data.length + " values");
            }
            this.shape = shape.clone();
            this.data = data;
        }
    }

    /** The contents of a file: its metadata and its tensors in file order. */
    public static final class Contents {
        public final Map<String, String> metadata;
        public final Map<String, Tensor> tensors;

        Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {
            this.metadata = metadata;
            this.tensors = tensors;
        }
    }

    /** Thrown for a file that is not a readable safetensors file; the message says why. */
    public static final class FormatException extends IOException {
        public FormatException(String message) {
            super(message);
        }
    }

    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        metadata.forEach(meta::addProperty);
        header.add("__metadata__", meta);
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (int d : e.getValue().shape) {
                shape.add(d);
            }
            t.add("shape", shape);
            long bytes = (long) e.getValue().data.length * Float.BYTES;
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offs.add(offset + bytes);
            t.add("data_offsets", offs);
            header.add(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded);
        head.put(json);
        while (head.position() < head.capacity()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(path, ch -> {
            writeFully(ch, head);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                for (float f : t.data) {
                    if (!buf.hasRemaining()) {
                        buf.flip();
                        writeFully(ch, buf);
                        buf.clear();
                    }
                    buf.putFloat(f);
                }
            }
            buf.flip();
            writeFully(ch, buf);
        });
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    public static Contents read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new FormatException("checkpoint " + path + " does not exist");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new FormatException(path + " is not a safetensors file (only " + size + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new FormatException(path + " is not a safetensors file (header length " + headerLen + " does not fit a file of " + size + " bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonObject header;
            try {
                JsonElement el = JsonParser.parseString(new String(hb.array(), StandardCharsets.UTF_8));
                if (!el.isJsonObject()) {
                    throw new FormatException(path + " is not a safetensors file (header is not a JSON object)");
                }
                header = el.getAsJsonObject();
            } catch (JsonParseException e) {
                throw new FormatException(path + " is not a safetensors file (header is not valid JSON)");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    if (e.getValue().isJsonObject()) {
                        for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                            metadata.put(m.getKey(), m.getValue().isJsonPrimitive() ? m.getValue().getAsString() : m.getValue().toString());
                        }
                    }
                    continue;
                }
                tensors.put(e.getKey(), readTensor(path, ch, e.getKey(), e.getValue(), dataStart, dataLen));
            }
            return new Contents(metadata, tensors);
        }
    }

    private static Tensor readTensor(Path path, FileChannel ch, String name, JsonElement el, long dataStart, long dataLen) throws IOException {
        try {
            JsonObject t = el.getAsJsonObject();
            String dtype = t.get("dtype").getAsString();
            if (!dtype.equals("F32")) {
                throw new FormatException(path + ": tensor " + name + " has dtype " + dtype + "; only F32 is supported");
            }
            JsonArray shapeJson = t.getAsJsonArray("shape");
            int[] shape = new int[shapeJson.size()];
            long n = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsInt();
                if (shape[i] < 0) {
                    throw new FormatException(path + ": tensor " + name + " has a negative dimension");
                }
                n *= shape[i];
            }
            JsonArray offs = t.getAsJsonArray("data_offsets");
            long begin = offs.get(0).getAsLong();
            long end = offs.get(1).getAsLong();
            if (begin < 0 || end < begin || end > dataLen) {
                throw new FormatException(path + ": tensor " + name + " lies outside the file (truncated?): bytes "
                        + begin + ".." + end + " of " + dataLen);
            }
            if (end - begin != n * Float.BYTES || n > Integer.MAX_VALUE) {
                throw new FormatException(path + ": tensor " + name + " has " + (end - begin) + " bytes for shape " + java.util.Arrays.toString(shape));
            }
            ByteBuffer buf = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, buf, dataStart + begin);
            buf.flip();
            float[] data = new float[(int) n];
            buf.asFloatBuffer().get(data);
            return new Tensor(shape, data);
        } catch (IllegalStateException | NullPointerException | UnsupportedOperationException | IndexOutOfBoundsException e) {
            throw new FormatException(path + ": tensor " + name + " has a malformed header entry");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new FormatException("unexpected end of file (truncated checkpoint?)");
            }
        }
    }

    /** Names of tensors in a file, for messages. */
    public static String names(List<String> names) {
        return names.size() <= 6 ? String.join(", ", names) : String.join(", ", names.subList(0, 6)) + ", …";
    }
}

package dev.keyline.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * An OTLP/HTTP trace receiver on a loopback port, as a collector would be: it accepts
 * {@code POST /v1/traces} (protobuf {@code ExportTraceServiceRequest}, uncompressed) and decodes
 * the few span fields tests look at, with a small wire-format reader of its own (the generated
 * OTLP classes would pull in a second protobuf runtime).
 */
public final class OtlpReceiver implements AutoCloseable {
    /** One exported span. Ids are lower-case hex; {@code parentSpanId} is empty for a root span. */
    public record ExportedSpan(String service, String traceId, String spanId, String parentSpanId, String name, int kind) {
        /** OTLP's SPAN_KIND_SERVER. */
        public static final int SERVER = 2;
    }

    private final HttpServer server;
    private final List<ExportedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<String> rejected = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            OtlpReceiver receiver = new OtlpReceiver(server);
            server.createContext("/v1/traces", exchange -> {
                try (InputStream in = exchange.getRequestBody()) {
                    byte[] body = in.readAllBytes();
                    int status = 200;
                    try {
                        receiver.spans.addAll(decodeRequest(body));
                    } catch (RuntimeException e) {
                        receiver.rejected.add(e.toString() + " (content-encoding " + exchange.getRequestHeaders().getFirst("content-encoding")
                                + ", " + body.length + " bytes)");
                        status = 400;
                    }
                    exchange.getResponseHeaders().add("content-type", "application/x-protobuf");
                    exchange.sendResponseHeaders(status, -1);
                } finally {
                    exchange.close();
                }
            });
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL exporters are given ({@code http://127.0.0.1:port}). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Why requests were refused (400), if any were: a decoding problem, to show in a failed assertion. */
    public List<String> rejected() {
        return List.copyOf(rejected);
    }

    public List<ExportedSpan> spans() {
        return List.copyOf(spans);
    }

    /** Waits (polling, bounded by {@code limit}) until the spans received satisfy {@code done}; returns them either way. */
    public List<ExportedSpan> await(Predicate<List<ExportedSpan>> done, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.test(spans()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return spans();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static List<ExportedSpan> decodeRequest(byte[] body) {
        List<ExportedSpan> out = new ArrayList<>();
        for (Reader resourceSpans : new Reader(body).messages(1)) {
            String service = "";
            for (Reader resource : resourceSpans.copy().messages(1)) {
                for (Reader kv : resource.messages(1)) {
                    String key = kv.copy().string(1);
                    if (key.equals("service.name")) {
                        for (Reader value : kv.copy().messages(2)) {
                            service = value.string(1);
                        }
                    }
                }
            }
            for (Reader scopeSpans : resourceSpans.copy().messages(2)) {
                for (Reader span : scopeSpans.messages(2)) {
                    out.add(new ExportedSpan(service, span.copy().hex(1), span.copy().hex(2), span.copy().hex(4), span.copy().string(5),
                            (int) span.copy().varint(6)));
                }
            }
        }
        return out;
    }

    /** A protobuf wire-format reader over one message's bytes. */
    private static final class Reader {
        private final byte[] b;
        private final int start;
        private final int end;
        private int pos;

        Reader(byte[] b) {
            this(b, 0, b.length);
        }

        Reader(byte[] b, int start, int end) {
            this.b = b;
            this.start = start;
            this.end = end;
            this.pos = start;
        }

        Reader copy() {
            return new Reader(b, start, end);
        }

        /** Every length-delimited field {@code field} as a message. */
        List<Reader> messages(int field) {
            List<Reader> out = new ArrayList<>();
            pos = start;
            while (pos < end) {
                long tag = readVarint();
                int f = (int) (tag >>> 3);
                int type = (int) (tag & 7);
                if (type == 2) {
                    int len = (int) readVarint();
                    if (len < 0 || pos + len > end) {
                        throw new IllegalArgumentException("truncated field");
                    }
                    if (f == field) {
                        out.add(new Reader(b, pos, pos + len));
                    }
                    pos += len;
                } else {
                    skip(type);
                }
            }
            return out;
        }

        String string(int field) {
            List<Reader> m = messages(field);
            return m.isEmpty() ? "" : new String(b, m.get(0).start, m.get(0).end - m.get(0).start, StandardCharsets.UTF_8);
        }

        String hex(int field) {
            List<Reader> m = messages(field);
            return m.isEmpty() ? "" : HexFormat.of().formatHex(b, m.get(0).start, m.get(0).end);
        }

        long varint(int field) {
            pos = start;
            while (pos < end) {
                long tag = readVarint();
                int type = (int) (tag & 7);
                if ((int) (tag >>> 3) == field && type == 0) {
                    return readVarint();
                }
                if (type == 2) {
                    int len = (int) readVarint();
                    pos += len;
                } else {
                    skip(type);
                }
            }
            return 0;
        }

        private void skip(int type) {
            switch (type) {
                case 0 -> readVarint();
                case 1 -> pos += 8;
                case 5 -> pos += 4;
                default -> throw new IllegalArgumentException("unsupported wire type " + type);
            }
        }

        private long readVarint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("truncated varint");
                }
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("varint too long");
        }
    }
}

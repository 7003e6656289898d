package dev.keyline.platform.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Where a command's results and errors go: text or one JSON document on out, one-line errors on err. */
final class Printer {
    static final ObjectMapper JSON = new ObjectMapper();

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;

    Printer(PrintWriter out, PrintWriter err, boolean json) {
        this.out = out;
        this.err = err;
        this.json = json;
    }

    /** Whether the user asked for {@code --json}. */
    boolean json() {
        return json;
    }

    void line(String text) {
        out.println(text);
        out.flush();
    }

    /** Writes {@code value} (maps, lists, strings, numbers, booleans) as one line of JSON. */
    void json(Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        out.flush();
    }

    /** Left-aligned columns, two spaces apart, upper-case headers. */
    void table(List<String> headers, List<List<String>> rows) {
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                String cell = row.get(i);
                sb.append(cell);
                if (i < widths.length - 1) {
                    sb.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            out.println(sb.toString().stripTrailing());
        }
        out.flush();
    }

    /** {@code name  value} lines with the values aligned. */
    void fields(List<String[]> pairs) {
        int width = 0;
        for (String[] p : pairs) {
            width = Math.max(width, p[0].length());
        }
        for (String[] p : pairs) {
            out.println(p[0] + " ".repeat(width - p[0].length() + 2) + p[1]);
        }
        out.flush();
    }

    void error(String message) {
        err.println("error: " + message);
        err.flush();
    }

    void note(String message) {
        err.println(message);
        err.flush();
    }
}

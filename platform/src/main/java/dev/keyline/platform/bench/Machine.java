package dev.keyline.platform.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a reader needs to judge the figures: cores, CPU, JVM, heap and GC, and the load average
 * (the machine is shared). Reads Linux's {@code /proc}; elsewhere the figures are unknown ({@code -}, NaN).
 */
final class Machine {
    private Machine() {
    }

    /** VmRSS of this process in MB (Linux {@code /proc/self/status}), or NaN when it cannot be read. */
    static double rssMegabytes() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** The 1, 5 and 15 minute load averages, as {@code /proc/loadavg} gives them, or {@code -}. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "-";
        }
    }

    static long maxHeapMegabytes() {
        return Runtime.getRuntime().maxMemory() / (1024 * 1024);
    }

    static String gcName() {
        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        return gcs.stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", "));
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("-");
        } catch (IOException e) {
            return "-";
        }
    }

    /** A one-line description for the table's heading. */
    static String summary() {
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpuModel() + "), Java " + Runtime.version() + ", max heap "
                + maxHeapMegabytes() + " MB, " + gcName();
    }

    static Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", cpuModel());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", Runtime.version().toString());
        m.put("max_heap_mb", maxHeapMegabytes());
        m.put("gc", gcName());
        return m;
    }
}

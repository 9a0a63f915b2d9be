package io.moemesh.bench.soak;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Heap, threads and resident memory of the cluster's processes. Resident set and OS threads come
 * from {@code /proc/<pid>/status}; heap, JVM threads and collections from each JVM's platform
 * MXBeans, through the JDK's local management agent (started in the target by the attach API, as
 * {@code jcmd ManagementAgent.start_local} would: it adds a few RMI threads to each target, once,
 * before the baseline). Reads are cheap, so every process is sampled every period; a process that
 * cannot be attached is still sampled from {@code /proc}.
 */
final class ProcessSampler implements AutoCloseable {

    /** One process of the cluster, as {@code .moe/cluster.json} lists it. */
    record Target(String name, String role, long pid) {
    }

    /** One sample; -1 where a value could not be read. */
    record Sample(Target target, boolean alive, long rssKb, int osThreads, int jvmThreads, long heapUsed,
            long heapCommitted, long gcCount) {
    }

    private record Jvm(JMXConnector connector, MemoryMXBean memory, ThreadMXBean threads,
            List<GarbageCollectorMXBean> collectors) {
    }

    static {
        // a JMX read of a wedged process must not hang the sampler
        System.setProperty("sun.rmi.transport.tcp.responseTimeout", "10000");
        System.setProperty("sun.rmi.transport.connectionTimeout", "5000");
    }

    private final List<Target> targets;
    private final Map<Target, Jvm> jvms = new LinkedHashMap<>();

    private ProcessSampler(List<Target> targets) {
        this.targets = targets;
    }

    static ProcessSampler attach(List<Target> targets) {
        ProcessSampler sampler = new ProcessSampler(targets);
        for (Target t : targets) {
            try {
                sampler.jvms.put(t, connect(t.pid()));
            } catch (Exception e) {
                System.err.println("soak: cannot attach to " + t + " (" + e + "); sampling it from /proc only");
            }
        }
        return sampler;
    }

    List<Target> targets() {
        return targets;
    }

    List<Sample> sample() {
        List<Sample> samples = new ArrayList<>();
        for (Target t : targets) {
            samples.add(sample(t));
        }
        return samples;
    }

    /** A full collection in every process (System.gc: SerialGC collects the whole heap), then a sample. */
    List<Sample> sampleAfterGc() {
        jvms.values().forEach(jvm -> {
            try {
                jvm.memory().gc();
            } catch (RuntimeException e) {
                System.err.println("soak: gc failed: " + e);
            }
        });
        return sample();
    }

    private Sample sample(Target t) {
        Map<String, String> status = procStatus(t.pid());
        boolean alive = !status.isEmpty() && !status.getOrDefault("State", "").startsWith("Z");
        long rss = alive ? kb(status.get("VmRSS")) : -1;
        int osThreads = alive ? Integer.parseInt(status.getOrDefault("Threads", "-1").strip()) : -1;
        Jvm jvm = jvms.get(t);
        if (!alive || jvm == null) {
            return new Sample(t, alive, rss, osThreads, -1, -1, -1, -1);
        }
        try {
            var heap = jvm.memory().getHeapMemoryUsage();
            long gcs = jvm.collectors().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
            return new Sample(t, true, rss, osThreads, jvm.threads().getThreadCount(), heap.getUsed(),
                    heap.getCommitted(), gcs);
        } catch (RuntimeException e) {
            return new Sample(t, true, rss, osThreads, -1, -1, -1, -1);
        }
    }

    /**
     * The first {@code lines} lines of a JVM's class histogram ({@code jcmd PID GC.class_histogram},
     * which collects the whole heap first): where the heap that survives a full collection is, by class.
     */
    static String histogram(long pid, int lines) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                    .redirectErrorStream(true).start();
            List<String> out = new ArrayList<>();
            try (var reader = p.inputReader()) {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (out.size() < lines) {
                        out.add(line);
                    }
                }
            }
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return String.join("\n", out) + "\n";
        } catch (IOException e) {
            return "jcmd could not run: " + e + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        }
    }

    private static Jvm connect(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
        MBeanServerConnection server = connector.getMBeanServerConnection();
        return new Jvm(connector,
                ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class),
                ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class),
                ManagementFactory.getPlatformMXBeans(server, GarbageCollectorMXBean.class));
    }

    private static Map<String, String> procStatus(long pid) {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return fields;
    }

    private static long kb(String value) {
        return value == null ? -1 : Long.parseLong(value.replaceAll("\\D", ""));
    }

    @Override
    public void close() {
        for (Jvm jvm : jvms.values()) {
            try {
                jvm.connector().close();
            } catch (IOException | RuntimeException e) {
                // the process may be gone already
            }
        }
    }
}

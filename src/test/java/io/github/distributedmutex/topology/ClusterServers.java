package io.github.distributedmutex.topology;

import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A real Redis Cluster of local {@code redis-server} processes for the cluster tests: three masters, each with
 * one replica when {@code withReplicas} is set, built without {@code redis-cli} from raw commands
 * ({@code CLUSTER MEET}, {@code CLUSTER ADDSLOTS}, {@code CLUSTER REPLICATE}).
 *
 * <p>Contract: {@link #start(Path, boolean)} returns only once every node reports {@code cluster_state:ok}, every
 * node knows all others, and every replica's link to its master is up; on failure every process it started is
 * killed before the exception leaves. The nodes run with {@code --cluster-node-timeout 1000} and
 * {@code --cluster-replica-validity-factor 0} (a replica always fails over, whatever its data age), without
 * persistence. {@link #close()} kills every process that is still running; it is idempotent.
 */
public final class ClusterServers implements AutoCloseable {

    /** Number of masters; the 16384 slots are split evenly between them. */
    public static final int MASTERS = 3;

    private static final int SLOTS = 16_384;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final List<Node> masters = new ArrayList<>();
    private final List<Node> replicas = new ArrayList<>();
    private final List<Node> extraReplicas = new ArrayList<>();
    private final List<Node> extraReplicaMasters = new ArrayList<>();
    private final List<RedisServerProcess> started = new ArrayList<>();

    /** One cluster node: its process and its cluster node id. */
    public static final class Node {

        private final RedisServerProcess process;
        private final String id;
        private final int firstSlot;
        private final int lastSlot;

        private Node(RedisServerProcess process, String id, int firstSlot, int lastSlot) {
            this.process = process;
            this.id = id;
            this.firstSlot = firstSlot;
            this.lastSlot = lastSlot;
        }

        /** @return the server process */
        public RedisServerProcess process() {
            return process;
        }

        /** @return the Redis URI of the node */
        public String address() {
            return process.address();
        }

        /** @return the cluster node id */
        public String id() {
            return id;
        }

        /** @return whether the slot was assigned to this node (or its master) when the cluster was built */
        public boolean servesSlot(int slot) {
            return slot >= firstSlot && slot <= lastSlot;
        }

        @Override
        public String toString() {
            return "Node[" + address() + ", slots " + firstSlot + "-" + lastSlot + ", id " + id + "]";
        }
    }

    private ClusterServers() {
    }

    /**
     * Starts and forms the cluster.
     *
     * @param directory    where the nodes' {@code nodes-P.conf} files go
     * @param withReplicas whether each master gets one replica
     * @return the formed, healthy cluster; the caller must {@link #close()} it
     */
    public static ClusterServers start(Path directory, boolean withReplicas) {
        ClusterServers cluster = new ClusterServers();
        try {
            cluster.form(directory, withReplicas);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void form(Path directory, boolean withReplicas) {
        int perMaster = SLOTS / MASTERS;
        for (int i = 0; i < MASTERS; i++) {
            int first = i * perMaster;
            int last = i == MASTERS - 1 ? SLOTS - 1 : first + perMaster - 1;
            RedisServerProcess process = launch(directory);
            started.add(process);
            masters.add(new Node(process, RedisCommands.call(process.address(), "CLUSTER", "MYID"), first, last));
        }
        if (withReplicas) {
            for (Node master : masters) {
                RedisServerProcess process = launch(directory);
                started.add(process);
                replicas.add(new Node(process, RedisCommands.call(process.address(), "CLUSTER", "MYID"),
                        master.firstSlot, master.lastSlot));
            }
        }
        List<Node> all = nodes();
        Node first = all.get(0);
        for (Node other : all.subList(1, all.size())) {
            RedisCommands.call(first.address(), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(other.process.port()));
        }
        for (Node master : masters) {
            List<String> command = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
            for (int slot = master.firstSlot; slot <= master.lastSlot; slot++) {
                command.add(Integer.toString(slot));
            }
            RedisCommands.call(master.address(), command.toArray(String[]::new));
        }
        // a node can only replicate a master it knows
        await("every node knows every other").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> all.stream().allMatch(node -> knownNodes(node) == all.size()));
        for (int i = 0; i < replicas.size(); i++) {
            RedisCommands.call(replicas.get(i).address(), "CLUSTER", "REPLICATE", masters.get(i).id());
        }
        awaitHealthy(all, READY_TIMEOUT);
        if (withReplicas) {
            await("replicas in sync and known as replicas everywhere").atMost(READY_TIMEOUT)
                    .pollInterval(Duration.ofMillis(50)).until(() -> replicas.stream().allMatch(
                            replica -> RedisCommands.call(replica.address(), "INFO", "replication")
                                    .contains("master_link_status:up"))
                            && all.stream().allMatch(node -> RedisCommands.call(node.address(), "CLUSTER", "NODES")
                                    .lines().filter(line -> line.contains("slave")).count() == replicas.size()));
        }
    }

    private static RedisServerProcess launch(Path directory) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePortWithFreeBusPort();
            try {
                return RedisServerProcess.startOnPort(port, "--cluster-enabled", "yes",
                        "--cluster-config-file", directory.resolve("nodes-" + port + ".conf").toString(),
                        "--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
                        "--appendonly", "no");
            } catch (IllegalStateException e) {
                last = e; // the port was taken meanwhile: try another one
            }
        }
        throw last;
    }

    /** A free port P whose cluster bus port P + 10000 is free too (Redis 6.2 cannot choose the bus port). */
    private static int freePortWithFreeBusPort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = RedisServerProcess.freePort();
            if (port + 10_000 <= 65_535 && isFree(port + 10_000)) {
                return port;
            }
        }
        throw new IllegalStateException("No free port pair P, P + 10000 found on 127.0.0.1");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long knownNodes(Node node) {
        return RedisCommands.call(node.address(), "CLUSTER", "NODES").lines().filter(line -> !line.isBlank()).count();
    }

    /**
     * Waits until every given node answers {@code cluster_state:ok}.
     *
     * @param nodes   the nodes to ask
     * @param timeout how long to wait at most
     */
    public static void awaitHealthy(List<Node> nodes, Duration timeout) {
        await("cluster_state:ok on " + nodes).atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> nodes.stream().allMatch(ClusterServers::isOk));
    }

    /**
     * @param node a node
     * @return whether it answers and reports {@code cluster_state:ok}
     */
    public static boolean isOk(Node node) {
        try {
            return RedisCommands.call(node.address(), Duration.ofSeconds(2), "CLUSTER", "INFO")
                    .contains("cluster_state:ok");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Starts one more replica of {@code master} and waits until it is in sync and known to every node as a replica;
     * so masters can have different numbers of replicas. {@link #replicaOf(Node)} still names the first replica.
     *
     * @param master    one of the masters
     * @param directory where its {@code nodes-P.conf} goes
     * @return the new replica
     */
    public Node addReplica(Node master, Path directory) {
        RedisServerProcess process = launch(directory);
        started.add(process);
        Node replica = new Node(process, RedisCommands.call(process.address(), "CLUSTER", "MYID"), master.firstSlot,
                master.lastSlot);
        extraReplicas.add(replica);
        extraReplicaMasters.add(master);
        RedisCommands.call(master.address(), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(process.port()));
        List<Node> all = nodes();
        await("every node knows the new replica").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> all.stream().allMatch(node -> knownNodes(node) == all.size()));
        RedisCommands.call(replica.address(), "CLUSTER", "REPLICATE", master.id());
        long replicaCount = replicas.size() + extraReplicas.size();
        await("the new replica in sync and known as a replica everywhere").atMost(READY_TIMEOUT)
                .pollInterval(Duration.ofMillis(50)).until(() ->
                        RedisCommands.call(replica.address(), "INFO", "replication").contains("master_link_status:up")
                        && all.stream().allMatch(node -> RedisCommands.call(node.address(), "CLUSTER", "NODES")
                                .lines().filter(line -> line.contains("slave")).count() == replicaCount));
        awaitHealthy(all, READY_TIMEOUT);
        return replica;
    }

    /**
     * @param master one of the masters
     * @return every replica of it: the one {@link #start} gave it, then those of {@link #addReplica}
     */
    public List<Node> replicasOf(Node master) {
        List<Node> result = new ArrayList<>();
        replicaOf(master).ifPresent(result::add);
        for (int i = 0; i < extraReplicas.size(); i++) {
            if (extraReplicaMasters.get(i) == master) {
                result.add(extraReplicas.get(i));
            }
        }
        return result;
    }

    /** @return the masters, in slot order */
    public List<Node> masters() {
        return List.copyOf(masters);
    }

    /** @return the replicas; replica i replicates master i; empty without replicas */
    public List<Node> replicas() {
        return List.copyOf(replicas);
    }

    /** @return masters, then replicas (those added by {@link #addReplica} last) */
    public List<Node> nodes() {
        List<Node> all = new ArrayList<>(masters);
        all.addAll(replicas);
        all.addAll(extraReplicas);
        return all;
    }

    /**
     * @param master one of the masters
     * @return its replica, if the cluster has replicas
     */
    public Optional<Node> replicaOf(Node master) {
        int index = masters.indexOf(Objects.requireNonNull(master, "master"));
        return index < 0 || replicas.isEmpty() ? Optional.empty() : Optional.of(replicas.get(index));
    }

    /**
     * @param slot a hash slot
     * @return the master the slot was assigned to when the cluster was built
     */
    public Node masterOfSlot(int slot) {
        return masters.stream().filter(master -> master.servesSlot(slot)).findFirst().orElseThrow();
    }

    /**
     * @param key a Redis key
     * @return its hash slot, as computed by the cluster ({@code CLUSTER KEYSLOT})
     */
    public int slotOf(String key) {
        return (int) RedisCommands.callForLong(nodes().stream().filter(node -> node.process.isAlive()).findFirst()
                .orElseThrow().address(), "CLUSTER", "KEYSLOT", key);
    }

    /**
     * Writes a Redisson YAML configuration for this cluster, as an application would deploy it.
     *
     * @param file where to write it
     * @return the file
     */
    public Path writeRedissonYaml(Path file) {
        return writeRedissonYaml(file, 1000);
    }

    /**
     * Like {@link #writeRedissonYaml(Path)}, with another topology scan interval: a long one keeps the client's slot
     * map stale after slots moved.
     *
     * @param file               where to write it
     * @param scanIntervalMillis Redisson's {@code scanInterval}
     * @return the file
     */
    public Path writeRedissonYaml(Path file, long scanIntervalMillis) {
        StringBuilder yaml = new StringBuilder("clusterServersConfig:\n  nodeAddresses:\n");
        for (Node node : nodes()) {
            yaml.append("    - \"").append(node.address()).append("\"\n");
        }
        yaml.append("  scanInterval: ").append(scanIntervalMillis).append("\n");
        yaml.append("  timeout: 1000\n");
        yaml.append("  connectTimeout: 1000\n");
        try {
            return Files.writeString(file, yaml.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kills every node process still running. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (RedisServerProcess process : started) {
            try {
                process.kill();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}

package io.moemesh.router.dispatch;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test expert endpoints on real TCP ports (127.0.0.1, any free port), each hosting some experts of every layer. */
public final class TcpExpertServers implements AutoCloseable {

    private final List<Server> servers = new ArrayList<>();
    private final Checkpoint checkpoint;

    private TcpExpertServers(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    public static TcpExpertServers start(Path model, List<List<Integer>> placement) throws IOException {
        return start(model, placement, InsecureServerCredentials.create());
    }

    /** As {@link #start(Path, List)}, the servers speaking {@code credentials} (TLS, for instance). */
    public static TcpExpertServers start(Path model, List<List<Integer>> placement, ServerCredentials credentials)
            throws IOException {
        ModelConfig config = ModelConfig.load(model);
        TcpExpertServers s = new TcpExpertServers(Checkpoint.open(model));
        for (List<Integer> experts : placement) {
            Map<Long, ExpertWeights> units = new HashMap<>();
            for (int layer = 0; layer < config.numLayers(); layer++) {
                for (int e : experts) {
                    units.put(FakeExpertService.key(layer, e), ExpertWeights.load(s.checkpoint, config, layer, e));
                }
            }
            s.servers.add(Grpc.newServerBuilderForPort(0, credentials)
                    .addService(new FakeExpertService(units, config.hiddenSize())).build().start());
        }
        return s;
    }

    public List<String> targets() {
        return servers.stream().map(srv -> "127.0.0.1:" + srv.getPort()).toList();
    }

    @Override
    public void close() {
        servers.forEach(Server::shutdownNow);
        checkpoint.close();
    }
}

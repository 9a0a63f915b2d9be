package io.moemesh.router.dispatch;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.model.ExpertWeights;
import io.moemesh.core.safetensors.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** In-process expert endpoints over one model, each hosting the experts it is given (for every layer). */
final class ExpertCluster implements AutoCloseable {

    final List<FakeExpertService> services = new ArrayList<>();
    final List<ExpertEndpoint> endpoints = new ArrayList<>();
    private final List<Server> servers = new ArrayList<>();
    private final Checkpoint checkpoint;
    private final ModelConfig config;

    ExpertCluster(Path model, List<Set<Integer>> placement) {
        config = ModelConfig.load(model);
        checkpoint = Checkpoint.open(model);
        for (int i = 0; i < placement.size(); i++) {
            Map<Long, ExpertWeights> units = new HashMap<>();
            for (int layer = 0; layer < config.numMoeLayers(); layer++) {
                for (int e : placement.get(i)) {
                    units.put(FakeExpertService.key(layer, e), ExpertWeights.load(checkpoint, config, layer, e));
                }
            }
            FakeExpertService service = new FakeExpertService(units, config.hiddenSize());
            String name = "expert-" + i + "-" + System.identityHashCode(this);
            try {
                servers.add(InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            services.add(service);
            endpoints.add(new ExpertEndpoint("endpoint-" + i, name));
        }
    }

    /** Endpoint {@code endpoint} hosts {@code expert} of every layer from now on, beside what it hosted. */
    void host(int endpoint, int expert) {
        for (int layer = 0; layer < config.numMoeLayers(); layer++) {
            services.get(endpoint).host(layer, expert, ExpertWeights.load(checkpoint, config, layer, expert));
        }
    }

    static ManagedChannel channel(ExpertEndpoint endpoint) {
        return InProcessChannelBuilder.forName(endpoint.target()).directExecutor().build();
    }

    int totalComputeCalls() {
        return services.stream().mapToInt(s -> s.computeCalls.get()).sum();
    }

    @Override
    public void close() {
        servers.forEach(Server::shutdownNow);
        checkpoint.close();
    }
}

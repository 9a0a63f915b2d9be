package io.moemesh.gateway.openai;

import io.moemesh.gateway.openai.GatewayLoopback.HttpCaller;
import io.moemesh.proto.v1.ModelInfo;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;

/**
 * The models behind the gateway, as its routers list them, with each model's chat template compiled
 * once. {@code GET /v1/models} always asks (the call authenticates its caller); completions reuse
 * a list younger than {@link #MAX_AGE}, and ask again for a model the list does not have, so a
 * model a router starts serving is found at once.
 */
final class ModelCatalog {

    static final Duration MAX_AGE = Duration.ofSeconds(30);

    /** A served model and its chat template, or why the template cannot be used. */
    record Model(ModelInfo info, ChatTemplate template, String templateProblem) {

        String name() {
            return info.getName();
        }

        static Model of(ModelInfo info) {
            try {
                return new Model(info, ChatTemplate.compile(info.getChatTemplate(), info.getBosToken(),
                        info.getEosToken()), null);
            } catch (IllegalArgumentException e) {
                return new Model(info, null, e.getMessage());
            }
        }
    }

    private record Snapshot(List<Model> models, long fetchedAt) {
    }

    private final GatewayLoopback gateway;
    private final LongSupplier nanoTime;
    private volatile Snapshot snapshot;

    ModelCatalog(GatewayLoopback gateway, LongSupplier nanoTime) {
        this.gateway = gateway;
        this.nanoTime = nanoTime;
    }

    /** Asks the routers now. */
    Mono<List<Model>> list(HttpCaller caller) {
        return gateway.listModels(caller).map(response -> {
            Snapshot previous = snapshot;
            List<Model> models = response.getModelsList().stream()
                    .map(info -> reuse(previous, info)).toList();
            snapshot = new Snapshot(models, nanoTime.getAsLong());
            return models;
        });
    }

    /** The model {@code requested} names, or the first one for an empty name; 404 when none is served. */
    Mono<Model> resolve(String requested, HttpCaller caller) {
        Snapshot current = snapshot;
        if (current != null && nanoTime.getAsLong() - current.fetchedAt() < MAX_AGE.toNanos()) {
            Model found = find(current.models(), requested);
            if (found != null) {
                return Mono.just(found);
            }
        }
        return list(caller).flatMap(models -> {
            Model found = find(models, requested);
            return found != null ? Mono.just(found) : Mono.error(OpenAiError.modelNotFound(requested,
                    models.stream().map(Model::name).collect(Collectors.joining(", "))));
        });
    }

    private static Model find(List<Model> models, String requested) {
        if (requested.isEmpty()) {
            return models.isEmpty() ? null : models.getFirst();
        }
        return models.stream().filter(m -> m.name().equals(requested)).findFirst().orElse(null);
    }

    /** The compiled template of an unchanged model is kept. */
    private static Model reuse(Snapshot previous, ModelInfo info) {
        if (previous != null) {
            for (Model m : previous.models()) {
                if (m.info().equals(info)) {
                    return m;
                }
            }
        }
        return Model.of(info);
    }
}

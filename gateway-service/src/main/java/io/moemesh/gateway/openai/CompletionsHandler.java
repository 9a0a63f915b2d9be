package io.moemesh.gateway.openai;

import io.grpc.StatusRuntimeException;
import io.moemesh.gateway.openai.GatewayLoopback.HttpCaller;
import io.moemesh.gateway.openai.OpenAiResponses.Choice;
import io.moemesh.gateway.openai.OpenAiResponses.Header;
import io.moemesh.proto.v1.GenerateRequest;
import io.moemesh.proto.v1.GenerateResponse;
import io.moemesh.proto.v1.TokenLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: the request becomes one
 * Generate call per prompt on the gateway's own gRPC service ({@link GatewayLoopback}), and the
 * responses become OpenAI's JSON, or its server-sent events when {@code stream} is true.
 *
 * <p>A stream's HTTP status waits for the first Generate event ({@link OpenAiHttpServer}), so a
 * request refused by the gateway (key, limits, validation, unknown model) is answered with its real
 * status (401, 429, 400, 404), not a 200 whose stream carries an error. A failure after that point
 * can only travel in the stream: an {@code error} event, then {@code [DONE]}. If the HTTP client
 * goes away, Reactor Netty cancels what it was sending, which cancels the Generate calls, which
 * cancel the router's generations.
 */
final class CompletionsHandler {

    private static final Logger LOG = LoggerFactory.getLogger(CompletionsHandler.class);
    static final String DONE = "data: [DONE]\n\n";

    /** What to send: a status and a JSON body, or a 200 event stream. */
    sealed interface Reply {
    }

    /** {@code headers}: besides the content type, such as an error's {@code Retry-After}. */
    record JsonReply(int status, Object body, Map<String, String> headers) implements Reply {

        JsonReply(int status, Object body) {
            this(status, body, Map.of());
        }
    }

    record EventStream(Flux<String> events) implements Reply {
    }

    private final GatewayLoopback gateway;
    private final ModelCatalog models;

    CompletionsHandler(GatewayLoopback gateway, ModelCatalog models) {
        this.gateway = gateway;
        this.models = models;
    }

    Mono<Reply> handle(CompletionRequest request, HttpCaller caller) {
        String requestId = UUID.randomUUID().toString().replace("-", "");
        return models.resolve(request.model(), caller).flatMap(model -> {
            Header header = new Header(request.chat(), (request.chat() ? "chatcmpl-" : "cmpl-") + requestId,
                    System.currentTimeMillis() / 1000, model.name(), request.sampling().getLogprobs(),
                    request.includeUsage());
            List<GenerateRequest> calls = generateRequests(request, model, requestId);
            Flux<Event> events = Flux.merge(IntStream.range(0, calls.size())
                    .mapToObj(i -> gateway.generate(calls.get(i), caller).map(r -> new Event(i, r)))
                    .toList());
            return request.stream() ? stream(request, header, events, requestId, calls.size())
                    : collect(header, events, requestId, calls.size());
        }).onErrorResume(e -> Mono.just(failure(e, requestId)));
    }

    /** A Generate response for choice {@code index}. */
    private record Event(int index, GenerateResponse response) {
    }

    private static List<GenerateRequest> generateRequests(CompletionRequest request, ModelCatalog.Model model,
            String requestId) {
        List<CompletionRequest.Prompt> prompts = request.prompts();
        if (request.chat()) {
            if (model.template() == null) {
                throw new OpenAiError(500, "server_error", null, "chat_template_invalid", "the chat template of model '"
                        + model.name() + "' cannot be used: " + model.templateProblem());
            }
            try {
                prompts = List.of(CompletionRequest.Prompt.text(model.template().render(request.messages(), true)));
            } catch (ChatTemplateException e) {
                throw OpenAiError.invalid("messages", e.getMessage());
            }
        }
        List<GenerateRequest> calls = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            String id = prompts.size() == 1 ? requestId : requestId + "-" + i;
            calls.add(CompletionRequest.generateRequest(model.name(), prompts.get(i), request.sampling(), id));
        }
        return calls;
    }

    private static Mono<Reply> collect(Header header, Flux<Event> events, String requestId, int choices) {
        return events.collectList().map(all -> {
            List<StringBuilder> texts = new ArrayList<>();
            List<List<TokenLogprob>> logprobs = new ArrayList<>();
            Choice[] done = new Choice[choices];
            for (int i = 0; i < choices; i++) {
                texts.add(new StringBuilder());
                logprobs.add(new ArrayList<>());
            }
            for (Event e : all) {
                if (e.response().hasChunk()) {
                    texts.get(e.index()).append(e.response().getChunk().getText());
                    logprobs.get(e.index()).addAll(e.response().getChunk().getLogprobsList());
                } else if (e.response().hasCompletion()) {
                    done[e.index()] = new Choice(e.index(), texts.get(e.index()).toString(), logprobs.get(e.index()),
                            e.response().getCompletion(), e.response().getCompletion().getRequestId());
                }
            }
            for (Choice c : done) {
                if (c == null) {
                    throw new IllegalStateException("a generation ended without its completion");
                }
            }
            return new JsonReply(200, OpenAiResponses.completion(header, List.of(done), requestId));
        });
    }

    /**
     * The events as server-sent events. A failure before the first of them fails the Flux itself, so
     * that the server can still answer with the failure's status ({@link OpenAiHttpServer}); after
     * it, the failure becomes an {@code error} event and {@code [DONE]}.
     */
    private static Mono<Reply> stream(CompletionRequest request, Header header, Flux<Event> events, String requestId,
            int choices) {
        StreamState state = new StreamState(header, choices);
        Flux<String> sse = events.concatMapIterable(state::onEvent)
                .concatWith(Flux.defer(() -> Flux.fromIterable(state.end(request.includeUsage()))))
                .onErrorResume(e -> state.sentAny()
                        ? Flux.just(event(OpenAiResponses.error(loggedError(e, requestId))), DONE)
                        : Flux.error(loggedError(e, requestId)));
        return Mono.just(new EventStream(sse));
    }

    /** Turns the events of every choice into chunks; used by one stream, one event at a time. */
    private static final class StreamState {

        private final Header header;
        private final boolean[] started;
        /** Per choice: the characters its tokens' texts took so far (completions' text_offset). */
        private final int[] offsets;
        private final List<Choice> finished = new ArrayList<>();

        StreamState(Header header, int choices) {
            this.header = header;
            this.started = new boolean[choices];
            this.offsets = new int[choices];
        }

        boolean sentAny() {
            for (boolean s : started) {
                if (s) {
                    return true;
                }
            }
            return false;
        }

        List<String> onEvent(Event e) {
            GenerateResponse response = e.response();
            List<String> out = new ArrayList<>(2);
            if (response.hasChunk()) {
                var chunk = response.getChunk();
                boolean logprobs = header.logprobs() && chunk.getLogprobsCount() > 0;
                if (!chunk.getText().isEmpty() || logprobs || !started[e.index()]) {
                    out.add(event(OpenAiResponses.textChunk(header, e.index(), chunk.getText(), !started[e.index()],
                            chunk.getLogprobsList(), offsets[e.index()])));
                    offsets[e.index()] += OpenAiLogprobs.length(chunk.getLogprobsList());
                    started[e.index()] = true;
                }
            } else if (response.hasCompletion()) {
                if (!started[e.index()] && header.chat()) {
                    out.add(event(OpenAiResponses.textChunk(header, e.index(), "", true, List.of(), 0)));
                }
                started[e.index()] = true;
                Choice done = new Choice(e.index(), "", List.of(), response.getCompletion(),
                        response.getCompletion().getRequestId());
                finished.add(done);
                out.add(event(OpenAiResponses.finalChunk(header, done)));
            }
            return out;
        }

        List<String> end(boolean includeUsage) {
            return includeUsage ? List.of(event(OpenAiResponses.usageChunk(header, finished)), DONE) : List.of(DONE);
        }
    }

    static String event(Object json) {
        return "data: " + OpenAiResponses.JSON.writeValueAsString(json) + "\n\n";
    }

    static JsonReply failure(Throwable e, String requestId) {
        OpenAiError error = loggedError(e, requestId);
        return new JsonReply(error.status(), OpenAiResponses.error(error), error.headers());
    }

    /**
     * The failure as OpenAI's error; an unexpected exception (not a refusal, not a gRPC status, which
     * the gateway has logged where it arose) is logged here under the id its 500 names.
     */
    private static OpenAiError loggedError(Throwable e, String requestId) {
        if (!(e instanceof OpenAiError) && !(e instanceof StatusRuntimeException)) {
            LOG.error("request {}: OpenAI-compatible call failed", requestId, e);
        }
        return OpenAiError.of(e, requestId);
    }
}

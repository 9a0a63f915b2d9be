package io.moemesh.cli;

import io.moemesh.client.GenerateOptions;
import io.moemesh.client.GenerationResult;
import io.moemesh.client.MoeMeshClient;
import io.moemesh.core.engine.Generation;
import io.moemesh.core.engine.GenerationRequest;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.engine.SamplingParams;
import io.moemesh.core.kernel.Kernels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code moe generate}: with {@code --model}, runs the in-process engine; otherwise asks the gateway
 * of a running deployment ({@code --gateway}, or the local cluster of {@code moe up}) through the SDK.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue prompts, streaming text to stdout: in process with --model, or through the "
                + "gateway of `moe up` (or --gateway HOST:PORT, with --tls or --ca-cert FILE and the key in $MOEMESH_API_KEY "
                + "or --api-key-file FILE).")
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", description = "Run in process on this model directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Mixin
    GatewayOptions gateway;

    @Option(names = "--state-dir", defaultValue = ".moe", description = "State directory of `moe up` (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--prompt", required = true, description = "Prompt text; repeat to run several prompts as one batch.")
    List<String> prompts;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); higher = more random.")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens (0 = all).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling threshold in (0, 1] (default: 1).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed for sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", description = "Stop when the text contains this string; repeatable.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating after the end-of-sequence token.")
    boolean ignoreEos;

    @Option(names = "--experts-per-token", defaultValue = "0",
            description = "Override the model's experts per token (top-k routing); 0 = the model's value.")
    int expertsPerToken;

    @Option(names = "--kernels", defaultValue = "best", description = "best, vector or scalar (default: ${DEFAULT-VALUE}).")
    String kernels;

    @Override
    public Integer call() {
        if (model == null) {
            return callGateway();
        }
        SamplingParams params = new SamplingParams(temperature, topK, topP, seed, maxTokens, stop, ignoreEos);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        try (InProcessEngine engine = InProcessEngine.open(model, Kernels.named(kernels), expertsPerToken)) {
            List<GenerationRequest> requests = prompts.stream().map(p -> new GenerationRequest(p, params)).toList();
            boolean stream = requests.size() == 1;
            if (stream) {
                out.print(prompts.getFirst());
                out.flush();
            }
            List<Generation> results = engine.generate(requests, (request, token, text, logprobs) -> {
                if (stream) {
                    out.print(text);
                    out.flush();
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            int tokens = 0;
            for (int i = 0; i < results.size(); i++) {
                Generation g = results.get(i);
                tokens += g.tokenIds().length;
                if (stream) {
                    out.println();
                } else {
                    out.printf("[%d] %s%s%n", i, prompts.get(i), g.text());
                }
                err.printf("[%d] %d prompt tokens, %d generated, finish: %s%n", i, g.promptIds().length,
                        g.tokenIds().length, g.finishReason().name().toLowerCase());
            }
            err.printf("%d tokens in %.2f s (%.1f tokens/s, including model load)%n", tokens, seconds, tokens / seconds);
        }
        return 0;
    }

    /** Each prompt through the gateway with the SDK, one after another, streamed. */
    private int callGateway() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (MoeMeshClient client = gateway.connect(stateDir, err)) {
            for (String prompt : prompts) {
                GenerateOptions options = GenerateOptions.builder().prompt(prompt).maxTokens(maxTokens)
                        .temperature(temperature).topK(topK).topP(topP).seed(seed).stop(stop).ignoreEos(ignoreEos)
                        .build();
                out.print(prompt);
                GenerationResult result = RemoteGeneration.stream(client, options, out);
                out.println();
                err.printf("%d prompt tokens, %d generated, finish: %s, time to first token %.1f ms, total %.1f ms%s%n",
                        result.usage().promptTokens(), result.usage().completionTokens(),
                        result.finishReason().name().toLowerCase(), result.usage().timeToFirstToken().toNanos() / 1e6,
                        result.usage().totalTime().toNanos() / 1e6,
                        result.degraded() ? ", DEGRADED: skipped " + result.skippedExperts() : "");
            }
        }
        return 0;
    }

}

package io.moemesh.bench.harness;

import io.moemesh.core.config.ModelConfig;
import io.moemesh.core.engine.InProcessEngine;
import io.moemesh.core.placement.CaptureBound;
import io.moemesh.core.placement.ClusterShape;
import io.moemesh.core.placement.PlanFile;
import io.moemesh.core.placement.CoactivationPlanner;
import io.moemesh.core.placement.PlacementBaselines;
import io.moemesh.core.placement.PlacementPlan;
import io.moemesh.core.placement.PlanScore;
import io.moemesh.core.placement.PlanScorer;
import io.moemesh.core.routing.RoutingStats;
import io.moemesh.core.routing.RoutingStatsWindow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The placement issue's offline evaluation: routing statistics from the real gate of the model over
 * held-out documents, plans made from one half of the documents and scored on the other half
 * (out-of-sample) and on the same half (in-sample), at several memory budgets, for the planner and
 * its baselines, next to {@link CaptureBound}.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar \
 *     io.moemesh.bench.harness.PlacementEvaluation [MODEL_DIR] [HELDOUT_JSONL] [OUT_PREFIX] \
 *     [--docs-per-lang=N] [--max-tokens=N]</pre>
 *
 * Writes {@code OUT_PREFIX.csv} (one row per split x budget x strategy) and {@code OUT_PREFIX.json}
 * (machine, inputs, the same rows). Every token of every selected document is prefilled once
 * (teacher forcing), and its gate decision at every layer is counted; nothing is sampled.
 */
public final class PlacementEvaluation {

    static final double[] BUDGETS = {1.0, 1.125, 1.25, 1.5};
    static final double BALANCE_BOUND = 1.25;
    static final long RANDOM_SEED = 1;

    record Doc(String lang, String src, String text) {
    }

    /**
     * The budget whose plans are also written as plan files for {@code moe up --plan}: the planner's
     * ({@code OUT_PREFIX-plan-1.25x.txt}), random co-location's ({@code -random}) and EPLB-style
     * replication's ({@code -eplb}).
     */
    static final double PLAN_FILE_BUDGET = 1.25;

    record Args(Path model, Path heldout, String outPrefix, int docsPerLang, int maxTokens) {

        static Args parse(String[] all) {
            List<String> positional = new ArrayList<>();
            int docs = 20;
            int tokens = 128;
            for (String a : all) {
                if (a.startsWith("--docs-per-lang=")) {
                    docs = Integer.parseInt(a.substring("--docs-per-lang=".length()));
                } else if (a.startsWith("--max-tokens=")) {
                    tokens = Integer.parseInt(a.substring("--max-tokens=".length()));
                } else if (a.startsWith("--")) {
                    throw new IllegalArgumentException("unknown option " + a
                            + " (known: --docs-per-lang=N, --max-tokens=N)");
                } else {
                    positional.add(a);
                }
            }
            if (docs < 2 || tokens < 1) {
                throw new IllegalArgumentException("need --docs-per-lang >= 2 and --max-tokens >= 1, got "
                        + docs + " and " + tokens);
            }
            return new Args(
                    Path.of(positional.size() > 0 ? positional.get(0) : "models/mesh-mini-16e"),
                    Path.of(positional.size() > 1 ? positional.get(1) : "tools/train/data/heldout.jsonl"),
                    positional.size() > 2 ? positional.get(2) : "bench/results/placement",
                    docs, tokens);
        }
    }

    /** Documents to plan from and documents to score on, disjoint. */
    record Split(List<Doc> plan, List<Doc> score) {
    }

    /**
     * Per language (in file order): {@code docsPerLang} documents spread evenly over the language's
     * documents (index {@code floor(k * n / N)}, so one long run of one source does not fill the
     * sample), then alternately to the plan half (even k) and the score half (odd k). A language
     * with fewer documents than asked contributes all of them. Depends only on the input order.
     */
    static Split split(List<Doc> docs, int docsPerLang) {
        Map<String, List<Doc>> byLang = new TreeMap<>();
        for (Doc d : docs) {
            byLang.computeIfAbsent(d.lang(), k -> new ArrayList<>()).add(d);
        }
        List<Doc> plan = new ArrayList<>();
        List<Doc> score = new ArrayList<>();
        for (List<Doc> lang : byLang.values()) {
            int n = lang.size();
            int take = Math.min(docsPerLang, n);
            for (int k = 0; k < take; k++) {
                Doc d = lang.get((int) ((long) k * n / take));
                (k % 2 == 0 ? plan : score).add(d);
            }
        }
        return new Split(plan, score);
    }

    /**
     * Lowest expected remote calls per token per layer that a captured pair fraction of
     * {@code boundFraction} allows. PlanScorer charges layer l {@code (2 * pairs_l - captured_l) /
     * tokens_l}; with {@code r_l = pairs_l / tokens_l} (1 for top-2) that is {@code r_l (2 - f_l)},
     * and {@code mean(r_l f_l) <= max(r) * mean(f)}, so calls >= {@code mean(2 r_l) - max(r) * bound},
     * which is {@code 2 - bound} for top-2.
     */
    static double callsLowerBound(RoutingStats stats, double boundFraction) {
        double sum = 0;
        double maxR = 0;
        int layers = 0;
        for (int l = 0; l < stats.numLayers(); l++) {
            if (stats.tokens()[l] == 0) {
                continue;
            }
            long pairs = 0;
            for (int i = 0; i < stats.numExperts(); i++) {
                for (int j = i + 1; j < stats.numExperts(); j++) {
                    pairs += stats.coactivation(l, i, j);
                }
            }
            double r = pairs / (double) stats.tokens()[l];
            sum += 2 * r;
            maxR = Math.max(maxR, r);
            layers++;
        }
        return layers == 0 ? 0 : sum / layers - maxR * boundFraction;
    }

    /** {@code shape} with no per-service cap: any service may hold every unit of the model. */
    static ClusterShape uncapped(ClusterShape shape) {
        return new ClusterShape(shape.numLayers(), shape.numExperts(), shape.maxTotalUnits(),
                shape.numLayers() * shape.numExperts(), shape.balanceBound(), shape.hiddenSize(),
                shape.minReplicas(), shape.maxReplicas());
    }

    /** The budget's shape: {@code budget * L * E} units, the default per-service cap or more if the budget needs it. */
    static ClusterShape shape(ModelConfig config, double budget) {
        int layers = config.numMoeLayers();
        int experts = config.numExperts();
        ClusterShape defaults = ClusterShape.defaults(layers, experts, config.hiddenSize());
        int units = (int) Math.round(budget * layers * experts);
        int extra = units - layers * experts;
        int cap = Math.max(defaults.perServiceUnitCap(), layers + (extra + experts - 1) / experts);
        return new ClusterShape(layers, experts, units, cap, BALANCE_BOUND, config.hiddenSize(),
                defaults.minReplicas(), defaults.maxReplicas());
    }

    public static void main(String[] argv) {
        Args args = Args.parse(argv);
        if (!Files.isRegularFile(args.heldout())) {
            System.err.println("no held-out corpus at " + args.heldout() + "; make it with\n"
                    + "  /usr/bin/python3 tools/train/build_corpus.py\n"
                    + "(writes tools/train/data/heldout.jsonl from the installed fortunes-* and dict-gcide "
                    + "packages; see tools/train/README.md)");
            System.exit(2);
        }
        long started = System.nanoTime();
        Split split = split(readJsonl(args.heldout()), args.docsPerLang());
        RoutingStats planStats;
        RoutingStats scoreStats;
        ModelConfig config;
        long[] tokensSeen = new long[2];
        try (InProcessEngine engine = InProcessEngine.open(args.model())) {
            config = engine.config();
            planStats = observe(engine, split.plan(), args.maxTokens(), tokensSeen, 0);
            scoreStats = observe(engine, split.score(), args.maxTokens(), tokensSeen, 1);
        }
        double routeSeconds = (System.nanoTime() - started) / 1e9;

        List<Map<String, Object>> rows = new ArrayList<>();
        for (double budget : BUDGETS) {
            ClusterShape shape = shape(config, budget);
            PlacementPlan none = PlacementBaselines.oneServicePerExpert(planStats, shape);
            PlacementPlan planner = CoactivationPlanner.plan(planStats, shape);
            int plannerExtra = planner.totalUnits() - shape.baseUnits();
            PlacementPlan random = PlacementBaselines.randomCoLocation(planStats, shape, plannerExtra,
                    new SplittableRandom(RANDOM_SEED));
            PlacementPlan eplb = PlacementBaselines.loadOnlyReplication(planStats, shape);
            if (budget == PLAN_FILE_BUDGET) { // for `moe up --plan`: the live measurement of docs/placement.md
                PlanFile.write(Path.of(args.outPrefix() + "-plan-1.25x.txt"), planner);
                PlanFile.write(Path.of(args.outPrefix() + "-plan-1.25x-random.txt"), random);
                PlanFile.write(Path.of(args.outPrefix() + "-plan-1.25x-eplb.txt"), eplb);
            }
            Map<String, PlacementPlan> plans = new LinkedHashMap<>();
            plans.put("one_per_expert", none);
            plans.put("random", random);
            plans.put("eplb", eplb);
            plans.put("planner", planner);
            for (String sample : List.of("out_of_sample", "in_sample")) {
                RoutingStats on = sample.equals("in_sample") ? planStats : scoreStats;
                double bound = CaptureBound.maxCapturedFraction(on, shape);
                // The same total memory with no per-service cap (a service may hold every unit): the
                // bound for the budget alone, whatever the pods' sizes.
                double uncappedBound = CaptureBound.maxCapturedFraction(on, uncapped(shape));
                double boundCalls = callsLowerBound(on, bound);
                double baseCalls = PlanScorer.score(none, on, shape).remoteCallsPerToken();
                for (Map.Entry<String, PlacementPlan> e : plans.entrySet()) {
                    PlanScore s = PlanScorer.score(e.getValue(), on, shape);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("split", sample);
                    row.put("budget", budget);
                    row.put("strategy", e.getKey());
                    row.put("remote_calls_per_token_per_layer", s.remoteCallsPerToken());
                    row.put("reduction_vs_one_per_expert", baseCalls == 0 ? 0 : 1 - s.remoteCallsPerToken() / baseCalls);
                    row.put("bytes_per_token", s.bytesPerToken());
                    row.put("expert_memory", s.memoryRatio());
                    row.put("max_over_mean", s.maxMeanLoad());
                    row.put("captured_fraction", s.capturedPairFraction());
                    row.put("bound_fraction", bound);
                    row.put("bound_calls_per_token_per_layer", boundCalls);
                    row.put("bound_reduction_vs_one_per_expert", baseCalls == 0 ? 0 : 1 - boundCalls / baseCalls);
                    row.put("uncapped_bound_fraction", uncappedBound);
                    row.put("uncapped_bound_reduction_vs_one_per_expert",
                            baseCalls == 0 ? 0 : 1 - callsLowerBound(on, uncappedBound) / baseCalls);
                    row.put("extra_units", e.getValue().totalUnits() - shape.baseUnits());
                    row.put("per_service_cap", shape.perServiceUnitCap());
                    rows.add(row);
                }
            }
        }
        rows.sort((a, b) -> Integer.compare(a.get("split").equals("out_of_sample") ? 0 : 1,
                b.get("split").equals("out_of_sample") ? 0 : 1)); // stable: budgets stay in order
        double totalSeconds = (System.nanoTime() - started) / 1e9;

        PlacementEvaluationOutput.writeCsv(Path.of(args.outPrefix() + ".csv"), rows);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "placement-evaluation");
        result.put("date", Instant.now().toString());
        result.put("machine", Measurements.machine());
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("model", args.model().toString());
        inputs.put("layers", config.numMoeLayers());
        inputs.put("experts", config.numExperts());
        inputs.put("hidden_size", config.hiddenSize());
        inputs.put("heldout", args.heldout().toString());
        inputs.put("heldout_sha256", sha256(args.heldout()));
        inputs.put("docs_per_lang", args.docsPerLang());
        inputs.put("max_tokens", args.maxTokens());
        inputs.put("plan_docs", split.plan().size());
        inputs.put("score_docs", split.score().size());
        inputs.put("plan_tokens", tokensSeen[0]);
        inputs.put("score_tokens", tokensSeen[1]);
        inputs.put("docs_per_language", countByLang(split));
        inputs.put("budgets", BUDGETS);
        inputs.put("balance_bound", BALANCE_BOUND);
        inputs.put("random_seed", RANDOM_SEED);
        inputs.put("split_rule", "per language: docs_per_lang spread evenly in file order, even picks plan, odd score");
        result.put("inputs", inputs);
        result.put("routing_seconds", routeSeconds);
        result.put("total_seconds", totalSeconds);
        result.put("rows", rows);
        Measurements.write(Path.of(args.outPrefix() + ".json"), result);

        System.out.printf(Locale.ROOT, "%s: %d plan docs (%d tokens), %d score docs (%d tokens); %.1f s routing, %.1f s total%n",
                args.model(), split.plan().size(), tokensSeen[0], split.score().size(), tokensSeen[1],
                routeSeconds, totalSeconds);
        System.out.print(PlacementEvaluationOutput.table(rows));
        System.out.println("wrote " + args.outPrefix() + ".csv and .json");
    }

    private static RoutingStats observe(InProcessEngine engine, List<Doc> docs, int maxTokens, long[] seen, int slot) {
        ModelConfig c = engine.config();
        Clock frozen = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC); // one bucket that never rolls over
        RoutingStatsWindow window = new RoutingStatsWindow(c.numMoeLayers(), c.numExperts(), Duration.ofMinutes(1), 1, frozen);
        int limit = Math.min(maxTokens, c.maxPositionEmbeddings());
        for (Doc d : docs) {
            int[] ids = engine.tokenizer().encode(d.text());
            if (ids.length == 0) {
                continue;
            }
            int[] prompt = Arrays.copyOf(ids, Math.min(limit, ids.length));
            engine.score(prompt, window);
            seen[slot] += prompt.length;
        }
        return window.snapshot();
    }

    static List<Doc> readJsonl(Path file) {
        JsonMapper json = JsonMapper.builder().build();
        try {
            List<Doc> docs = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                docs.add(new Doc(n.get("lang").asString(), n.path("src").asString(""), n.get("text").asString()));
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<Integer>> countByLang(Split split) {
        Map<String, List<Integer>> out = new TreeMap<>();
        for (Doc d : split.plan()) {
            out.computeIfAbsent(d.lang(), k -> new ArrayList<>(List.of(0, 0))).set(0, out.get(d.lang()).get(0) + 1);
        }
        for (Doc d : split.score()) {
            out.computeIfAbsent(d.lang(), k -> new ArrayList<>(List.of(0, 0))).set(1, out.get(d.lang()).get(1) + 1);
        }
        return out;
    }
}

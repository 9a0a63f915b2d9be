package io.moemesh.router.batching;

import io.moemesh.core.model.KvCache;
import io.moemesh.core.model.TokenBatch;
import java.util.List;

/**
 * The tokens of one step: the whole prompt of a request that joins now (logits only at its last
 * token), one token of a request already running. {@code owners[i]} is the request of token i.
 * Logit rows come back in request order, one per request.
 */
record StepTokens(TokenBatch batch, RunningRequest[] owners) {

    static StepTokens of(List<RunningRequest> requests) {
        int n = 0;
        for (RunningRequest r : requests) {
            n += r.prefilled ? 1 : r.sequence.promptIds().length;
        }
        int[] tokens = new int[n];
        int[] positions = new int[n];
        KvCache[] caches = new KvCache[n];
        boolean[] want = new boolean[n];
        RunningRequest[] owners = new RunningRequest[n];
        int i = 0;
        for (RunningRequest r : requests) {
            if (r.prefilled) {
                tokens[i] = r.sequence.lastToken();
                positions[i] = r.sequence.nextPosition();
                want[i] = true;
                caches[i] = r.sequence.cache();
                owners[i++] = r;
                continue;
            }
            int[] prompt = r.sequence.promptIds();
            for (int p = 0; p < prompt.length; p++, i++) {
                tokens[i] = prompt[p];
                positions[i] = p;
                caches[i] = r.sequence.cache();
                want[i] = p == prompt.length - 1;
                owners[i] = r;
            }
        }
        return new StepTokens(new TokenBatch(tokens, positions, caches, want), owners);
    }
}

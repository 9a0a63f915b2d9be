package io.moemesh.core.engine;

import io.moemesh.core.model.KvCache;
import io.moemesh.core.model.TokenBatch;
import java.util.List;

/**
 * The tokens of one forward step over several sequences: the whole prompt of a sequence that has
 * not generated yet (logits only at its last token), one token of a sequence already decoding.
 * {@code owner[i]} is the index of token i's sequence; logit rows come back one per sequence, in
 * order. The in-process engine and the router's continuous batching build their steps with it.
 */
public record StepBatch(TokenBatch batch, int[] owner) {

    public static StepBatch of(List<ActiveSequence> sequences) {
        int n = 0;
        for (ActiveSequence s : sequences) {
            n += s.prefilled() ? 1 : s.promptIds().length;
        }
        int[] tokens = new int[n];
        int[] positions = new int[n];
        KvCache[] caches = new KvCache[n];
        boolean[] want = new boolean[n];
        int[] owner = new int[n];
        int i = 0;
        for (int q = 0; q < sequences.size(); q++) {
            ActiveSequence s = sequences.get(q);
            if (s.prefilled()) {
                tokens[i] = s.lastToken();
                positions[i] = s.nextPosition();
                want[i] = true;
                caches[i] = s.cache();
                owner[i++] = q;
                continue;
            }
            int[] prompt = s.promptIds();
            for (int p = 0; p < prompt.length; p++, i++) {
                tokens[i] = prompt[p];
                positions[i] = p;
                caches[i] = s.cache();
                want[i] = p == prompt.length - 1;
                owner[i] = q;
            }
        }
        return new StepBatch(new TokenBatch(tokens, positions, caches, want), owner);
    }
}

package io.moemesh.expert.compute;

/**
 * The tokens of one request routed to one expert, with each token's gate weight for it and the
 * answer's row its weighted output is added into (the token's row, or its own row for this expert
 * when the token asks for per-unit outputs).
 */
record ExpertGroup(int expert, int[] tokens, float[] weights, int[] outputRows) {

    /** This group's input rows, gathered contiguously for the FFN. */
    float[] gatherRows(float[] hidden, int hiddenSize) {
        float[] rows = new float[tokens.length * hiddenSize];
        for (int i = 0; i < tokens.length; i++) {
            System.arraycopy(hidden, tokens[i] * hiddenSize, rows, i * hiddenSize, hiddenSize);
        }
        return rows;
    }
}

package io.moemesh.expert.compute;

/** The tokens of one request routed to one expert, with each token's gate weight for it. */
record ExpertGroup(int expert, int[] tokens, float[] weights) {

    /** This group's input rows, gathered contiguously for the FFN. */
    float[] gatherRows(float[] hidden, int hiddenSize) {
        float[] rows = new float[tokens.length * hiddenSize];
        for (int i = 0; i < tokens.length; i++) {
            System.arraycopy(hidden, tokens[i] * hiddenSize, rows, i * hiddenSize, hiddenSize);
        }
        return rows;
    }
}

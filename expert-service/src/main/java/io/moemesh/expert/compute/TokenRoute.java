package io.moemesh.expert.compute;

/**
 * The (expert, weight) pairs one token needs from this endpoint: experts strictly ascending,
 * weights finite and positive, at least one pair. Build it with {@link #of}, which checks all that.
 *
 * @param perUnit answer one output row per pair instead of their sum (the wire's
 *                {@code TokenRoute.per_unit_outputs}; ADR 0001)
 */
public record TokenRoute(int[] experts, float[] weights, boolean perUnit) {

    /** Output rows this token takes in the answer: one per pair, or one for their sum. */
    public int outputRows() {
        return perUnit ? experts.length : 1;
    }

    /**
     * @param index the token's position, to name the field ({@code routes[3].weights}) in errors
     * @throws ComputeException INVALID_ARGUMENT naming the field that breaks a rule
     */
    public static TokenRoute of(int index, int[] experts, float[] weights, boolean perUnit) {
        String field = "routes[" + index + "]";
        if (experts.length != weights.length) {
            throw ComputeException.invalidArgument(field + ".weights has " + weights.length + " entries but "
                    + field + ".experts has " + experts.length);
        }
        if (experts.length == 0) {
            throw ComputeException.invalidArgument(field + ".experts is empty; every token needs at least one "
                    + "(expert, weight) pair");
        }
        for (int j = 0; j < experts.length; j++) {
            if (experts[j] < 0) {
                throw ComputeException.invalidArgument(field + ".experts[" + j + "] is " + experts[j]
                        + "; expert indices are >= 0");
            }
            if (j > 0 && experts[j] <= experts[j - 1]) {
                throw ComputeException.invalidArgument(field + ".experts must be strictly ascending, got "
                        + experts[j - 1] + " then " + experts[j] + " at index " + j);
            }
            if (!Float.isFinite(weights[j]) || weights[j] <= 0f) {
                throw ComputeException.invalidArgument(field + ".weights[" + j + "] is " + weights[j]
                        + "; gate weights must be finite and > 0");
            }
        }
        return new TokenRoute(experts.clone(), weights.clone(), perUnit);
    }
}

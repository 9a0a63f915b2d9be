package io.moemesh.expert;

import io.moemesh.core.kernel.Kernels;

/** Turns {@code moemesh.expert.kernels} into kernels, and kernels into the backend name Describe reports. */
final class KernelSelection {

    private KernelSelection() {
    }

    static Kernels select(ExpertServiceProperties.KernelChoice choice) {
        return Kernels.named(choice.name());
    }

    /** Compared with the scalar singleton: touching the vector class on a JVM without the module would fail. */
    static String backendName(Kernels kernels) {
        return kernels == Kernels.scalar() ? "cpu-scalar" : "cpu-vector";
    }
}

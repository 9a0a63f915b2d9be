package io.moemesh.expert;

import io.moemesh.core.kernel.Kernels;

/** Turns {@code moemesh.expert.kernels} into kernels, and kernels into the backend name Describe reports. */
final class KernelSelection {

    private KernelSelection() {
    }

    static Kernels select(ExpertServiceProperties.KernelChoice choice) {
        return switch (choice) {
            case BEST -> Kernels.best();
            case SCALAR -> Kernels.scalar();
            case VECTOR -> {
                if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                    throw new IllegalStateException("moemesh.expert.kernels=vector needs the Vector API: start the "
                            + "JVM with --add-modules jdk.incubator.vector (or use kernels=best)");
                }
                yield Kernels.vector();
            }
        };
    }

    /** Compared with the scalar singleton: touching the vector class on a JVM without the module would fail. */
    static String backendName(Kernels kernels) {
        return kernels == Kernels.scalar() ? "cpu-scalar" : "cpu-vector";
    }
}

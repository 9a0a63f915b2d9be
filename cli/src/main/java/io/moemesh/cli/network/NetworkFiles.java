package io.moemesh.cli.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where a local cluster's emulated network keeps its state: the profile in force (written by
 * {@code moe up --emulate-network} and {@code moe network SPEC}, read by the proxy process) and the
 * proxy's report of what it delivered under it (rewritten every second).
 */
public record NetworkFiles(Path profile, Path report) {

    public static NetworkFiles in(Path stateDir) {
        return new NetworkFiles(stateDir.resolve("network-profile"), stateDir.resolve("network-report"));
    }

    public void writeProfile(NetworkProfile p) {
        writeAtomically(profile, p.spell() + "\n");
    }

    public NetworkProfile readProfile() {
        try {
            return NetworkProfile.parse(Files.readString(profile).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the emulated network's profile " + profile + ": "
                    + e.getMessage(), e);
        }
    }

    static void writeAtomically(Path file, String text) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}

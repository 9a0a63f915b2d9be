package io.moemesh.cli.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * Follows the profile file for the proxy process. A file that is missing or does not parse (edited
 * by hand, half-written by another tool) must not stop the network the router's calls cross: the
 * profile in force stays, and {@link #error()} says why the new one was not taken, for the report.
 */
final class ProfileWatcher {

    private final NetworkFiles files;
    private FileTime seen;
    private String error = "";

    ProfileWatcher(NetworkFiles files) {
        this.files = files;
    }

    /** The profile to apply when the file changed since the last call and reads as one; else empty. */
    Optional<NetworkProfile> poll() {
        try {
            FileTime now = Files.getLastModifiedTime(files.profile());
            if (now.equals(seen)) {
                return Optional.empty();
            }
            seen = now;
            NetworkProfile next = files.readProfile();
            error = "";
            return Optional.of(next);
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            error = "kept the profile in force: " + e.getMessage();
            return Optional.empty();
        }
    }

    /** Why the last change was not taken; empty when it was. */
    String error() {
        return error;
    }
}

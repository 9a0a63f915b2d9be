package io.moemesh.core.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Copies DJL's tokenizer native library ({@code libtokenizers.so}, bundled in the tokenizers jar)
 * out of the class path into a directory, once, at image build. Pointing DJL at that file with
 * {@code RUST_LIBRARY_PATH} (environment or system property; DJL's {@code LibUtils}) makes it load
 * the library from there instead of copying it into its cache directory at every start, so the
 * containers need no writable, executable {@code /tmp} for it, and the library the router runs is
 * the root-owned, read-only one the image was built with (docs/images.md).
 *
 * <p>Usage (the router's Dockerfile): {@code java -cp application.jar
 * io.moemesh.core.tokenizer.TokenizerNativeLibrary /opt/moemesh/native}; prints the file written.
 */
public final class TokenizerNativeLibrary {

    static final String FILE_NAME = "libtokenizers.so";

    private TokenizerNativeLibrary() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: TokenizerNativeLibrary DIRECTORY");
            System.exit(2);
        }
        System.out.println(export(Path.of(args[0])));
    }

    /** The resource of this platform, as DJL's tokenizers jar lays it out (CPU flavor). */
    static String resource() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            throw new IllegalStateException("the images are Linux; no bundled tokenizer library is exported for " + os);
        }
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> throw new IllegalStateException("no bundled tokenizer library for " + System.getProperty("os.arch"));
        };
        return "native/lib/linux-" + arch + "/cpu/" + FILE_NAME;
    }

    /** Writes {@code dir/libtokenizers.so} (readable by all, writable by its owner only) and returns it. */
    public static Path export(Path dir) {
        String resource = resource();
        try (InputStream in = TokenizerNativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path: is DJL's tokenizers jar there?");
            }
            Files.createDirectories(dir);
            Path file = dir.resolve(FILE_NAME);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            if (!file.toFile().setReadable(true, false) || !file.toFile().setWritable(false, false)
                    || !file.toFile().setWritable(true, true)) {
                throw new IOException("cannot set the permissions of " + file);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export " + resource + " into " + dir, e);
        }
    }
}

package io.moemesh.cli.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileWatcherTest {

    @TempDir
    Path dir;

    @Test
    void takesAChangedProfileOnce() throws Exception {
        NetworkFiles files = NetworkFiles.in(dir);
        files.writeProfile(NetworkProfile.parse("zone"));
        ProfileWatcher watcher = new ProfileWatcher(files);

        assertThat(watcher.poll()).contains(NetworkProfile.parse("zone"));
        assertThat(watcher.poll()).isEmpty();
        files.writeProfile(NetworkProfile.parse("rack"));
        Files.setLastModifiedTime(files.profile(), FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(watcher.poll()).contains(NetworkProfile.parse("rack"));
    }

    @Test
    void aBrokenOrMissingFileKeepsTheProfileAndSaysWhy() throws Exception {
        NetworkFiles files = NetworkFiles.in(dir);
        files.writeProfile(NetworkProfile.parse("zone"));
        ProfileWatcher watcher = new ProfileWatcher(files);
        watcher.poll();

        Files.writeString(files.profile(), "warp-speed\n");
        Files.setLastModifiedTime(files.profile(), FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(watcher.poll()).isEmpty();
        assertThat(watcher.error()).contains("kept the profile in force").contains("preset");

        Files.delete(files.profile());
        assertThat(watcher.poll()).isEmpty();
        assertThat(watcher.error()).contains("network-profile");
    }
}

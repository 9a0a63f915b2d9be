package io.moemesh.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPkiTest {

    @TempDir
    Path dir;

    @Test
    void issuesLeafSignedByItsCaWithTheAskedNames() throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Issued server = pki.issue("gateway", "localhost", "127.0.0.1");

        X509Certificate ca = read(pki.caCertFile());
        X509Certificate leaf = read(server.certFile());
        leaf.verify(ca.getPublicKey());
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=gateway");
        assertThat(leaf.getSubjectAlternativeNames().stream().map(n -> (Object) n.get(1)).toList())
                .containsExactlyInAnyOrder("localhost", "127.0.0.1");
        assertThat(Files.readString(server.keyFile())).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void certificateOfAnotherCaDoesNotVerify() throws Exception {
        TestPki ours = TestPki.create(dir.resolve("ours"));
        TestPki theirs = TestPki.create(dir.resolve("theirs"));
        X509Certificate foreign = read(theirs.issue("intruder", "localhost").certFile());

        assertThatThrownBy(() -> foreign.verify(read(ours.caCertFile()).getPublicKey()))
                .isInstanceOf(SignatureException.class);
        assertThat(List.of(read(ours.caCertFile()).getBasicConstraints())).containsExactly(Integer.MAX_VALUE);
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}

package dev.keyline.crypto.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.testing.Wycheproof;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vector folder is found, and every file in it has a test that runs it. */
class WycheproofFilesTest {

    @Test
    void fileNames_sharedFolder_areExactlyTheFilesTheVectorTestsRun() {
        // AesGcmWycheproofTest, HmacSha256WycheproofTest and SignatureWycheproofTest run these.
        // A new file in the folder fails here until a test runs it.
        assertThat(Wycheproof.fileNames()).containsExactlyInAnyOrder(
                "aes_gcm_test.json",
                "ecdsa_secp256r1_sha256_p1363_test.json",
                "ecdsa_secp256r1_sha256_test.json",
                "ecdsa_secp384r1_sha384_test.json",
                "ed25519_test.json",
                "hmac_sha256_test.json",
                "rsa_pss_2048_sha256_mgf1_32_test.json",
                "rsa_signature_2048_sha256_test.json");
    }

    @Test
    void locate_folderInAGrandparent_findsIt(@TempDir Path root) throws IOException {
        Path vectors = Files.createDirectories(root.resolve(Wycheproof.RELATIVE_DIRECTORY));
        Path module = Files.createDirectories(root.resolve("main").resolve("crypto-core"));

        assertThat(Wycheproof.locate(module)).contains(vectors);
    }

    @Test
    void locate_noFolderInAnyParent_isEmpty(@TempDir Path root) throws IOException {
        Path module = Files.createDirectories(root.resolve("main").resolve("crypto-core"));
        Files.createDirectories(root.resolve("shared").resolve("testdata"));

        // The real checkout may sit above the temp dir, so only assert it is not under root.
        assertThat(Wycheproof.locate(module).filter(found -> found.startsWith(root))).isEmpty();
    }

    @Test
    void load_everyFile_holdsAsManyVectorsAsItsHeaderDeclares() {
        for (String name : Wycheproof.fileNames()) {
            Wycheproof.TestFile file = Wycheproof.load(name);
            assertThat(file.vectorCount()).as(name).isEqualTo(file.numberOfTests()).isPositive();
        }
    }
}

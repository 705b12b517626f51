package jp.kouiki.window.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

import jp.kouiki.window.central.operator.OperatorAccounts;
import jp.kouiki.window.central.operator.OperatorRole;
import jp.kouiki.window.files.AtomicFiles;

/**
 * The demo's operator account: created with a random password at the first run, stored readable by its owner only
 * under {@code <work>/operator/}, and kept for later runs. Nothing of it is in the repository.
 */
record DemoOperatorAccount(String name, Path accountsFile, Path passwordFile, String createdPassword) {

    static final String NAME = "demo-operator";

    /** Returns the demo's account, creating it with a new random password when it does not exist yet. */
    static DemoOperatorAccount ensure(Path work) throws IOException {
        Path folder = AtomicFiles.createDirectories(work.resolve("operator"));
        Path accounts = folder.resolve("operator-accounts");
        Path passwordFile = folder.resolve(NAME + ".password");
        if (Files.exists(accounts) && Files.exists(passwordFile)) {
            return new DemoOperatorAccount(NAME, accounts, passwordFile, null);
        }
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        AtomicFiles.writeOwnerOnlyAtomically(passwordFile, (password + "\n").getBytes(StandardCharsets.UTF_8));
        OperatorAccounts.put(accounts, NAME, OperatorRole.ACTOR, password.toCharArray());
        return new DemoOperatorAccount(NAME, accounts, passwordFile, password);
    }
}

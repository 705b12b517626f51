package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PasswordHashTest {

    @Test
    void verifiesTheRightPasswordOnly() {
        String hash = PasswordHash.create("correct horse battery".toCharArray());

        assertThat(PasswordHash.verify("correct horse battery".toCharArray(), hash)).isTrue();
        assertThat(PasswordHash.verify("correct horse batterY".toCharArray(), hash)).isFalse();
    }

    @Test
    void saltsEveryHash() {
        char[] password = "same password twice".toCharArray();

        assertThat(PasswordHash.create(password)).isNotEqualTo(PasswordHash.create(password));
    }

    @Test
    void hashNamesSchemeAndIterations() {
        String hash = PasswordHash.create("a long enough password".toCharArray());

        assertThat(hash).startsWith("pbkdf2-sha256$" + PasswordHash.ITERATIONS + "$");
        assertThat(PasswordHash.ITERATIONS).isGreaterThanOrEqualTo(210_000);
    }

    @Test
    void rejectsHashWithTooFewIterations() {
        assertThatThrownBy(() -> PasswordHash.requireValid("pbkdf2-sha256$1000$c2FsdA==$aGFzaA=="))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1000 iterations; at least 210000 are required");
    }

    @Test
    void rejectsShortPassword() {
        assertThatThrownBy(() -> PasswordHash.create("short".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("password has 5 characters; use at least 12");
    }
}

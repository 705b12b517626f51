package jp.kouiki.window.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CipherWarmUpTest {

    @Test
    void everyRoundDecryptsItsBlock() throws Exception {
        assertThat(CipherWarmUp.run(300)).isEqualTo(300);
    }
}

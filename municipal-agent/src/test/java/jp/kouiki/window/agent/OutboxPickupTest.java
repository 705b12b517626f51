package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class OutboxPickupTest {

    @Test
    void shortNameIsKept() {
        String name = "20261204-093000-123_131016_POSTAL_20261204.csv";

        assertThat(OutboxPickup.fitted(name)).isEqualTo(name);
    }

    @Test
    void longJapaneseNameIsShortenedToFitWithItsReasonSuffix() {
        String name = "20261204-093000-123_131016_POSTAL_" + "長".repeat(90) + ".csv";

        String fitted = OutboxPickup.fitted(name);

        assertThat((fitted + ".reason").getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(fitted).startsWith("20261204-093000-123_131016_POSTAL_長").matches(".*~[0-9a-f]{12}");
    }

    @Test
    void differentLongNamesStayDistinct() {
        String first = OutboxPickup.fitted("x".repeat(300) + "1");
        String second = OutboxPickup.fitted("x".repeat(300) + "2");

        assertThat(first).isNotEqualTo(second);
    }
}

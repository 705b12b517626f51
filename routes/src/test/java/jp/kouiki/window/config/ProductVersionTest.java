package jp.kouiki.window.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProductVersionTest {

    @Test
    void missingResourceIsUnknown() {
        assertEquals(ProductVersion.UNKNOWN, ProductVersion.read("/no-such-version.properties"));
    }

    @Test
    void unfilteredPlaceholderIsUnknown() {
        assertEquals(ProductVersion.UNKNOWN, ProductVersion.read("/unfiltered-version.properties"));
    }
}

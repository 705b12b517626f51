package jp.kouiki.window.iffile;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;

/** Catalogues for tests: the built-in SHOTOKU layout under other ids, charsets and policies. */
final class TestKinds {

    private TestKinds() {
    }

    /** Returns the SHOTOKU layout as catalogue text under the given id, with extra lines appended. */
    static String fixed(String id, String charset, String lineEnd, String extra) {
        return """
                kind.%1$s.format=fixed
                kind.%1$s.name-pattern={code}_{kind}_{date}_{seq}.dat
                kind.%1$s.charset=%2$s
                kind.%1$s.line-end=%3$s
                kind.%1$s.record-length=500
                kind.%1$s.record-type=1
                kind.%1$s.header.type=1
                kind.%1$s.header.code=2-7
                kind.%1$s.data.type=2
                kind.%1$s.data.code=2-7
                kind.%1$s.trailer.type=9
                kind.%1$s.trailer.code=2-7
                kind.%1$s.trailer.count=8-16
                """.formatted(id, charset, lineEnd) + extra.replace("{id}", id);
    }

    static InterfaceKindCatalogue catalogue(String text) {
        try {
            return InterfaceKindCatalogue.read(new StringReader(text), "test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InterfaceFileChecker checker(String text) {
        return new InterfaceFileChecker(catalogue(text));
    }
}

package jp.kouiki.window.municipality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MunicipalityCodeTest {

    @Test
    void acceptsCodesWithCorrectCheckDigit() {
        assertEquals("131016", MunicipalityCode.of("131016").value());
        assertEquals("011002", MunicipalityCode.of("011002").value());
        assertEquals("012050", MunicipalityCode.of("012050").value());
    }

    @Test
    void rejectsWrongCheckDigitNamingTheExpectedOne() {
        assertThatThrownBy(() -> MunicipalityCode.of("011001"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("municipality code 011001 has check digit 1 where 2 is expected; correct the code in the"
                        + " file name or in the sending system");
    }

    @Test
    void rejectsTextThatIsNotSixDigits() {
        assertThatThrownBy(() -> MunicipalityCode.of("13101")).hasMessageContaining("not six digits");
        assertThatThrownBy(() -> MunicipalityCode.of("13101a")).hasMessageContaining("not six digits");
    }

    @Test
    void appendsCheckDigitToFiveDigitCode() {
        assertEquals(MunicipalityCode.of("131016"), MunicipalityCode.fromFiveDigits("13101"));
    }

    @Test
    void bundledListHas1741MembersAnd62InTokyo() {
        MunicipalityDirectory directory = MunicipalityDirectory.bundled();

        assertThat(directory.all()).hasSize(1916);
        assertThat(directory.members()).hasSize(1741);
        assertThat(directory.membersOfPrefecture("13")).hasSize(62);
        assertThat(directory.member(MunicipalityCode.of("131016")).name()).isEqualTo("千代田区");
    }

    @Test
    void wardIsRejectedNamingItsCity() {
        MunicipalityDirectory directory = MunicipalityDirectory.bundled();

        assertThatThrownBy(() -> directory.member(MunicipalityCode.of("011011")))
                .hasMessageContaining("ward of a designated city")
                .hasMessageContaining("011002");
    }
}

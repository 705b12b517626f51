package jp.kouiki.window.municipality;

/**
 * A member municipality of a union, or a ward of a designated city when {@code parentCity} is set.
 *
 * @param code       six-digit code with check digit
 * @param prefecture prefecture name, such as 東京都
 * @param name       municipality name as the list writes it, such as 千代田区 or 札幌市 中央区
 * @param parentCity for a designated-city ward, the code of its city; otherwise null
 */
public record Municipality(MunicipalityCode code, String prefecture, String name, MunicipalityCode parentCity) {

    public boolean isWard() {
        return parentCity != null;
    }
}
